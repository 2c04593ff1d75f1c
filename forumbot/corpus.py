"""The starter corpus in data/corpus: load it, and check it is fit to train on.

``python -m forumbot.corpus check`` prints per-label counts and the near-duplicate report
(character 5-gram Jaccard >= 0.6) and exits non-zero when a label is short of posts or more
than 3% of posts sit in near-duplicate pairs: a corpus padded with paraphrases would make
the model's figures look better than it is.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forumbot.classify.labels import LABELS, STYLES
from forumbot.paths import CORPUS_DIR

MIN_TRAIN, MIN_DEV = 300, 60
NEAR_DUP_JACCARD = 0.6
MAX_NEAR_DUP_SHARE = 0.03
GRAM = 5


class CorpusError(Exception):
    """A corpus line is unusable; the message names the file and line."""


@dataclass(frozen=True)
class Example:
    raw: str
    title: str | None
    post_number: int
    label: str
    style: str | None = None


def read_records(path: Path) -> list[dict[str, Any]]:
    """The objects of a labelled JSON Lines file in data/ (urgency, checker, knowledge-base
    questions), blank lines skipped."""
    with path.open(encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


def read_jsonl(path: Path) -> list[Example]:
    examples = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                item: Any = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{path}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(item, dict) or not isinstance(item.get("raw"), str):
                raise CorpusError(f"{path}:{number}: needs an object with a string 'raw'")
            if item.get("label") not in LABELS:
                raise CorpusError(f"{path}:{number}: unknown label {item.get('label')!r}")
            style = item.get("style")
            if style is not None and style not in STYLES:
                raise CorpusError(f"{path}:{number}: unknown style {style!r}")
            examples.append(
                Example(
                    raw=item["raw"],
                    title=item.get("title"),
                    post_number=int(item.get("post_number") or 1),
                    label=item["label"],
                    style=style,
                )
            )
    return examples


def load_split(name: str, corpus_dir: Path = CORPUS_DIR) -> list[Example]:
    return read_jsonl(corpus_dir / f"{name}.jsonl")


def load_training(corpus_dir: Path = CORPUS_DIR, real: bool = True) -> list[Example]:
    """What the shipped model trains on: the train split, the further hand-written files
    beside it (``train_<name>.jsonl``: "empty by content, not length", and the genres owners
    paste, from headlines to formal petitions), and the real texts whose licence allows it
    (``forumbot.real_texts``). The dev split stays the corpus's own."""
    examples = load_split("train", corpus_dir)
    for extra in sorted(corpus_dir.glob("train_*.jsonl")):
        examples += read_jsonl(extra)
    if real:
        from forumbot.real_texts import training_examples

        examples += training_examples()
    return examples


def _shingles(text: str) -> frozenset[str]:
    text = "".join(text.split())
    if len(text) < GRAM:
        return frozenset({f"\0{text}"})  # short posts: only an identical post is a duplicate
    return frozenset(text[i : i + GRAM] for i in range(len(text) - GRAM + 1))


def near_duplicate_pairs(
    texts: list[str], threshold: float = NEAR_DUP_JACCARD
) -> list[tuple[int, int, float]]:
    """Pairs (i, j, jaccard) of texts whose 5-gram sets overlap at least ``threshold``."""
    sets = [_shingles(t) for t in texts]
    index: dict[str, list[int]] = defaultdict(list)
    for i, grams in enumerate(sets):
        for gram in grams:
            index[gram].append(i)
    pairs = []
    for i, grams in enumerate(sets):
        shared: Counter[int] = Counter()
        for gram in grams:
            for j in index[gram]:
                if j > i:
                    shared[j] += 1
        for j, inter in shared.items():
            jaccard = inter / (len(grams) + len(sets[j]) - inter)
            if jaccard >= threshold:
                pairs.append((i, j, round(jaccard, 3)))
    return pairs


def _traditional_share(examples: Iterable[Example]) -> float:
    from forumbot.classify.normalize import to_simplified

    items = list(examples)
    trad = sum(1 for e in items if to_simplified(e.raw) != e.raw)
    return trad / max(len(items), 1)


def check(corpus_dir: Path = CORPUS_DIR, out=sys.stdout) -> bool:  # type: ignore[no-untyped-def]
    """Print the report; return True when the corpus passes."""
    splits = {"train": load_training(corpus_dir, real=False), "dev": load_split("dev", corpus_dir)}
    ok = True
    print(f"{'label':<22}{'train':>7}{'dev':>6}", file=out)
    for label in LABELS:
        n_train = sum(e.label == label for e in splits["train"])
        n_dev = sum(e.label == label for e in splits["dev"])
        short = n_train < MIN_TRAIN or n_dev < MIN_DEV
        ok &= not short
        print(f"{label:<22}{n_train:>7}{n_dev:>6}{'  < minimum' if short else ''}", file=out)
    every = splits["train"] + splits["dev"]
    pairs = near_duplicate_pairs([e.raw for e in every])
    in_pairs = {i for i, _, _ in pairs} | {j for _, j, _ in pairs}
    share = len(in_pairs) / len(every)
    ok &= share < MAX_NEAR_DUP_SHARE
    replies = sum(e.post_number > 1 for e in every) / len(every)
    print(
        f"posts: {len(every)}; replies: {replies:.0%}; "
        f"traditional characters: {_traditional_share(every):.0%}",
        file=out,
    )
    print(
        f"near-duplicate pairs (5-gram Jaccard >= {NEAR_DUP_JACCARD}): {len(pairs)}; "
        f"posts in them: {len(in_pairs)} ({share:.1%}, limit {MAX_NEAR_DUP_SHARE:.0%})",
        file=out,
    )
    for i, j, jac in sorted(pairs, key=lambda p: -p[2])[:10]:
        print(f"  {jac:.2f}  {every[i].raw[:30]!r} ~ {every[j].raw[:30]!r}", file=out)
    leak = {e.raw for e in splits["train"]} & {e.raw for e in splits["dev"]}
    if leak:
        ok = False
        print(f"{len(leak)} post(s) appear in both train and dev", file=out)
    print("corpus check: " + ("passed" if ok else "FAILED"), file=out)
    return ok


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] != ["check"]:
        print("usage: python -m forumbot.corpus check [CORPUS_DIR]", file=sys.stderr)
        return 2
    try:
        return 0 if check(Path(args[1]) if len(args) > 1 else CORPUS_DIR) else 1
    except (CorpusError, OSError) as exc:
        print(f"corpus check: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
