"""The English console: every string marked for translation has an English text with the same
placeholders, and the compiled catalogue says what its source says, whatever Babel compiled it."""

from __future__ import annotations

import os
import re
import shutil

from babel.messages.mofile import read_mo
from test_console import PASSWORD, login

from forumbot.config import load_settings
from forumbot.web import catalogue, create_app
from forumbot.web.users import add_user


def read_compiled(mo_file) -> dict[str, str]:
    with mo_file.open("rb") as handle:
        return catalogue.translations(read_mo(handle))


def test_every_console_string_has_an_english_translation():
    untranslated = catalogue.missing(catalogue.update())
    assert untranslated == [], "run `python -m forumbot.web.catalogue` and translate these"


def test_translations_keep_their_placeholders():
    for message in catalogue.read_catalog():
        if message.id and message.string:
            wanted = sorted(re.findall(r"%\(\w+\)s", message.id))
            assert sorted(re.findall(r"%\(\w+\)s", message.string)) == wanted, message.id


def test_catalogue_source_lists_every_console_string():
    current = catalogue.translations(catalogue.read_catalog())
    assert set(current) == set(catalogue.translations(catalogue.update()))


def test_compiled_catalogue_reads_back_as_its_source(tmp_path):
    mo_file = tmp_path / "messages.mo"
    catalogue.write_compiled(catalogue.read_catalog(), mo_file)
    source = catalogue.translations(catalogue.read_catalog())
    assert read_compiled(mo_file) == source
    assert source["登录"] == "Sign in"


def test_a_missing_or_older_catalogue_is_compiled_again(tmp_path):
    po_file, mo_file = tmp_path / "messages.po", tmp_path / "messages.mo"
    shutil.copy(catalogue.PO_FILE, po_file)
    assert catalogue.ensure_compiled(po_file, mo_file)
    assert read_compiled(mo_file)["登录"] == "Sign in"
    assert not catalogue.ensure_compiled(po_file, mo_file)  # current: left alone

    # A pulled translation (the .po newer than its .mo) is compiled on the next start.
    po_file.write_text(
        po_file.read_text(encoding="utf-8").replace('msgstr "Sign in"', 'msgstr "Log in"'),
        encoding="utf-8",
    )
    past = po_file.stat().st_mtime - 60
    os.utime(mo_file, (past, past))
    assert catalogue.ensure_compiled(po_file, mo_file)
    assert read_compiled(mo_file)["登录"] == "Log in"
    assert [p.name for p in tmp_path.iterdir()] != [] and not list(tmp_path.glob(".messages*"))


def test_the_console_compiles_an_outdated_catalogue_when_it_starts(settings, sessions):
    """The .mo is not committed: a fresh clone has none, a pull can make it older than the .po.
    The app factory compiles it, so the English switch works without a build step."""
    if catalogue.MO_FILE.exists():
        past = catalogue.PO_FILE.stat().st_mtime - 60
        os.utime(catalogue.MO_FILE, (past, past))
    console = load_settings(
        path=None,
        environ={**settings.secrets, "FORUMBOT_SECRET_KEY": "test-secret-key-0123456789"},
        overrides={"database.url": settings["database.url"]},
    )
    with sessions() as s:
        add_user(s, "kefu", PASSWORD, "agent")
        s.commit()
    app = create_app(console, sessions)
    assert catalogue.MO_FILE.stat().st_mtime >= catalogue.PO_FILE.stat().st_mtime
    assert read_compiled(catalogue.MO_FILE) == catalogue.translations(catalogue.read_catalog())
    client = app.test_client()
    login(client)
    client.get("/lang/en?next=/queue")
    html = client.get("/queue").get_data(as_text=True)
    assert "Review queue" in html and "审核队列" not in html
