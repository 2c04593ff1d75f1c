"""The ``forumbot`` command line. Only this layer prints for people and exits the process."""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path
from typing import Any

import click

from forumbot import __version__
from forumbot.config import ConfigError, Settings, load_settings
from forumbot.discourse.errors import DiscourseError
from forumbot.review.errors import ReviewError
from forumbot.review.states import InvalidTransition

# Each command's module is imported only when that command runs, so that
# `forumbot classify "…"` does not pay for the database, scheduler and web imports.
COMMANDS = {
    "migrate": "forumbot.cli.commands:migrate_cmd",
    "run": "forumbot.cli.commands:run_cmd",
    "sandbox": "forumbot.cli.commands:sandbox_cmd",
    "serve": "forumbot.cli.commands:serve_cmd",
    "queue": "forumbot.cli.queue:queue_group",
    "classify": "forumbot.cli.classify:classify_cmd",
    "demo": "forumbot.cli.demo:demo_cmd",
    "dept": "forumbot.cli.dept:dept_group",
    "followups": "forumbot.cli.followups:followups_cmd",
    "draft": "forumbot.cli.draft:draft_cmd",
    "users": "forumbot.cli.users:users_group",
    "lint-reply": "forumbot.cli.lint:lint_reply_cmd",
    "cases": "forumbot.cli.cases:cases_group",
    "incidents": "forumbot.cli.cases:incidents_group",
    "alerts": "forumbot.cli.alerts:alerts_group",
}


class ForumbotGroup(click.Group):
    """Lazily loaded commands; errors people can fix become one line and an exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        return getattr(importlib.import_module(module), attribute)

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
