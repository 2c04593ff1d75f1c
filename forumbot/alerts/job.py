"""Tell the duty manager (and security) about every urgent case, once per channel.

One ``alerts`` row per case and channel, created with INSERT … ON CONFLICT DO NOTHING, so
two workers and any number of restarts agree on it. A worker claims a row (state
``sending`` with a deadline) before it sends, and marks it ``sent`` after: a restart never
sends a sent alert again. A worker killed between sending and marking leaves the claim to
lapse, and the alert is sent again: for danger to people, twice is better than never.
A failed send is retried with a growing wait and shown on the case. Every outcome is a row in
the audit log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from forumbot.alerts.channels import AlertError, Channel
from forumbot.alerts.message import alert_message
from forumbot.cases.safety import needs_security
from forumbot.cases.states import ACTIVE
from forumbot.storage import audit
from forumbot.storage.models import Alert, Case, utcnow

log = logging.getLogger(__name__)
ACTOR = "system:alerts"
CLAIM_SECONDS = 120
RETRY_SECONDS = 60
MAX_ATTEMPTS = 20


@dataclass
class AlertJob:
    sessions: sessionmaker[Session]
    channels: list[Channel]
    forum_url: str = ""
    console_url: str = ""
    _warned: bool = field(default=False, init=False, repr=False)

    def run_once(self, now: datetime | None = None) -> int:
        """Send what is due; returns how many alerts were delivered."""
        now = now or utcnow()
        if not self.channels:
            if not self._warned:
                log.warning("no alert channel is configured: urgent cases are not alerted")
                self._warned = True
            return 0
        self._create_rows()
        sent = 0
        by_name = {c.name: c for c in self.channels}
        while True:
            claimed = self._claim(now, set(by_name))
            if claimed is None:
                return sent
            alert_id, case_id, channel_name = claimed
            sent += self._deliver(alert_id, case_id, by_name[channel_name], now)

    def _create_rows(self) -> None:
        with self.sessions() as session:
            cases = session.execute(
                select(Case.id, Case.urgent_kind).where(
                    Case.urgent.is_(True), Case.state.in_(ACTIVE)
                )
            ).all()
            if not cases:
                return
            known = set(
                session.execute(
                    select(Alert.case_id, Alert.channel).where(
                        Alert.case_id.in_([c.id for c in cases])
                    )
                ).all()
            )
            rows = [
                {"case_id": c.id, "channel": ch.name, "state": "pending", "created_at": utcnow()}
                for c in cases
                for ch in self.channels
                if ch.wants(needs_security(c.urgent_kind)) and (c.id, ch.name) not in known
            ]
            if rows:
                dialect = session.get_bind().dialect.name
                insert = pg_insert if dialect == "postgresql" else sqlite_insert
                session.execute(
                    insert(Alert)
                    .values(rows)
                    .on_conflict_do_nothing(index_elements=["case_id", "channel"])
                )
            session.commit()

    def _claim(self, now: datetime, names: set[str]) -> tuple[int, int, str] | None:
        with self.sessions() as session:
            due = or_(
                Alert.state == "pending",
                (Alert.state.in_(("sending", "failed"))) & (Alert.claimed_until < now),
            )
            rows = session.execute(
                select(Alert.id, Alert.case_id, Alert.channel, Alert.attempts)
                .where(due, Alert.channel.in_(names), Alert.attempts < MAX_ATTEMPTS)
                .order_by(Alert.id)
                .limit(5)
            ).all()
            for row in rows:
                taken = session.execute(
                    update(Alert)
                    .where(Alert.id == row.id, Alert.attempts == row.attempts, due)
                    .values(
                        state="sending",
                        attempts=row.attempts + 1,
                        claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
                    )
                    .execution_options(synchronize_session=False)
                )
                if taken.rowcount == 1:
                    session.commit()
                    return row.id, row.case_id, row.channel
            return None

    def _deliver(self, alert_id: int, case_id: int, channel: Channel, now: datetime) -> int:
        with self.sessions() as session:
            case = session.get(Case, case_id)
            assert case is not None
            message = alert_message(
                case,
                case.opening_post,
                self.forum_url,
                self.console_url,
                needs_security(case.urgent_kind),
            )
        try:
            channel.send(message)
        except AlertError as exc:
            log.error("alert for case %s via %s failed: %s", case_id, channel.name, exc)
            self._finish(alert_id, case_id, channel, "failed", str(exc), now)
            return 0
        self._finish(alert_id, case_id, channel, "sent", None, now)
        log.info("alert for case %s sent via %s", case_id, channel.name)
        return 1

    def _finish(
        self,
        alert_id: int,
        case_id: int,
        channel: Channel,
        state: str,
        error: str | None,
        now: datetime,
    ) -> None:
        with self.sessions() as session:
            alert = session.get(Alert, alert_id)
            assert alert is not None
            alert.state, alert.last_error = state, error
            if state == "sent":
                alert.sent_at, alert.claimed_until = utcnow(), None
            else:
                alert.claimed_until = now + timedelta(seconds=RETRY_SECONDS * alert.attempts)
            audit.record(
                session,
                actor=ACTOR,
                entity_type="case",
                entity_id=case_id,
                action="alert_sent" if state == "sent" else "alert_failed",
                reason=error or f"已通过{channel.label}发出紧急提醒",
                details={"channel": channel.name, "attempt": alert.attempts},
            )
            session.commit()


def case_alerts(session: Session, case_id: int) -> list[Alert]:
    """The alerts of one case, for its page."""
    return list(session.scalars(select(Alert).where(Alert.case_id == case_id).order_by(Alert.id)))
