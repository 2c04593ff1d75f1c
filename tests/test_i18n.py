"""The English console: every string marked for translation has an English text with the same
placeholders, and the compiled catalogue matches its source."""

from __future__ import annotations

import re

from forumbot.web import catalogue


def test_every_console_string_has_an_english_translation():
    untranslated = catalogue.missing(catalogue.update())
    assert untranslated == [], "run `python -m forumbot.web.catalogue` and translate these"


def test_translations_keep_their_placeholders():
    for message in catalogue.read_catalog():
        if message.id and message.string:
            wanted = sorted(re.findall(r"%\(\w+\)s", message.id))
            assert sorted(re.findall(r"%\(\w+\)s", message.string)) == wanted, message.id


def test_compiled_catalogue_is_current():
    current = catalogue.read_catalog()
    assert {m.id for m in current if m.id} == {m.id for m in catalogue.update() if m.id}
    assert catalogue.MO_FILE.read_bytes() == catalogue.compiled(current)
