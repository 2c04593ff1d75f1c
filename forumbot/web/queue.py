"""The agents' queue: find drafts and read one in its thread with the model's reasons; the
actions on it (approve, reject, relabel, restyle, send to a department) are in draft_actions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from forumbot import workcalendar
from forumbot.cases import drafts
from forumbot.classify.labeller import latest_classification
from forumbot.classify.labels import LABEL_NAMES_ZH, LABELS, STYLE_NAMES_ZH, STYLES
from forumbot.review import claims
from forumbot.review.limits import LIMITS, problem
from forumbot.review.states import (
    AWAITING_SPECIALIST,
    FAILED,
    PENDING_APPROVAL,
    STATE_NAMES_ZH,
    STATES,
)
from forumbot.storage import audit
from forumbot.storage.models import Department, Draft, utcnow
from forumbot.web.auth import db, login_required, settings, topic_thread
from forumbot.web.landing import home_endpoint, may_open_draft

bp = Blueprint("queue", __name__)
PAGE = 50
COUNT_CAP = 1000
LAST_PAGE = -(-COUNT_CAP // PAGE)  # the count stops at COUNT_CAP, so do the pages
# Age filter: drafts waiting longer than this (or past their due time).
AGES = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "72h": timedelta(hours=72)}
SORTS = ("due", "newest", "oldest")
ACTIONABLE = (PENDING_APPROVAL, AWAITING_SPECIALIST, FAILED)


@dataclass(frozen=True)
class QueueFilter:
    """What the agent asked the queue for, read leniently from the query string."""

    state: str = PENDING_APPROVAL
    style: str | None = None
    label: str | None = None
    department: str | None = None
    age: str | None = None
    sort: str = "due"
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> QueueFilter:
        state = args.get("state", PENDING_APPROVAL)
        style = args.get("style") or None
        department = args.get("department")
        return cls(
            state=state if state in STATES or state == "all" else PENDING_APPROVAL,
            style=style if style in STYLE_NAMES_ZH else None,
            label=args.get("label") if args.get("label") in LABELS else None,
            department=department
            if department and not problem("queue_department", department)
            else None,
            age=args.get("age") if args.get("age") in (*AGES, "overdue") else None,
            sort=args.get("sort") if args.get("sort") in SORTS else "due",
            page=min(max(1, args.get("page", 1, type=int) or 1), LAST_PAGE),
        )

    def apply(self, query: Select[Any], now: datetime) -> Select[Any]:
        query = query.where(Draft.kind == "reply")  # moderation proposals have their own page
        if self.state != "all":
            query = query.where(Draft.state == self.state)
        if self.style:
            query = query.where(Draft.style == self.style)
        if self.label:
            query = query.where(Draft.label == self.label)
        if self.department:
            query = query.join(Department, Department.id == Draft.department_id).where(
                Department.code == self.department
            )
        if self.age == "overdue":
            query = query.where(Draft.due_at < now)
        elif self.age:
            query = query.where(Draft.created_at <= now - AGES[self.age])
        return query

    def order(self, query: Select[Any]) -> Select[Any]:
        if self.sort == "newest":
            return query.order_by(Draft.created_at.desc(), Draft.id.desc())
        if self.sort == "oldest":
            return query.order_by(Draft.created_at, Draft.id)
        # Every draft has a due time (write_draft sets it; migration 0003 filled in older ones),
        # so a plain ascending order can walk the (state, due_at) index on every database.
        return query.order_by(Draft.due_at, Draft.id)

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments for a link to this view with some changes (e.g. page)."""
        values = {
            "state": self.state,
            "style": self.style,
            "label": self.label,
            "department": self.department,
            "age": self.age,
            "sort": self.sort,
            "page": self.page,
            **changes,
        }
        return {k: v for k, v in values.items() if v not in (None, "", 1) or k == "state"}


@bp.get("/")
@login_required()
def index():  # type: ignore[no-untyped-def]
    return redirect(url_for(home_endpoint(g.user.role)))


def translated(names: dict[str, str]) -> dict[str, str]:
    """A name table in the reader's language, translated once per page, not once per row."""
    return {code: _(name) for code, name in names.items()}


