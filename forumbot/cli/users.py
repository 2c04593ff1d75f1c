"""forumbot users add: console accounts (the password is read from standard input)."""

from __future__ import annotations

import sys

import click

from forumbot.cli.queue import _session


@click.group("users")
def users_group() -> None:
    """Console accounts."""


@users_group.command("add")
@click.argument("name")
@click.option(
    "--role", required=True, type=click.Choice(["agent", "specialist", "moderator", "admin"])
)
@click.option(
    "--department",
    default=None,
    help="For specialists: engineering, planning, sales, property, service.",
)
@click.pass_context
def add_cmd(ctx: click.Context, name: str, role: str, department: str | None) -> None:
    """Create an account; the password is read from standard input (one line)."""
    from forumbot.web.users import add_user

    if sys.stdin.isatty():
        password = click.prompt("密码 password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with _session(ctx) as session:
        user = add_user(session, name, password, role, department)
        session.commit()
        click.echo(f"已创建账号 {user.username}（{role}）")
