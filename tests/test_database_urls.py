"""A wrong database.url stops every command with one line that names it and says what to do.

Each case is what an operator could type: an unknown database type, a path through a file, a
folder, a file that is not a database, an unreachable server. None may print a traceback, and
only ``forumbot migrate`` may create a SQLite file or its folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from forumbot.cli import cli

COMMANDS = [
    ["migrate"],
    ["run", "--once"],
    ["queue", "list"],
    ["dept", "pending"],
    ["followups"],
    ["serve", "--port", "1"],
    ["users", "add", "bob", "--role", "agent"],
]
COMMAND_IDS = [" ".join(c[:2]) for c in COMMANDS]


@pytest.fixture(autouse=True)
def _secrets(monkeypatch):
    monkeypatch.setenv("DISCOURSE_API_KEY", "sandbox-admin-key")
    monkeypatch.setenv("DISCOURSE_API_USERNAME", "forumbot")
    monkeypatch.setenv("FORUMBOT_FORUM_BASE_URL", "http://127.0.0.1:9")


def invoke(monkeypatch, url: str, args: list[str]):
    monkeypatch.setenv("FORUMBOT_DATABASE_URL", url)
    return CliRunner().invoke(cli, args, input="a-long-enough-password\n")


def assert_one_line(result, shown: str, *hints: str) -> str:
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("forumbot: configuration error: ")
    assert shown in line
    for hint in hints:
        assert hint in line
    return line


def _bad_urls(tmp_path: Path) -> dict[str, tuple[str, str, str]]:
    """case -> (url, how the message shows it, a word of what to do)."""
    a_file = tmp_path / "a_file"
    a_file.write_text("x", encoding="utf-8")
    not_db = tmp_path / "notes.txt"
    not_db.write_text("this is not a database\n" * 20, encoding="utf-8")
    return {
        "through a file": (f"sqlite:///{a_file}/x.db", f"sqlite:///{a_file}/x.db", "database.url"),
        "under /proc": ("sqlite:////proc/forumbot/x.db", "sqlite:////proc/forumbot/x.db", ""),
        "unknown dialect": ("mysqlx://nope", "mysqlx://nope", "sqlite:///"),
        "unknown dialect+driver": ("foo+bar://x", "foo+bar://x", "sqlite:///"),
        "garbage": ("garbage", "garbage", "database.url"),
        "a folder": (f"sqlite:///{tmp_path}", f"sqlite:///{tmp_path}", "文件夹"),
        "not a database": (f"sqlite:///{not_db}", f"sqlite:///{not_db}", "database.url"),
        "unreachable": (
            "postgresql+psycopg://postgres:s3cretpw@127.0.0.1:1/test",
            "postgresql+psycopg://postgres:***@127.0.0.1:1/test",
            "database.url",
        ),
        "missing driver": ("mysql://u:s3cretpw@db/x", "mysql://u:***@db/x", "sqlite:///"),
    }


CASES = [
    "through a file",
    "under /proc",
    "unknown dialect",
    "unknown dialect+driver",
    "garbage",
    "a folder",
    "not a database",
    "unreachable",
    "missing driver",
]


@pytest.mark.parametrize("args", COMMANDS, ids=COMMAND_IDS)
@pytest.mark.parametrize("case", CASES)
def test_bad_database_url_is_one_line_and_exit_2(case, args, tmp_path, monkeypatch):
    url, shown, hint = _bad_urls(tmp_path)[case]
    result = invoke(monkeypatch, url, args)
    assert_one_line(result, shown, hint)
    assert "s3cretpw" not in result.output


@pytest.mark.parametrize("args", [c for c in COMMANDS if c != ["migrate"]], ids=COMMAND_IDS[1:])
def test_mistyped_sqlite_path_creates_nothing(args, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/no/such/folder/x.db"
    result = invoke(monkeypatch, url, args)
    line = assert_one_line(result, url, "forumbot migrate", "不存在")
    assert f"{tmp_path}/no/such/folder/x.db" in line
    assert list(tmp_path.iterdir()) == []


def test_migrate_creates_the_folder_and_the_others_then_work(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/new/folder/x.db"
    result = invoke(monkeypatch, url, ["migrate"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new" / "folder" / "x.db").is_file()
    listed = invoke(monkeypatch, url, ["queue", "list"])
    assert listed.exit_code == 0, listed.output


def test_empty_file_is_an_unmigrated_database(tmp_path, monkeypatch):
    empty = tmp_path / "empty.db"
    empty.touch()
    url = f"sqlite:///{empty}"
    assert_one_line(invoke(monkeypatch, url, ["queue", "list"]), url, "forumbot migrate")
    assert invoke(monkeypatch, url, ["migrate"]).exit_code == 0
