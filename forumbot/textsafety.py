"""Characters that change how text around them looks without being seen themselves.

Bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069) make
a browser lay out the text that follows them right-to-left: ``abc\u202eexe.txt`` shows as
``abctxt.exe``, and a console user name can be made to display as another one. Forum text
is stored exactly as the forum sent it; what a person reads in the console and what the
drafter writes into a reply goes through ``neutralise`` first.

``neutralise`` removes the controls rather than replacing them with a visible marker: a reply
draft is published to the forum, where a marker would be noise the owner cannot make sense
of, and in the console the text then reads in the order it was typed (its logical order),
which is what the reviewer needs. The stored post keeps them, for whoever must investigate.
"""

from __future__ import annotations

import re
import unicodedata

BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # LRE RLE PDF LRO RLO
    "\u2066\u2067\u2068\u2069"  # LRI RLI FSI PDI
)
_BIDI = re.compile(f"[{''.join(sorted(BIDI_CONTROLS))}]")

# Invisible code points that Unicode files under letters, marks or symbols rather than
# format characters, yet render as nothing: fillers, joiners and variation selectors.
_INVISIBLE_NOT_FORMAT = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u2800\u3164\uffa0"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
)


def neutralise(text: str) -> str:
    """``text`` without bidirectional controls, so it displays in the order it was typed."""
    return _BIDI.sub("", text) if _BIDI.search(text) else text


def invisible_characters(text: str) -> list[str]:
    """Control, format (bidi, zero-width …), private-use, unassigned and otherwise invisible
    characters in ``text``, as ``U+XXXX`` codes: nothing a name should be made of."""
    found = [ch for ch in text if unicodedata.category(ch)[0] == "C" or ch in _INVISIBLE_NOT_FORMAT]
    return [f"U+{ord(ch):04X}" for ch in dict.fromkeys(found)]
