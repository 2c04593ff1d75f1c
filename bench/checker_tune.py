"""Choose the reply checker's model thresholds by cross-validation on its training set only.

    python bench/checker_tune.py

The replies of ``data/checker/train*.jsonl`` are split in five folds; the model is trained on
four and the fifth is checked as the console checks a draft (phrase rules and model), for
each candidate ``BLOCK_AT``. Prints, per threshold, the share of bad replies blocked and of
good replies blocked, and the threshold chosen: the lowest that blocks at most 1% of good
replies. The held-out sets (``heldout*.jsonl``) are never read here; ``bench/drafting.py``
measures on them. Prints one JSON line.
"""

from __future__ import annotations

import json

import numpy as np

from forumbot.drafting import checker_model
from forumbot.drafting.checker import blocking, check_reply

FOLDS = 5
THRESHOLDS = (0.6, 0.7, 0.8, 0.85, 0.9, 0.95)
GOOD_BLOCKED_LIMIT = 0.01


def main() -> None:
    replies = checker_model.training_replies()
    order = np.random.default_rng(20261203).permutation(len(replies))
    fold_of = np.empty(len(replies), dtype=int)
    fold_of[order] = np.arange(len(replies)) % FOLDS
    blocked: dict[float, list[tuple[bool, bool]]] = {t: [] for t in THRESHOLDS}
    original_trained, original_block = checker_model.trained, checker_model.BLOCK_AT
    try:
        for fold in range(FOLDS):
            train = [r for r, f in zip(replies, fold_of, strict=True) if f != fold]
            test = [r for r, f in zip(replies, fold_of, strict=True) if f == fold]
            model = checker_model.ReplyModel.fit(train)
            checker_model.trained = lambda model=model: model  # type: ignore[assignment]
            for threshold in THRESHOLDS:
                checker_model.BLOCK_AT = threshold
                for reply in test:
                    found = check_reply(reply["reply"], post_raw=reply.get("post"))
                    blocked[threshold].append((bool(reply.get("bad")), blocking(found)))
    finally:
        checker_model.trained, checker_model.BLOCK_AT = original_trained, original_block
    table = {}
    for threshold, rows in blocked.items():
        bad = [b for is_bad, b in rows if is_bad]
        good = [b for is_bad, b in rows if not is_bad]
        table[f"{threshold:.2f}"] = {
            "bad_blocked": round(sum(bad) / len(bad), 4),
            "good_blocked": round(sum(good) / len(good), 4),
        }
    fit = [t for t in THRESHOLDS if table[f"{t:.2f}"]["good_blocked"] <= GOOD_BLOCKED_LIMIT]
    print(
        json.dumps(
            {
                "bench": "checker_tune",
                "replies": len(replies),
                "folds": FOLDS,
                "by_block_at": table,
                "chosen_block_at": min(fit) if fit else None,
                "current_block_at": original_block,
            }
        )
    )


if __name__ == "__main__":
    main()
