"""What a head of customer service notices in drafts, as numbers (used by bench/drafting.py):

- how many drafts open with a sentence another draft also opens with (stock openings);
- how many use a specific word of the owner's own post body, beyond the pasted title;
- direct answers from the knowledge base: precision and recall on questions written apart
  from the entries' wording (data/kb_questions/test.jsonl; tune.jsonl is for choosing);
- the reply checker on replies written apart from its training set
  (data/checker/heldout.jsonl): share of bad replies blocked, of good replies blocked.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from forumbot.classify.normalize import clean
from forumbot.classify.tokenize import words
from forumbot.corpus import read_records
from forumbot.drafting.checker import blocking, check_reply
from forumbot.drafting.engine import Drafter
from forumbot.paths import DATA_DIR

_FIRST_SENTENCE = re.compile(r"^[^。！？!?\n]*[。！？!?]?")
# Words too general to show the draft read the post.
GENERIC = frozenset(
    (
        "我们",
        "您好",
        "你们",
        "业主",
        "小区",
        "物业",
        "问题",
        "情况",
        "时候",
        "现在",
        "已经",
        "什么",
        "怎么",
        "一个",
        "没有",
        "可以",
        "这个",
        "那个",
        "还是",
        "就是",
        "因为",
        "所以",
        "如果",
        "但是",
        "而且",
        "不是",
        "这样",
        "为什么",
        "一下",
        "一直",
        "大家",
        "自己",
        "知道",
        "希望",
        "麻烦",
        "谢谢",
        "请问",
        "开发商",
        "客服",
        "投诉",
        "反映",
        "处理",
        "解决",
        "回复",
        "部门",
        "工作",
        "时间",
        "今天",
        "明天",
        "昨天",
        "这么",
        "那么",
        "还有",
        "是不是",
    )
)


def opening(text: str) -> str:
    match = _FIRST_SENTENCE.match(text.strip())
    return match.group(0) if match else ""


def shared_opening_share(drafts: list[str]) -> float:
    """Share of drafts whose first sentence is also another draft's first sentence."""
    counts = Counter(opening(d) for d in drafts)
    return round(sum(1 for d in drafts if counts[opening(d)] > 1) / max(len(drafts), 1), 4)


def specific_words(raw: str, title: str | None) -> set[str]:
    """Words of the post body (not of its title) that say what this post is about."""
    in_title = set(words(clean(title or "")))
    return {
        w
        for w in words(clean(raw))
        if len(w) >= 2 and w not in GENERIC and w not in in_title and not w.isdigit()
    }


def uses_post_words(draft: str, raw: str, title: str | None) -> bool:
    text = clean(draft)
    return any(w in text for w in specific_words(raw, title))


def direct_answers(drafter: Drafter, questions: list[dict[str, Any]]) -> dict[str, float]:
    """A question is answered directly when its best entry scores at the threshold."""
    answered = correct = answerable = 0
    for q in questions:
        title, raw = q.get("title") or "", q["raw"]
        best = drafter.kb.best(f"{clean(title)} {clean(raw)}")
        hit = best is not None and best.score >= drafter.kb.threshold
        answerable += q["entry"] is not None
        if hit:
            answered += 1
            correct += best is not None and best.entry.id == q["entry"]
    return {
        "kb_precision": round(correct / max(answered, 1), 4),
        "kb_recall": round(correct / max(answerable, 1), 4),
        "kb_answered": answered,
        "kb_questions": len(questions),
    }


def checker_rates(replies: list[dict[str, Any]]) -> dict[str, Any]:
    bad = [r for r in replies if r["bad"]]
    good = [r for r in replies if not r["bad"]]
    missed: Counter[str] = Counter()
    for r in bad:
        if not blocking(check_reply(r["reply"], post_raw=r.get("post"))):
            missed[str(r["taboo"])] += 1
    bad_blocked = len(bad) - sum(missed.values())
    flagged = sum(bool(check_reply(r["reply"], post_raw=r.get("post"))) for r in bad)
    good_blocked = sum(blocking(check_reply(r["reply"], post_raw=r.get("post"))) for r in good)
    rules_only = sum(
        blocking(check_reply(r["reply"], post_raw=r.get("post"), meaning=False)) for r in bad
    )
    return {
        "checker_bad_blocked": round(bad_blocked / max(len(bad), 1), 4),
        "checker_bad_flagged": round(flagged / max(len(bad), 1), 4),
        "checker_good_blocked": round(good_blocked / max(len(good), 1), 4),
        "checker_rules_only_bad_blocked": round(rules_only / max(len(bad), 1), 4),
        "checker_heldout": len(replies),
        "checker_missed_by_taboo": dict(missed.most_common()),
    }


def quality(drafter: Drafter, drafts: list[tuple[str, str, str | None]]) -> dict[str, Any]:
    """``drafts``: (draft text, post body, post title) for the drafts to judge."""
    texts = [d for d, _, _ in drafts]
    specific = [uses_post_words(d, raw, title) for d, raw, title in drafts]
    return {
        "shared_opening_share": shared_opening_share(texts),
        "uses_post_words_share": round(sum(specific) / max(len(specific), 1), 4),
        **direct_answers(drafter, read_records(DATA_DIR / "kb_questions" / "test.jsonl")),
        **checker_rates(read_records(DATA_DIR / "checker" / "heldout.jsonl")),
        # A second held-out set by a third writer, written after the first one's misses had
        # been read: the honest figure for changes made since.
        **{
            key.replace("checker_", "checker2_"): value
            for key, value in checker_rates(
                read_records(DATA_DIR / "checker" / "heldout2.jsonl")
            ).items()
        },
    }
