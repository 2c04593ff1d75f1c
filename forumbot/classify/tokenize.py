"""jieba word segmentation with the domain dictionary in config/.

``words`` is a named module-level function: the exporter recognises it as the "words" block
of a pipeline, and ``linear_text`` calls it when scoring.
"""

from __future__ import annotations

import logging
import threading

import jieba

from forumbot.paths import CONFIG_DIR

USER_DICT = CONFIG_DIR / "jieba_userdict.txt"
_lock = threading.Lock()
_ready = False


def setup() -> None:
    """Load jieba and the domain words once per process."""
    global _ready
    if _ready:
        return
    with _lock:
        if _ready:
            return
        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        with USER_DICT.open("rb") as fh:  # jieba leaves a path's file open
            jieba.load_userdict(fh)
        _ready = True


def words(text: str) -> list[str]:
    """Word tokens of normalised text; whitespace and lone punctuation are dropped.

    Dictionary words only (``HMM=False``): jieba's HMM guesses new words from unknown runs of
    characters, which the character n-grams beside these words already cover. Without it jieba
    is 1.7 times as fast, and the model scores the same (dev macro-F1 -0.004, real texts
    +0.002 when it was chosen)."""
    setup()
    return [w for w in jieba.lcut(text, HMM=False) if w.strip() and (w.isalnum() or len(w) > 1)]
