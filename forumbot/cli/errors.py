"""Errors of the command line that need no heavy imports."""

from __future__ import annotations

from typing import IO, Any

import click


class InputError(click.ClickException):
    """The input as a whole cannot be read (missing, not UTF-8); nothing is written."""

    exit_code = 2

    def format_message(self) -> str:
        return self.message

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"forumbot: {self.format_message()}", err=file is None, file=file)
