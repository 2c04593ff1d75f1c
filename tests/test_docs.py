"""The README is kept honest: every setting and every command is documented there."""

from __future__ import annotations

from pathlib import Path

import click

from forumbot.cli import cli
from forumbot.config import SCHEMA

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_in_readme():
    missing = [f"{s}.{k}" for s in SCHEMA for k in SCHEMA[s] if f"`{s}.{k}`" not in README]
    assert not missing, f"settings missing from README: {missing}"


def _commands(group: click.Group, prefix: str = "forumbot") -> list[str]:
    names = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            names.extend(_commands(command, f"{prefix} {name}"))
        else:
            names.append(f"{prefix} {name}")
    return names


def test_every_command_in_readme():
    documented = README.replace("`/ `", "")
    missing = [
        c
        for c in _commands(cli)
        if f"`{c}" not in documented and f"`{c.rsplit(' ', 1)[-1]} " not in documented
    ]
    assert not missing, f"commands missing from README: {missing}"


def test_every_command_has_help():
    for name in _commands(cli):
        parts = name.split()[1:]
        cmd = cli
        for part in parts:
            cmd = cmd.get_command(click.Context(cmd), part)  # type: ignore[attr-defined]
        assert cmd.help, f"{name} has no help text"


def test_readme_names_the_two_commands():
    assert "make demo" in README and "make test" in README
