"""Drafting speed and safety: drafts per second for 5,000 posts (label already known), and the
share of template-made drafts that the reply checker blocks (goal: none). One JSON line."""

from __future__ import annotations

import json
import time
from collections import Counter

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
            texts.append(drafter.with_department_answer(post, e.label, answer, p.department))
        else:
            texts.append(p.text)
        if p.holding:
            texts.append(p.holding)
    started = time.perf_counter()
    blocked = [t for t in texts if blocking(check_reply(t))]
    check_elapsed = time.perf_counter() - started
    styles = Counter(p.style for p in plans if p.kind == "reply")
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
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
