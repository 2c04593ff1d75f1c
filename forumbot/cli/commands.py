"""forumbot migrate | run | sandbox | serve."""

from __future__ import annotations

import logging
import signal
from types import FrameType

import click
from apscheduler.schedulers.blocking import BlockingScheduler

from forumbot.cli import settings_from
from forumbot.runtime import build_bot, schedule_jobs
from forumbot.storage.database import make_engine, migrate

log = logging.getLogger("forumbot")


@click.command("migrate")
@click.pass_context
def migrate_cmd(ctx: click.Context) -> None:
    """Create or upgrade the database schema (safe to run again)."""
    settings = settings_from(ctx)
    engine = make_engine(settings["database.url"])
    revision = migrate(engine)
    engine.dispose()
    click.echo(f"database {engine.url.render_as_string(hide_password=True)} at schema {revision}")


@click.command("run")
@click.option("--once", is_flag=True, help="Poll and publish once, then exit.")
@click.pass_context
def run_cmd(ctx: click.Context, once: bool) -> None:
    """Run the scheduler: intake polls the forum, the publisher posts approved replies."""
    settings = settings_from(ctx)
    bot = build_bot(settings)
    try:
        if once:
            polled = bot.poller.run_once()
            labelled = bot.labeller.run_once() if bot.labeller else 0
            drafted = bot.drafting.run_once() if bot.drafting else 0
            drafted += bot.followups.run_once() if bot.followups else 0
            drafted += bot.satisfaction.run_once() if bot.satisfaction else 0
            alerted = bot.alerts.run_once() if bot.alerts else 0
            published = bot.publisher.run_once()
            click.echo(
                f"intake: {polled.store.stored} new, {polled.store.updated} updated, "
                f"{polled.skipped} skipped; labelled {labelled}; drafted {drafted}; "
                f"alerts sent {alerted}; published {len(published.published)}, "
                f"failed {len(published.failed)}, retry later {len(published.retry_later)}"
            )
            return
        scheduler = BlockingScheduler(timezone="UTC")
        schedule_jobs(scheduler, bot, settings)

        def stop(signum: int, _frame: FrameType | None) -> None:
            if scheduler.running:
                log.info("signal %s: finishing the current job, then stopping", signum)
                scheduler.shutdown(wait=False)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log.info(
            "forumbot running against %s: polling every %gs, publishing every %gs",
            settings["forum.base_url"],
            settings["intake.poll_seconds"],
            settings["publisher.interval_seconds"],
        )
        scheduler.start()
    finally:
        bot.close()


@click.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8081, show_default=True, type=int)
@click.option(
    "--rate-limit",
    default=60,
    show_default=True,
    type=int,
    help="Admin API requests a minute for the site (Discourse default); 0 = none.",
)
@click.option(
    "--fault-rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of requests answered with a fault (5xx, timeout, 429, bad JSON).",
)
@click.option(
    "--generate",
    "generate_per_minute",
    default=0.0,
    show_default=True,
    type=float,
    help="New owner posts a minute, for a live demo.",
)
@click.option("--no-seed", is_flag=True, help="Start empty instead of with the seed posts.")
def sandbox_cmd(
    host: str,
    port: int,
    rate_limit: int,
    fault_rate: float,
    generate_per_minute: float,
    no_seed: bool,
) -> None:
    """Run the local Discourse-compatible sandbox forum (API key: sandbox-admin-key)."""
    from forumbot.sandbox.server import run_forever
    from forumbot.sandbox.settings import SandboxSettings

    settings = SandboxSettings(
        rate_limit_per_minute=rate_limit,
        fault_rate=fault_rate,
        generate_posts_per_minute=generate_per_minute,
        seed=not no_seed,
    )
    run_forever(settings, host, port)


@click.command("serve")
@click.option("--host", default=None, help="Default: console.host from the settings.")
@click.option("--port", default=None, type=int, help="Default: console.port from the settings.")
@click.option(
    "--threads",
    default=None,
    type=click.IntRange(1, 64),
    help="Worker threads answering requests at the same time (default 4).",
)
@click.pass_context
def serve_cmd(ctx: click.Context, host: str | None, port: int | None, threads: int | None) -> None:
    """Serve the web side (console, health check, Discourse webhook) with waitress."""
    from forumbot.runtime import open_database
    from forumbot.web import create_app
    from forumbot.web.server import DEFAULT_THREADS, ConsoleServer

    settings = settings_from(ctx)
    engine, sessions = open_database(settings)
    try:
        host = host or settings["console.host"]
        app = create_app(settings, sessions, host=host)
        port = settings["console.port"] if port is None else port
        try:
            server = ConsoleServer(app, host, port, threads=threads or DEFAULT_THREADS)
        except OSError as exc:
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None

        def stop(signum: int, _frame: FrameType | None) -> None:
            log.info("signal %s: finishing the requests in progress, then stopping", signum)
            server.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        click.echo(f"serving on {server.url} ({server.threads} threads)")
        if not settings.secrets.get("FORUMBOT_SECRET_KEY"):
            click.echo(
                "console disabled: set FORUMBOT_SECRET_KEY to serve the review pages", err=True
            )
        server.run()
        click.echo("stopped")
    finally:
        engine.dispose()
