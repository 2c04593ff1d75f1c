"""Tiny stand-ins for Discourse's markdown cooking and excerpts.

Real Discourse renders markdown to sanitized HTML; the sandbox only needs HTML that is
safe (scripts escaped) and shaped like Discourse's (paragraphs in ``<p>``), because
forumbot reads ``raw`` and never renders ``cooked``.
"""

from __future__ import annotations

import html
import re

_TAGS = re.compile(r"<[^>]+>")
_EXCERPT_LENGTH = 300


def cook(raw: str) -> str:
    """Escape the markdown and wrap each paragraph in ``<p>``, lines joined by ``<br>``."""
    paragraphs = [p for p in re.split(r"\n\s*\n", raw.strip()) if p.strip()]
    return "\n".join(
        "<p>" + "<br>\n".join(html.escape(line, quote=False) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )


def excerpt(cooked: str, length: int = _EXCERPT_LENGTH) -> str:
    """Plain-text excerpt like ``PrettyText.excerpt(cooked, 300)``: entities kept, ``&hellip;``."""
    text = re.sub(r"\s+", " ", _TAGS.sub(" ", cooked)).strip()
    if len(html.unescape(text)) <= length:
        return text
    cut = html.unescape(text)[:length]
    return html.escape(cut, quote=False) + "&hellip;"


def truncated(cooked: str) -> bool:
    """Discourse adds ``truncated: true`` only when cooked is longer than 300 characters."""
    return len(cooked) > _EXCERPT_LENGTH
