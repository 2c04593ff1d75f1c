"""Assemble the running bot from settings: database, forum client, poller, publisher, jobs.

The only place that turns configuration into objects; everything else receives them, so tests
build the same pieces against a sandbox and a fresh database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from forumbot import workcalendar
from forumbot.alerts.job import AlertJob
from forumbot.alerts.setup import channels_from
from forumbot.cases import incidents
from forumbot.cases.jobs import DraftingJob, FollowUpJob
from forumbot.cases.satisfaction import SatisfactionJob
from forumbot.classify.classifier import Classifier
from forumbot.classify.persist import ModelError
from forumbot.config import Settings
from forumbot.discourse import DiscourseClient, DiscourseError
from forumbot.drafting.resource_store import ResourceStore
from forumbot.hosts import url_is_loopback
from forumbot.intake.poller import Poller
from forumbot.labelling.labeller import Labeller
from forumbot.publish.contacts import contact_guard
from forumbot.publish.publisher import Publisher
from forumbot.storage.database import check_schema, make_engine, session_factory

log = logging.getLogger(__name__)


@dataclass
class Bot:
    engine: Engine
    sessions: sessionmaker[Session]
    client: DiscourseClient
    poller: Poller
    publisher: Publisher
    labeller: Labeller | None  # None until a model is trained
    drafting: DraftingJob | None = None
    followups: FollowUpJob | None = None
    satisfaction: SatisfactionJob | None = None
    alerts: AlertJob | None = None

    def close(self) -> None:
        self.client.close()
        self.engine.dispose()


def open_database(settings: Settings) -> tuple[Engine, sessionmaker[Session]]:
    engine = make_engine(settings["database.url"])
    try:
        check_schema(engine)
    except BaseException:
        engine.dispose()  # no connection left for the garbage collector to find open
        raise
    return engine, session_factory(engine)


def make_client(settings: Settings) -> DiscourseClient:
    return DiscourseClient(
        settings["forum.base_url"],
        settings.secret("DISCOURSE_API_KEY"),
        settings.secret("DISCOURSE_API_USERNAME"),
        timeout=settings["forum.timeout_seconds"],
        retries=settings["forum.retries"],
        max_wait=settings["forum.max_wait_seconds"],
        requests_per_minute=settings["forum.requests_per_minute"],
    )


def build_bot(settings: Settings) -> Bot:
    settings.check_publish_lease()
    configure_calendar(settings)
    bot_username = settings.secret("DISCOURSE_API_USERNAME")
    engine, sessions = open_database(settings)
    try:
        return _assemble(settings, bot_username, engine, sessions)
    except BaseException:
        engine.dispose()
        raise


def _assemble(
    settings: Settings, bot_username: str, engine: Engine, sessions: sessionmaker[Session]
) -> Bot:
    client = make_client(settings)
    poller = Poller(
        sessions=sessions,
        source=client,
        bot_username=bot_username,
        skip_usernames=frozenset(u.lower() for u in settings["intake.skip_usernames"]),
        overlap_ids=settings["intake.overlap_ids"],
        max_pages=settings["intake.max_pages_per_run"],
    )
    # config/ and reply_templates/ are checked at start, and re-read when an admin edits them
    store = ResourceStore(
        kb_threshold=settings["drafting.kb_threshold"],
        urgent_hours=settings["cases.urgent_reply_hours"],
        urgent_department_hours=settings["cases.urgent_department_hours"],
    )
    drafter = store.drafter()
    publisher = Publisher(
        sessions=sessions,
        forum=client,
        bot_username=bot_username,
        lease_seconds=settings["publisher.lease_seconds"],
        batch_size=settings["publisher.batch_size"],
        max_attempts=settings["publisher.max_attempts"],
        reread=settings["publisher.reread_before_publish"],
        retry_delay=settings["publisher.retry_delay_seconds"],
        contact_check=contact_guard(
            lambda: store.drafter().resources.contact, examples_allowed(settings)
        ),
    )
    return Bot(
        engine,
        sessions,
        client,
        poller,
        publisher,
        make_labeller(settings, sessions),
        DraftingJob(sessions, drafter, store=store),
        FollowUpJob(sessions, drafter, store=store),
        SatisfactionJob(
            sessions,
            drafter,
            after_days=settings["cases.satisfaction_after_days"],
            silence_days=settings["cases.silence_days"],
            store=store,
        ),
        AlertJob(
            sessions,
            channels_from(settings),
            forum_url=settings["forum.base_url"],
            console_url=settings["alerts.console_url"],
        ),
    )


def examples_allowed(settings: Settings) -> bool:
    """publisher.example_contacts: allow, refuse, or auto (allowed only when the forum is on
    this machine: the sandbox of the demo and the tests)."""
    choice = settings["publisher.example_contacts"]
    return choice == "allow" or (choice == "auto" and url_is_loopback(settings["forum.base_url"]))


def configure_calendar(settings: Settings) -> None:
    """Hand the admin's extra holidays and working days to the one calendar (once, at start)."""
    workcalendar.configure(settings["calendar.extra_holidays"], settings["calendar.extra_workdays"])
    incidents.configure(
        settings["cases.incident_window_hours"],
        settings["cases.spike_count"],
        settings["cases.spike_hours"],
    )


def make_labeller(settings: Settings, sessions: sessionmaker[Session]) -> Labeller | None:
    try:
        classifier = Classifier.load(
            settings.models_dir, review_threshold=settings["classifier.review_threshold"]
        )
    except ModelError as exc:
        log.warning("posts will wait unlabelled: %s", exc)
        return None
    classifier.classify("预热")  # load jieba's dictionary now, not inside the first job
    return Labeller(sessions, classifier, models_dir=settings.models_dir)  # follows promotions


def guarded(name: str, job: Callable[[], Any]) -> Callable[[], None]:
    """Run a job so that a forum or database failure is one log line and the next run goes on."""

    def run() -> None:
        try:
            job()
        except DiscourseError as exc:
            log.warning("%s: forum error, will retry next run: %s", name, exc)
        except SQLAlchemyError as exc:
            log.error("%s: database error, will retry next run: %s", name, exc.__class__.__name__)
            log.debug("database error detail", exc_info=True)

    run.__name__ = run.__qualname__ = name
    return run


def schedule_jobs(scheduler: BaseScheduler, bot: Bot, settings: Settings) -> None:
    """Intake, labelling and publishing as APScheduler interval jobs, one instance each."""
    jobs: list[tuple[str, Callable[[], Any], float]] = [
        ("intake", bot.poller.run_once, settings["intake.poll_seconds"]),
        ("publisher", bot.publisher.run_once, settings["publisher.interval_seconds"]),
    ]
    if bot.labeller is not None:
        jobs.append(("labeller", bot.labeller.run_once, settings["intake.poll_seconds"]))
    if bot.drafting is not None:
        jobs.append(("drafting", bot.drafting.run_once, settings["intake.poll_seconds"]))
    if bot.followups is not None:
        jobs.append(("followups", bot.followups.run_once, 60.0))
    if bot.satisfaction is not None:
        jobs.append(("satisfaction", bot.satisfaction.run_once, 300.0))
    if bot.alerts is not None:
        jobs.append(("alerts", bot.alerts.run_once, settings["alerts.interval_seconds"]))
    now = datetime.now(UTC)
    for name, job, seconds in jobs:
        scheduler.add_job(
            guarded(name, job),
            "interval",
            seconds=seconds,
            id=name,
            name=name,
            max_instances=1,
            coalesce=True,
            next_run_time=now,
        )
