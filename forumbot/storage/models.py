"""The tables: posts taken in, their labels, drafts and their audit trail, and who works here.

Times are stored as UTC. Drafts carry a ``revision`` so that an approval of a version
someone else has changed meanwhile is refused instead of silently winning.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; forumbot stores UTC-aware times only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Post(Base):
    """A forum post as last read from Discourse; one row per forum post id."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    forum_post_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    topic_id: Mapped[int] = mapped_column(BigInteger, index=True)
    post_number: Mapped[int] = mapped_column(Integer)
    reply_to_post_number: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(255))
    raw: Mapped[str] = mapped_column(Text)
    topic_title: Mapped[str | None] = mapped_column(Text)
    category_id: Mapped[int | None] = mapped_column(Integer)
    forum_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    forum_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why intake had to repair a field (e.g. raw missing); null for a clean post.
    intake_note: Mapped[str | None] = mapped_column(Text)
    # Where the post is in the pipeline: received -> labelled -> drafted.
    stage: Mapped[str] = mapped_column(String(32), default="received", index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The case the post belongs to and what it is there (forumbot.cases.roles): it opened the
    # case, updates it (the owner's follow-up), supports it (+1), is chatter, staff or abuse.
    # (A plain column, not a foreign key: cases point back at their opening post.)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    case_role: Mapped[str | None] = mapped_column(String(16))
    # Danger to people and matters a supervisor must read (forumbot.classify.urgency),
    # assessed whenever the post is labelled, whatever its label.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent_reason: Mapped[str | None] = mapped_column(Text)
    urgent_kind: Mapped[str | None] = mapped_column(String(32))
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    sensitive_reason: Mapped[str | None] = mapped_column(Text)

    drafts: Mapped[list[Draft]] = relationship(back_populates="post")


class Classification(Base):
    """A label given to a post, by the model or (as a correction) by a person."""

    __tablename__ = "classifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    label: Mapped[str] = mapped_column(String(32))
    confidence: Mapped[float | None] = mapped_column(Float)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    model_version: Mapped[str | None] = mapped_column(String(64))
    # The model's next-best labels, JSON [{"label": .., "confidence": ..}], for the reviewer.
    alternatives: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # "model" or "reviewer"
    created_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    response_days: Mapped[int] = mapped_column(Integer, default=3)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(255), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Raised on sign-out and password reset: sessions carrying an older number are refused.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


def new_public_id() -> str:
    return uuid.uuid4().hex


class Incident(Base):
    """Cases from several owners (and topics) about one matter at one place: one department
    request, one public statement that every member case's reply can carry."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(String(255))
    label: Mapped[str | None] = mapped_column(String(32))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    # suggested (by similarity, not yet looked at), confirmed (by an agent), closed
    state: Mapped[str] = mapped_column(String(16), default="suggested", index=True)
    statement: Mapped[str | None] = mapped_column(Text)  # the public statement, once written
    spike_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(255), default="system:cases")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Case(Base):
    """One owner's matter in one topic: the centre's unit of work. Later posts of the topic
    are its events; at most one reply to it is in progress at a time."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_state_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(BigInteger, index=True)
    owner: Mapped[str] = mapped_column(String(255), index=True)  # forum username
    opening_post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), unique=True)
    label: Mapped[str | None] = mapped_column(String(32))
    # open, waiting_department, answered, resolved, unresolved, closed (forumbot.cases.states)
    state: Mapped[str] = mapped_column(String(32), default="open", index=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent_reason: Mapped[str | None] = mapped_column(Text)
    urgent_kind: Mapped[str | None] = mapped_column(String(32))
    # Its replies need a second approval by a supervisor (forumbot.classify.sensitivity).
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    sensitive_reason: Mapped[str | None] = mapped_column(Text)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    place: Mapped[str | None] = mapped_column(String(255))  # community / building named
    matter: Mapped[str | None] = mapped_column(Text)  # a short summary for lists
    # Set when a case is a repeat of the owner's earlier one, or says it was reported before.
    repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(16))  # resolved / unresolved
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    opening_post: Mapped[Post] = relationship(foreign_keys=[opening_post_id])
    incident: Mapped[Incident | None] = relationship()


