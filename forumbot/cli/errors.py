"""Errors of the command line that need no heavy imports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

import click


class InputError(click.ClickException):
    """One line of input is unusable; nothing is written for any line."""

    exit_code = 2

    def format_message(self) -> str:
        return self.message


def json_lines(stream: IO[str], name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each line of a JSONL input as (line number, object); a bad line is an InputError."""
    for number, line in enumerate(stream, 1):
        if not line.strip():
            raise InputError(f"{name}, line {number}: empty line; expected a JSON object")
        try:
            item: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{name}, line {number}: not JSON ({exc.msg})") from None
        if not isinstance(item, dict):
            raise InputError(f"{name}, line {number}: expected a JSON object")
        yield number, item
