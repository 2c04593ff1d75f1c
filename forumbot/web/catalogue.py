"""The console's English catalogue: extract every marked string, keep the translations made so
far, and compile. Chinese is the source language, so a string without a translation shows in
Chinese; a test keeps every string translated.

Only messages.po is committed. messages.mo is built from it (`make setup`, and the app factory
when it is missing or older than the .po), because its bytes depend on the Babel version.

    python -m forumbot.web.catalogue             # update messages.po and compile messages.mo
    python -m forumbot.web.catalogue --check     # exit 1 if a string lacks a translation
    python -m forumbot.web.catalogue --compile   # only compile messages.mo from messages.po
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
import tempfile
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
log = logging.getLogger(__name__)


def names_shown_through_gettext() -> set[str]:
    """Names kept in dicts and translated in templates with ``_(name)``."""
    from forumbot.classify.labels import LABEL_NAMES_ZH, STYLE_NAMES_ZH
    from forumbot.review.states import STATE_NAMES_ZH
    from forumbot.web.names import shown_names
    from forumbot.web.users import ROLE_NAMES_ZH

    return {
        *LABEL_NAMES_ZH.values(),
        *STYLE_NAMES_ZH.values(),
        *STATE_NAMES_ZH.values(),
        *ROLE_NAMES_ZH.values(),
        *shown_names(),
    }


def extracted() -> set[str]:
    found = set(names_shown_through_gettext())
    for _file, _line, message, _comments, _context in extract_from_dir(
        WEB_DIR, METHODS, options_map={"**.html": {"extensions": "jinja2.ext.do"}}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return {m for m in found if m}


def read_catalog(po_file: Path = PO_FILE) -> Catalog:
    if not po_file.exists():
        return Catalog(locale="en", domain="messages")
    with po_file.open("rb") as handle:
        return read_po(handle, locale="en")


def translations(catalog: Catalog) -> dict[str, str]:
    """What the catalogue means: each source string and its English text."""
    return {m.id: m.string for m in catalog if m.id}


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


def write_compiled(catalog: Catalog, mo_file: Path = MO_FILE) -> None:
    """Write the .mo through a temporary file in the same folder and a rename, so a console
    starting at the same moment reads the old catalogue or the new one, never half of one."""
    mo_file.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{mo_file.name}.", dir=mo_file.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(compiled(catalog))
        os.chmod(temporary, 0o644)
        os.replace(temporary, mo_file)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def ensure_compiled(po_file: Path = PO_FILE, mo_file: Path = MO_FILE) -> bool:
    """Compile the .po when its .mo is missing or older (a fresh clone, or a pulled translation).
    True when it compiled."""
    if not po_file.exists():
        return False
    if mo_file.exists() and mo_file.stat().st_mtime >= po_file.stat().st_mtime:
        return False
    write_compiled(read_catalog(po_file), mo_file)
    return True


def prepare_for_console() -> None:
    """The app factory's call: compile if needed; a read-only install keeps the console running
    (in Chinese only when no .mo was built) and says why in the log."""
    try:
        if ensure_compiled():
            log.info("compiled the English catalogue %s", MO_FILE)
    except OSError as error:
        log.warning("could not compile the English catalogue %s: %s", MO_FILE, error)


def missing(catalog: Catalog) -> list[str]:
    return [m.id for m in catalog if m.id and not m.string]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report untranslated strings")
    parser.add_argument(
        "--compile", action="store_true", help="only compile messages.mo from messages.po"
    )
    args = parser.parse_args(argv)
    if args.compile:
        write_compiled(read_catalog())
        print(f"compiled {MO_FILE.name} from {PO_FILE.name}")
        return 0
    catalog = update()
    untranslated = missing(catalog)
    if not args.check:
        PO_FILE.parent.mkdir(parents=True, exist_ok=True)
        with PO_FILE.open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=True, sort_output=True)
        write_compiled(catalog)
    for msgid in untranslated:
        print(f"untranslated: {msgid}", file=sys.stderr)
    print(f"{len(catalog)} strings, {len(untranslated)} without an English translation")
    return 1 if args.check and untranslated else 0


if __name__ == "__main__":
    sys.exit(main())
