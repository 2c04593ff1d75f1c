"""A short publishing lease, kept alive by a heartbeat while the attempt runs.

A worker that claims a draft owns it until ``lease_until``. A long lease makes a crash cost
that long before another worker recovers the draft; a short one could expire while a slow
reply POST is still in flight, and a second worker would post the reply again. So the lease is
short and a heartbeat thread renews it every third of its length for as long as the attempt
runs: a live worker never loses it, a killed one stops renewing and its draft is recovered
one lease later (the recovering worker looks for the reply's marker before posting).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from types import TracebackType

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from forumbot.review.states import PUBLISHING
from forumbot.storage.models import Draft, utcnow

log = logging.getLogger(__name__)


def renew(sessions: sessionmaker[Session], draft_id: int, owner: str, lease_seconds: float) -> bool:
    """Push the lease of a draft this worker is publishing; False if it is no longer ours."""
    with sessions() as session:
        renewed = session.execute(
            update(Draft)
            .where(Draft.id == draft_id, Draft.state == PUBLISHING, Draft.lease_owner == owner)
            .values(lease_until=utcnow() + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)
        )
        session.commit()
    return renewed.rowcount == 1


class Heartbeat:
    """Renew a draft's lease in the background while the ``with`` block runs."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        draft_id: int,
        owner: str,
        lease_seconds: float,
    ):
        self.sessions, self.draft_id, self.owner = sessions, draft_id, owner
        self.lease_seconds = lease_seconds
        self.lost = threading.Event()  # set when the lease turned out to be someone else's
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{draft_id}", daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(self.lease_seconds / 3):
            try:
                if not renew(self.sessions, self.draft_id, self.owner, self.lease_seconds):
                    self.lost.set()
                    return
            except SQLAlchemyError as exc:  # try again next beat; the lease still runs
                log.warning("could not renew the lease of draft %s: %s", self.draft_id, exc)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
