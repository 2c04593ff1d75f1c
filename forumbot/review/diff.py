"""What changed between the draft and the text being sent, character by character (Chinese
has no spaces to split words on), for the reviewer to confirm before approving."""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Literal

Op = Literal["same", "removed", "added"]


def text_diff(before: str, after: str) -> list[tuple[Op, str]]:
    """Runs of unchanged, removed and added text; empty when nothing changed."""
    if before == after:
        return []
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    runs: list[tuple[Op, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            runs.append(("same", before[i1:i2]))
            continue
        if i2 > i1:
            runs.append(("removed", before[i1:i2]))
        if j2 > j1:
            runs.append(("added", after[j1:j2]))
    return runs