class CaseCorrection(Base):
    """A person moved a post between cases or changed its role: kept as training data."""

    __tablename__ = "case_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    role_before: Mapped[str | None] = mapped_column(String(16))
    role_after: Mapped[str] = mapped_column(String(16))
    case_before: Mapped[int | None] = mapped_column(Integer)
    case_after: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Draft(Base):
    """A proposed forum action (a reply, a private message, a flag) awaiting or past review."""

    __tablename__ = "drafts"
    __table_args__ = (
        Index("ix_drafts_state_lease", "state", "lease_until"),
        Index("ix_drafts_state_due", "state", "due_at"),
        Index("ix_drafts_state_created", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Unique across installations; written into the published reply as an invisible marker.
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="reply")
    # The label the draft was written under (the queue filters on it).
    label: Mapped[str | None] = mapped_column(String(32))
    style: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(32), index=True)
    # The department that owns the matter (for a specialist draft: the one asked to answer).
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    # The post version the text answers; a newer post version makes the draft stale.
    post_version: Mapped[int] = mapped_column(Integer, default=1)
    approved_by: Mapped[str | None] = mapped_column(String(255))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_text_sha256: Mapped[str | None] = mapped_column(String(64))
    # Attempts since the last approval; ``ever_attempted`` makes every later attempt look for
    # the marker first, even after a reviewer re-approved a failed draft.
    publish_attempts: Mapped[int] = mapped_column(Integer, default=0)
    ever_attempted: Mapped[bool] = mapped_column(Boolean, default=False)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    forum_reply_id: Mapped[int | None] = mapped_column(BigInteger)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # What the drafter decided, for the reviewer (JSON): style rule and reason, knowledge-base
    # match and score, department, notes.
    context: Mapped[str | None] = mapped_column(Text)
    # Who has the draft open in the console, and since when: a second agent sees "someone is
    # on it". Written with a plain UPDATE so that opening a draft does not bump ``revision``.
    # When the reply should be out: the first-reply target for a new post, the department's
    # due date for a unified reply, the promise's date for a follow-up. The queue sorts by it.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The two-person rule for sensitive cases: the first approval is recorded here and the
    # draft stays pending until a second person, a supervisor, approves the same text.
    needs_second_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    first_approved_by: Mapped[str | None] = mapped_column(String(255))
    first_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    post: Mapped[Post] = relationship(back_populates="drafts")
    case: Mapped[Case | None] = relationship()

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012


class DepartmentRequest(Base):
    """A specialist draft waiting for the department that owns the matter to supply the answer."""

    __tablename__ = "department_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # Set when the request answers a whole incident: its answer goes to every member case.
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    # open, answered, closed (no longer needed: its draft was superseded or its post deleted)
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)  # the agent's note to the department
    closed_reason: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(255))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    draft: Mapped[Draft] = relationship()
    department: Mapped[Department] = relationship()


class FollowUp(Base):
    """A promise with a time in a published reply; due means a follow-up draft is made."""

    __tablename__ = "followups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    promise: Mapped[str] = mapped_column(Text)
    excerpt: Mapped[str] = mapped_column(String(255))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open, drafted, closed
    followup_draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post] = relationship()


class Alert(Base):
    """One alert about an urgent case on one channel (the duty manager's mail, security's
    mail, a chat robot): at most one row per case and channel, so a restart never sends the
    same alert again."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("case_id", "channel", name="uq_alerts_case_channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    channel: Mapped[str] = mapped_column(String(64))
    # pending (to send), sending (claimed until claimed_until), sent, failed (retried later)
    state: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """One row per change: who, when, from, to, why. The database refuses updates and deletes."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(255))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text)  # JSON


class TrainingRun(Base):
    """A retraining started from the console: its progress, its log and the candidate it made.

    The candidate is not promoted by the run; an admin compares and promotes it."""

    __tablename__ = "training_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="running")  # running, succeeded, failed
    started_by: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    progress: Mapped[str | None] = mapped_column(Text)  # the last step reported
    log: Mapped[str | None] = mapped_column(Text)
    corrections: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[str | None] = mapped_column(String(64))  # the candidate model
    error: Mapped[str | None] = mapped_column(Text)


class IntakeCursor(Base):
    """How far intake has read. ``walk_*`` hold a backlog walk that has not reached the floor."""

    __tablename__ = "intake_cursor"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    high_water_mark: Mapped[int] = mapped_column(BigInteger, default=0)
    walk_top: Mapped[int | None] = mapped_column(BigInteger)
    walk_before: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class WebhookDelivery(Base):
    """Event ids already handled, so a replayed delivery changes nothing."""

    __tablename__ = "webhook_deliveries"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