def _context(draft: Draft) -> dict[str, Any]:
    return json.loads(draft.context) if draft.context else {}


@bp.get("/queue")
@login_required("agent")
def listing():  # type: ignore[no-untyped-def]
    wanted = QueueFilter.from_args(request.args)
    now = utcnow()
    query = wanted.apply(select(Draft), now)
    # Counting every match of a broad view (all 100,000 drafts) costs more than the page
    # itself; past COUNT_CAP the page says "more than".
    matching = wanted.apply(select(Draft.id), now).limit(COUNT_CAP + 1).subquery()
    total = db().scalar(select(func.count()).select_from(matching)) or 0
    page_drafts = (
        db()
        .scalars(
            wanted.order(query)
            .options(selectinload(Draft.post))
            .offset((wanted.page - 1) * PAGE)
            .limit(PAGE)
        )
        .all()
    )
    minutes = settings()["console.claim_minutes"]
    rows = [
        {
            "draft": d,
            "context": _context(d),
            "claim": claims.held_by_other(
                d.claimed_by, d.claimed_at, g.user.username, now, minutes
            ),
        }
        for d in page_drafts
    ]
    return render_template(
        "queue.html",
        rows=rows,
        wanted=wanted,
        total=min(total, COUNT_CAP),
        more=total > COUNT_CAP,
        pages=max(1, -(-min(total, COUNT_CAP) // PAGE)),
        now=now,
        states=STATES,
        styles=translated(STYLE_NAMES_ZH),
        labels=translated(LABEL_NAMES_ZH),
        departments=db().scalars(select(Department).order_by(Department.id)).all(),
        state_names=translated(STATE_NAMES_ZH),
    )


def draft_for_user(draft_id: int) -> Draft:
    """The draft, if this user may act on it: moderators only on moderation proposals,
    agents only on replies (flagging or hiding a post is the moderators' decision)."""
    draft = db().get(Draft, draft_id)
    if draft is None:
        abort(404)
    if not may_open_draft(g.user.role, draft.kind):
        abort(403)
    return draft


def draft_page(
    draft: Draft, *, error: str | None = None, kept: dict[str, str] | None = None
) -> tuple[str, int]:
    """The draft page: thread, the model's label with alternatives, findings, actions. After a
    refused action it shows why (``error``) with what the person typed still in the form."""
    now = utcnow()
    holder = None
    if draft.state in ACTIONABLE and g.user.role != "moderator":
        holder = claims.claim(
            db(), draft.id, g.user.username, now, settings()["console.claim_minutes"]
        )
        db().commit()
    model_label = latest_classification(db(), draft.post_id)
    alternatives = (
        json.loads(model_label.alternatives) if model_label and model_label.alternatives else []
    )
    page = render_template(
        "draft.html",
        draft=draft,
        thread=topic_thread(draft.post),
        context=_context(draft),
        classification=model_label,
        alternatives=alternatives,
        holder=holder,
        now=now,
        label_names=LABEL_NAMES_ZH,
        labels=LABELS,
        styles=STYLES,
        style_names=STYLE_NAMES_ZH,
        departments={d.code: d for d in db().scalars(select(Department).order_by(Department.id))},
        state_names=STATE_NAMES_ZH,
        findings=drafts.reply_findings(draft),
        history=audit.history(db(), draft.id),
        error=error,
        kept=kept or {},
    )
    return page, 400 if error else 200


@bp.get("/drafts/<int:draft_id>")
@login_required("agent", "moderator")
def item(draft_id: int):  # type: ignore[no-untyped-def]
    return draft_page(draft_for_user(draft_id))


@bp.app_context_processor
def form_limits() -> dict[str, Any]:
    """Every form's maxlength comes from the same table the server checks."""
    return {"limits": LIMITS}


@bp.app_template_filter("beijing")
def beijing(moment: datetime, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time as people here read it: Beijing time."""
    return workcalendar.format_beijing(moment, pattern)


# The actions on a draft register their routes on ``bp`` (hence the import after it).
from forumbot.web import draft_actions  # noqa: E402, F401
