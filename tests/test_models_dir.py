"""classifier.models_dir: the bot, the console, the CLI and train.py all use the folder the
settings name; a running labeller picks up a broken model once its files are fixed."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from forumbot.classify.classifier import Classifier
from forumbot.classify.persist import load_current, read_pointer, sha256_of, write_pointer
from forumbot.cli import cli
from forumbot.config import load_settings
from forumbot.labelling.labeller import Labeller
from forumbot.paths import MODELS_DIR
from forumbot.runtime import make_labeller
from forumbot.web import create_app
from forumbot.web.users import add_user

ROOT = Path(__file__).resolve().parent.parent
CURRENT = read_pointer(MODELS_DIR)["version"]
PASSWORD = "correct horse battery"


@pytest.fixture
def elsewhere(tmp_path):
    """A models folder outside the checkout whose current model exists only there."""
    folder = tmp_path / "elsewhere" / "models"
    folder.mkdir(parents=True)
    shutil.copytree(MODELS_DIR / CURRENT, folder / "only-here")
    shutil.copytree(MODELS_DIR / CURRENT, folder / CURRENT)
    sha = sha256_of(folder / "only-here" / "model.npz")
    write_pointer(folder, "only-here", sha, [CURRENT])
    return folder


def settings_with(settings, **overrides):
    return load_settings(
        path=None,
        environ={**settings.secrets, "FORUMBOT_SECRET_KEY": "test-secret-key-0123456789"},
        overrides={"database.url": settings["database.url"], **overrides},
    )


def test_relative_models_dir_is_taken_from_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(path=None, environ={"FORUMBOT_CLASSIFIER_MODELS_DIR": "my/models"})
    assert settings.models_dir == tmp_path / "my" / "models"
    assert load_settings(path=None, environ={}).models_dir == tmp_path / "models"


def test_running_bot_labels_with_the_configured_models(settings, sessions, elsewhere):
    labeller = make_labeller(
        settings_with(settings, **{"classifier.models_dir": str(elsewhere)}), sessions
    )
    assert labeller is not None
    assert labeller.classifier.model.version == "only-here"
    assert labeller.models_dir == elsewhere


def test_classify_command_uses_the_configured_models(elsewhere, monkeypatch):
    monkeypatch.setenv("FORUMBOT_CLASSIFIER_MODELS_DIR", str(elsewhere))
    result = CliRunner().invoke(cli, ["classify", "--jsonl", "-"], input='{"raw": "电梯坏了"}\n')
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[0])["model_version"] == "only-here"


def test_console_models_page_shows_the_configured_models(settings, sessions, elsewhere):
    with sessions() as s:
        add_user(s, "guanli", PASSWORD, "admin")
        s.commit()
    app = create_app(settings_with(settings, **{"classifier.models_dir": str(elsewhere)}), sessions)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "guanli", "password": PASSWORD, "csrf_token": token})
    html = client.get("/admin/models/").get_data(as_text=True)
    assert re.search(r'<td class="version">\s*only-here\s*</td>', html), html


def test_train_rollback_uses_the_configured_models(elsewhere):
    shipped = (MODELS_DIR / "current.json").read_bytes()
    env = {**os.environ, "FORUMBOT_CLASSIFIER_MODELS_DIR": str(elsewhere)}
    try:
        done = subprocess.run(
            [sys.executable, "train.py", "--rollback"], cwd=ROOT, env=env, capture_output=True
        )
        assert done.returncode == 0, done.stderr.decode()
        assert read_pointer(elsewhere)["version"] == CURRENT
        assert (MODELS_DIR / "current.json").read_bytes() == shipped
    finally:  # never leave the shipped model rolled back, whatever went wrong
        if (MODELS_DIR / "current.json").read_bytes() != shipped:
            (MODELS_DIR / "current.json.restore").write_bytes(shipped)
            (MODELS_DIR / "current.json.restore").replace(MODELS_DIR / "current.json")


def test_labeller_picks_up_a_broken_model_once_it_is_fixed(sessions, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="forumbot.labelling.labeller")
    models = shutil.copytree(MODELS_DIR, tmp_path / "models")
    labeller = Labeller(sessions, Classifier(load_current(models)), models_dir=models)
    good = models / CURRENT / "model.npz"
    shutil.copytree(models / CURRENT, models / "next")
    broken = models / "next" / "model.npz"
    with broken.open("ab") as fh:
        fh.write(b"\0" * 10)  # copied or synced only half-way
    write_pointer(models, "next", sha256_of(good), [CURRENT])

    assert labeller.refresh_model() is False
    assert labeller.classifier.model.version == CURRENT
    assert caplog.text.count("keeping model") == 1
    assert labeller.refresh_model() is False  # nothing changed: not tried again
    assert caplog.text.count("keeping model") == 1

    shutil.copyfile(good, broken)  # the copy finishes; current.json is not touched
    assert labeller.refresh_model() is True
    assert labeller.classifier.model.version == "next"
    assert f"switched model {CURRENT} -> next" in caplog.text
