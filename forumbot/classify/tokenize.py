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
    """Word tokens of normalised text; whitespace and lone punctuation are dropped."""
    setup()
    return [w for w in jieba.lcut(text) if w.strip() and (w.isalnum() or len(w) > 1)]
