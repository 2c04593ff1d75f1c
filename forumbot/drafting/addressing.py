"""Who a reply speaks to: the case owner by forum name, the neighbours who said "me too",
and, in a reply to a later post, that post quoted. Pure text; forum text is data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from forumbot.textsafety import neutralise

# Supporters named one by one up to this many; beyond it, counted.
NAMED_SUPPORTERS = 3
QUOTE_CHARS = 120
# Discourse usernames: letters, digits, _ . - (CJK names are allowed on many forums).
_MENTIONABLE = re.compile(r"^[\w.\-]+$")


@dataclass(frozen=True)
class Audience:
    owner: str
    supporters: Sequence[str] = field(default_factory=tuple)
    # The later post the reply answers: (username, post_number, topic_id, raw), if any.
    quoted: tuple[str, int, int, str] | None = None


def mention(username: str) -> str:
    """``@name`` for a forum name Discourse would link; otherwise the name as plain text."""
    name = neutralise(username).strip()
    return f"@{name}" if _MENTIONABLE.match(name) else name


def _quote_excerpt(raw: str) -> str:
    text = re.sub(r"\[/?quote[^\]]*\]", "", raw, flags=re.I)  # no nested or broken quotes
    text = neutralise(re.sub(r"\s+", " ", text)).strip()
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


def supporters_sentence(supporters: Sequence[str]) -> str:
    """The line that tells the neighbours their "+1" was heard."""
    unique = list(dict.fromkeys(s for s in supporters if s))
    if not unique:
        return ""
    if len(unique) <= NAMED_SUPPORTERS:
        names = "、".join(mention(s) for s in unique)
        return f"楼主和{names}反映的是同一个问题，我们会一并处理，结果也会在本帖统一答复。"
    return (
        f"楼主和另外{len(unique)}位邻居反映的是同一个问题，我们会一并处理，"
        "结果也会在本帖统一答复，请大家留意。"
    )


def address(text: str, audience: Audience) -> str:
    """Put the owner's name first, the neighbours' line after the first paragraph, and the
    quoted later post on top, around a reply the templates wrote."""
    body = f"{mention(audience.owner)} {text.lstrip()}"
    line = supporters_sentence(audience.supporters)
    if line:
        first, sep, rest = body.partition("\n\n")
        body = f"{first}\n\n{line}\n\n{rest}" if sep else f"{first}\n\n{line}"
    if audience.quoted is not None:
        username, number, topic, raw = audience.quoted
        name = re.sub(r'[",\]\[]', "", neutralise(username))
        quote = f'[quote="{name}, post:{number}, topic:{topic}"]\n{_quote_excerpt(raw)}\n[/quote]'
        body = f"{quote}\n\n{body}"
    return body
