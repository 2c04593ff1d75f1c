"""The console's English catalogue: extract every marked string, keep the translations made so
far, and compile. Chinese is the source language, so a string without a translation shows in
Chinese; a test keeps every string translated.

    python -m forumbot.web.catalogue           # update messages.po and compile messages.mo
    python -m forumbot.web.catalogue --check   # exit 1 if a string lacks a translation
"""

from __future__ import annotations

import argparse
import io
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

WEB_DIR = Path(__file__).resolve().parent
PO_FILE = WEB_DIR / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO_FILE = PO_FILE.with_suffix(".mo")
FIXED_DATE = datetime(2000, 1, 1, tzinfo=UTC)
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]


def names_shown_through_gettext() -> set[str]:
    """Names kept in dicts and translated in templates with ``_(name)``."""
    from forumbot.classify.labels import LABEL_NAMES_ZH, STYLE_NAMES_ZH
    from forumbot.review.states import STATE_NAMES_ZH
    from forumbot.web.users import ROLE_NAMES_ZH

    return {
        *LABEL_NAMES_ZH.values(),
        *STYLE_NAMES_ZH.values(),
        *STATE_NAMES_ZH.values(),
        *ROLE_NAMES_ZH.values(),
    }


def extracted() -> set[str]:
    found = set(names_shown_through_gettext())
    for _file, _line, message, _comments, _context in extract_from_dir(
        WEB_DIR, METHODS, options_map={"**.html": {"extensions": "jinja2.ext.do"}}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return {m for m in found if m}


def read_catalog() -> Catalog:
    if not PO_FILE.exists():
        return Catalog(locale="en", domain="messages")
    with PO_FILE.open("rb") as handle:
        return read_po(handle, locale="en")


def update() -> Catalog:
    """The catalogue with every current string; translations of vanished strings dropped."""
    old = read_catalog()
    new = Catalog(locale="en", domain="messages", project="forumbot")
    for msgid in sorted(extracted()):
        kept = old.get(msgid)
        new.add(msgid, kept.string if kept is not None else "")
    return new


def compiled(catalog: Catalog) -> bytes:
    """The .mo bytes under a fixed header (no creation time), so the same translations always
    compile to the same bytes, whether the catalogue was just updated or read back from the .po."""
    stable = Catalog(locale="en", domain="messages", project="forumbot", creation_date=FIXED_DATE)
    for message in catalog:
        if message.id:
            stable.add(message.id, message.string, flags=message.flags)
    out = io.BytesIO()
    write_mo(out, stable)
    return out.getvalue()


def missing(catalog: Catalog) -> list[str]:
    return [m.id for m in catalog if m.id and not m.string]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report untranslated strings")
    args = parser.parse_args(argv)
    catalog = update()
    untranslated = missing(catalog)
    if not args.check:
        PO_FILE.parent.mkdir(parents=True, exist_ok=True)
        with PO_FILE.open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=True, sort_output=True)
        MO_FILE.write_bytes(compiled(catalog))
    for msgid in untranslated:
        print(f"untranslated: {msgid}", file=sys.stderr)
    print(f"{len(catalog)} strings, {len(untranslated)} without an English translation")
    return 1 if args.check and untranslated else 0


if __name__ == "__main__":
    sys.exit(main())
