"""The bot run in-process against the sandbox forum, and what an agent would see of its cases:
shared by the case tests (threads, incidents). Real parts only: the shipped classifier and
templates, a real database, the sandbox over HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from forumbot.cases import drafts as case_drafts
from forumbot.cases.drafts import DraftRef
from forumbot.cases.jobs import DraftingJob
from forumbot.cases.redraft import answer_request
from forumbot.intake.poller import Poller
from forumbot.labelling.labeller import Labeller
from forumbot.publish.publisher import Publisher
from forumbot.storage.models import Case, DepartmentRequest, Draft, Post

AGENT = "王小明"
# Draft states an agent (or a department) still has to act on.
WAITING_FOR_AGENT = ("pending_approval", "failed")


@dataclass
class CaseSeen:
    """A case as the console lists it."""

    id: int
    topic_id: int
    owner: str
    state: str
    reopened: int
    incident_id: int | None
    supporters: list[str]
    drafts: list[Draft] = field(default_factory=list)
    requests: list[DepartmentRequest] = field(default_factory=list)

    def waiting(self, style: str | None = None) -> list[Draft]:
        """The case's drafts waiting for an agent (optionally of one style)."""
        return [
            d
            for d in self.drafts
            if d.state in WAITING_FOR_AGENT and (style is None or d.style == style)
        ]

    def reply(self) -> Draft:
        """The one reply waiting for an agent that is not a holding reply."""
        [draft] = [d for d in self.waiting() if d.style != "holding"]
        return draft

    def awaiting_department(self) -> list[Draft]:
        return [d for d in self.drafts if d.state == "awaiting_specialist"]

    def open_requests(self) -> list[DepartmentRequest]:
        return [r for r in self.requests if r.state == "open"]


class CaseBot:
    """The bot's jobs against the sandbox, one round at a time, and the agent's view."""

    def __init__(self, sessions, client, classifier, drafter):  # type: ignore[no-untyped-def]
        self.sessions = sessions
        self.poller = Poller(sessions=sessions, source=client, bot_username="forumbot")
        self.labeller = Labeller(sessions, classifier)
        self.drafting = DraftingJob(sessions, drafter)
        self.publisher = Publisher(
            sessions=sessions, forum=client, bot_username="forumbot", retry_delay=0
        )
        self.drafter = drafter

    def take_in(self) -> None:
        """Intake, labelling and drafting, as one round of `forumbot run` does."""
        for _ in range(3):  # a topic's later posts wait for its earlier ones to be labelled
            self.poller.run_once()
            self.labeller.run_once()
            if not self.drafting.run_once():
                break

    # -- what the agent sees ------------------------------------------------------------------
    def _seen(self, session: Session, case: Case) -> CaseSeen:
        supporters = session.scalars(
            select(Post.username)
            .where(Post.case_id == case.id, Post.case_role == "supporter")
            .order_by(Post.post_number)
        ).all()
        drafts = session.scalars(
            select(Draft).where(Draft.case_id == case.id).order_by(Draft.id)
        ).all()
        requests = session.scalars(
            select(DepartmentRequest)
            .options(selectinload(DepartmentRequest.department))
            .where(DepartmentRequest.case_id == case.id)
            .order_by(DepartmentRequest.id)
        ).all()
        return CaseSeen(
            case.id,
            case.topic_id,
            case.owner,
            case.state,
            case.reopened,
            case.incident_id,
            list(dict.fromkeys(supporters)),
            list(drafts),
            list(requests),
        )

    def cases(self, topic_id: int) -> list[CaseSeen]:
        with self.sessions() as s:
            rows = s.scalars(select(Case).where(Case.topic_id == topic_id).order_by(Case.id))
            return [self._seen(s, c) for c in rows]

    def case(self, topic_id: int) -> CaseSeen:
        [only] = self.cases(topic_id)
        return only

    def roles(self, topic_id: int) -> dict[int, tuple[str | None, str | None]]:
        """post number -> (its role, the owner of the case it was filed into)."""
        with self.sessions() as s:
            owners = dict(s.execute(select(Case.id, Case.owner)).all())
            rows = s.execute(
                select(Post.post_number, Post.case_role, Post.case_id)
                .where(Post.topic_id == topic_id)
                .order_by(Post.post_number)
            ).all()
            return {n: (role, owners.get(case)) for n, role, case in rows}

    def drafts_of(self, forum_post_id: int) -> list[Draft]:
        with self.sessions() as s:
            return list(
                s.scalars(
                    select(Draft)
                    .join(Post)
                    .where(Post.forum_post_id == forum_post_id)
                    .order_by(Draft.id)
                )
            )

    def requests(self, state: str | None = None) -> list[DepartmentRequest]:
        with self.sessions() as s:
            query = (
                select(DepartmentRequest)
                .options(selectinload(DepartmentRequest.department))
                .order_by(DepartmentRequest.id)
            )
            if state:
                query = query.where(DepartmentRequest.state == state)
            return list(s.scalars(query))

    # -- what people do -----------------------------------------------------------------------
    def approve(self, draft_id: int) -> None:
        with self.sessions() as s:
            case_drafts.approve(s, DraftRef(draft_id), actor=AGENT)
            s.commit()

    def answer(self, request_id: int, text: str, *, actor: str = "工程部刘工") -> Draft:
        with self.sessions() as s:
            draft = answer_request(s, request_id, text, actor=actor, drafter=self.drafter)
            s.commit()
            return draft


def post(sandbox, raw: str, username: str, *, topic: dict | None = None, **fields) -> dict:  # type: ignore[no-untyped-def]
    """An owner posts on the forum: a new topic (``title=``), or a reply in ``topic``."""
    if topic is not None:
        fields["topic_id"] = topic["topic_id"]
    return sandbox.add_post(raw, username=username, **fields)


def our_replies(sandbox, topic_id: int) -> list[dict]:  # type: ignore[no-untyped-def]
    return [p for p in sandbox.posts_by("forumbot") if p["topic_id"] == topic_id]
