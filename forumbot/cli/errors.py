"""Errors of the command line that need no heavy imports."""

from __future__ import annotations

import click


class InputError(click.ClickException):
    """One line of input is unusable; nothing is written for any line."""

    exit_code = 2

    def format_message(self) -> str:
        return self.message
