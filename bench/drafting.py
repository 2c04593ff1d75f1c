"""Drafting speed, safety and quality: drafts per second for 5,000 posts (label already known),
the share of template-made drafts the reply checker blocks (goal: none), and what a head of
customer service notices (bench/drafting_quality.py): stock openings (goal <= 0.10), drafts
that use a word of the owner's own post (goal >= 0.9), direct-answer precision and recall,
the checker on held-out bad and good replies (goal >= 0.95 blocked, 0 good blocked).
One JSON line."""

from __future__ import annotations

import json
import time
from collections import Counter

from drafting_quality import quality

from forumbot.corpus import load_split
from forumbot.drafting.checker import blocking, check_reply
from forumbot.drafting.engine import Drafter, PostView

N = 5_000


def main() -> None:
    corpus = load_split("train") + load_split("dev")
    posts = [corpus[i % len(corpus)] for i in range(N)]
    drafter = Drafter()
    started = time.perf_counter()
    plans = [
        drafter.plan(PostView(i, e.raw, e.title, e.post_number, "owner"), e.label)
        for i, e in enumerate(posts)
    ]
    elapsed = time.perf_counter() - started
    # A specialist draft carries a marked placeholder until its department answers (the
    # checker blocks it on purpose); what is checked is the unified reply with an answer in.
    answer = "经现场核实，相关问题已列入维修计划，维修班组将于本周四上午到场处理。"
    texts = []
    for (i, e), p in zip(enumerate(posts), plans, strict=True):
        if p.kind != "reply":
            continue
        if p.state == "awaiting_specialist" and p.department is not None:
            post = PostView(i, e.raw, e.title, e.post_number, "owner")
            texts.append(
                (drafter.with_department_answer(post, e.label, answer, p.department), e.raw)
            )
        else:
            texts.append((p.text, e.raw))
        if p.holding:
            texts.append((p.holding, e.raw))
    started = time.perf_counter()
    blocked = [t for t, raw in texts if blocking(check_reply(t, post_raw=raw))]
    check_elapsed = time.perf_counter() - started
    styles = Counter(p.style for p in plans if p.kind == "reply")
    # The reply the agent sees first for each valid dev post (the holding reply of a
    # specialist matter), judged as the owner would read it.
    dev = [e for e in load_split("dev") if e.label not in ("abuse", "empty", "unrelated")]
    first = []
    for i, e in enumerate(dev):
        plan = drafter.plan(PostView(100_000 + i, e.raw, e.title, e.post_number, "owner"), e.label)
        text = plan.holding if plan.state == "awaiting_specialist" else plan.text
        if text:
            first.append((text, e.raw, e.title if e.post_number <= 1 else None))
    judged = quality(drafter, first)
    print(
        json.dumps(
            {
                "bench": "drafting",
                "posts": N,
                "drafts_per_s": round(N / elapsed, 1),
                "replies_checked": len(texts),
                "checks_per_s": round(len(texts) / check_elapsed, 1),
                "blocked": len(blocked),
                "blocked_share": round(len(blocked) / max(len(texts), 1), 4),
                "awaiting_department": sum(1 for p in plans if p.state == "awaiting_specialist"),
                "styles": dict(styles),
                "redirect_private_share": round(
                    styles["redirect_private"] / max(sum(styles.values()), 1), 3
                ),
                "kb_matched_inquiries": sum(
                    1 for p in plans if p.label == "inquiry" and p.kb_matched
                ),
                "inquiries": sum(1 for p in plans if p.label == "inquiry"),
                "dev_drafts_judged": len(first),
                **judged,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
