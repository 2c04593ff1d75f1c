"""The reply text as the checker reads it: normalised (traditional -> simplified, NFKC per
character, invisible characters and spaces between Chinese characters dropped) while every
character remembers its offset in the text as written, so findings underline the right words;
and the agent's own words, with quotes of other people's posts blanked out."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from forumbot.classify.normalize import to_simplified


@dataclass(frozen=True)
class NormalText:
    text: str
    origin: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.origin[start], self.origin[end - 1] + 1


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


def normalise(text: str) -> NormalText:
    simple = to_simplified(text)
    if len(simple) != len(text):  # a phrase conversion changed the length: go per character
        simple = "".join(c if len(s := to_simplified(c)) != 1 else s for c in text)
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(simple):
        if unicodedata.category(ch) == "Cf":  # zero-width and other invisible characters
            continue
        for out in unicodedata.normalize("NFKC", ch):
            chars.append(out)
            origin.append(i)
    n = len(chars)
    between_cjk = [
        0 < i < n - 1 and ch in " \t" and _is_cjk(chars[i - 1]) and _is_cjk(chars[i + 1])
        for i, ch in enumerate(chars)
    ]
    keep = [i for i in range(n) if not between_cjk[i]]
    return NormalText("".join(chars[i] for i in keep), tuple(origin[i] for i in keep))


_QUOTE = re.compile(r"\[quote[^\]]*\].*?\[/quote\]|^[ \t]*>[^\n]*", re.I | re.S | re.M)


_CN_QUOTE = re.compile(r"“([^”\n]{1,80})”")


def without_quotes(text: str, post_raw: str | None = None) -> str:
    """The agent's own words: quoted passages blanked out, offsets unchanged. The owner's
    own words quoted back in “…” (a reply restating their matter) are theirs too."""
    text = _QUOTE.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    if not post_raw:
        return text
    post = normalise(post_raw).text

    def blank(m: re.Match[str]) -> str:
        words = normalise(m.group(1)).text.rstrip("…")
        return " " * len(m.group()) if words and words in post else m.group()

    return _CN_QUOTE.sub(blank, text)
