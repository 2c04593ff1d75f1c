"""The ``forumbot`` command line. Only this layer prints for people and exits the process."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from forumbot import __version__
from forumbot.config import ConfigError, Settings, load_settings
from forumbot.discourse import DiscourseError
from forumbot.review.queue import ReviewError
from forumbot.review.states import InvalidTransition


class ForumbotGroup(click.Group):
    """Turn the errors people can fix into one line and an exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.echo(f"forumbot: configuration error: {exc}", err=True)
            ctx.exit(2)
        except (ReviewError, InvalidTransition) as exc:
            click.echo(f"forumbot: {exc}", err=True)
            ctx.exit(1)
        except DiscourseError as exc:
            click.echo(f"forumbot: forum error: {exc}", err=True)
            ctx.exit(1)


def settings_from(ctx: click.Context) -> Settings:
    obj = ctx.ensure_object(dict)
    if "settings" not in obj:
        obj["settings"] = load_settings(obj.get("config_path"))
    return obj["settings"]


@click.group(cls=ForumbotGroup)
@click.version_option(__version__, prog_name="forumbot")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Settings file (default: $FORUMBOT_CONFIG or config/forumbot.toml).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail.")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: bool) -> None:
    """forumbot: draft replies to forum complaints; people approve every reply."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    ctx.ensure_object(dict)["config_path"] = config_path


def main() -> None:
    cli(prog_name="forumbot")


# The command modules register themselves on ``cli``.
from forumbot.cli import commands, demo, queue  # noqa: E402, F401
