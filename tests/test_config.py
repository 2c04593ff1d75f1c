"""Settings: defaults, the TOML file, environment overrides, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from forumbot.cli import cli
from forumbot.config import SCHEMA, ConfigError, env_name, load_settings


def test_defaults_without_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = load_settings(path=None, environ={})
    assert s["intake.poll_seconds"] == 30.0
    assert s["database.url"].startswith("sqlite:///")
    assert s.source == "built-in defaults"


def test_shipped_file_loads_and_documents_every_key():
    s = load_settings("config/forumbot.toml", environ={})
    text = Path("config/forumbot.toml").read_text(encoding="utf-8")
    for section, keys in SCHEMA.items():
        assert f"[{section}]" in text
        for key in keys:
            assert f"\n{key} = " in text, f"{section}.{key} missing from config/forumbot.toml"
            assert s[f"{section}.{key}"] == SCHEMA[section][key].default


def test_environment_overrides_file(tmp_path):
    f = tmp_path / "f.toml"
    f.write_text("[intake]\npoll_seconds = 12\n", encoding="utf-8")
    s = load_settings(f, environ={"FORUMBOT_INTAKE_POLL_SECONDS": "7.5"})
    assert s["intake.poll_seconds"] == 7.5
    assert load_settings(f, environ={})["intake.poll_seconds"] == 12


def test_database_url_from_environment():
    s = load_settings(path=None, environ={"FORUMBOT_DATABASE_URL": "postgresql://u@h/db"})
    assert s["database.url"] == "postgresql://u@h/db"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "[intake]\npol_seconds = 3\n",
            "unknown key 'intake.pol_seconds' (did you mean 'intake.poll_seconds'?)",
        ),
        ("[intak]\npoll_seconds = 3\n", "unknown section 'intak' (did you mean 'intake'?)"),
        ("[intake]\npoll_seconds = 'often'\n", "intake.poll_seconds must be a number, not 'often'"),
        ("[intake]\npoll_seconds = 0\n", "intake.poll_seconds must be at least 1"),
        ("[webhook]\nenabled = 'maybe'\n", "webhook.enabled must be true or false"),
        ("[intake\n", "not valid TOML"),
    ],
)
def test_bad_file_names_key_and_file(tmp_path, content, expected):
    f = tmp_path / "bad.toml"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(f, environ={})
    assert str(f) in str(err.value)
    assert expected in str(err.value)


def test_unknown_environment_variable_is_named():
    with pytest.raises(
        ConfigError, match=r"FORUMBOT_INTAKE_POLL_SECOND'.*FORUMBOT_INTAKE_POLL_SECONDS"
    ):
        load_settings(path=None, environ={"FORUMBOT_INTAKE_POLL_SECOND": "3"})


def test_missing_secret_says_what_to_set():
    s = load_settings(path=None, environ={})
    with pytest.raises(ConfigError, match="DISCOURSE_API_KEY is not set: export DISCOURSE_API_KEY"):
        s.secret("DISCOURSE_API_KEY")


def test_secrets_not_in_repr():
    s = load_settings(path=None, environ={"DISCOURSE_API_KEY": "very-secret-key-123"})
    assert "very-secret-key-123" not in repr(s)


def test_short_publish_lease_refused():
    s = load_settings(path=None, environ={}, overrides={"publisher.lease_seconds": 15})
    with pytest.raises(ConfigError, match=r"publisher\.lease_seconds"):
        s.check_publish_lease()


def test_cli_reports_bad_config_in_one_line(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("[forum]\nbase_ur = 'x'\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(f), "migrate"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines == [
        f"forumbot: configuration error: {f}: unknown key 'forum.base_ur' "
        "(did you mean 'forum.base_url'?)"
    ]
    assert "Traceback" not in result.output


def test_cli_missing_secret_for_run(tmp_path, monkeypatch):
    for name in ("DISCOURSE_API_KEY", "DISCOURSE_API_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FORUMBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    result = CliRunner().invoke(cli, ["run", "--once"])
    assert result.exit_code == 2
    assert "DISCOURSE_API_USERNAME is not set" in result.output
    assert "Traceback" not in result.output


def test_env_names_follow_the_pattern():
    assert env_name("database", "url") == "FORUMBOT_DATABASE_URL"
