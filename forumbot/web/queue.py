"""The agents' queue: one row per case with a reply waiting for an agent (owner, matter,
supporters, incident, urgency, time left), filtered and paged; the case page and the draft
actions are in case_pages and draft_actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import Select, select

from forumbot import workcalendar
from forumbot.cases.states import CASE_STATE_NAMES_ZH
from forumbot.classify.labels import LABEL_NAMES_ZH, LABELS, STYLE_NAMES_ZH
from forumbot.review.limits import LIMITS, problem
from forumbot.review.states import PENDING_APPROVAL, STATE_NAMES_ZH
from forumbot.storage.models import Department, Draft, utcnow
from forumbot.web import casework
from forumbot.web.auth import db, login_required, settings
from forumbot.web.casework import ACTIONABLE, COUNT_CAP
from forumbot.web.landing import home_endpoint, may_open_draft

bp = Blueprint("queue", __name__)
PAGE = 50
LAST_PAGE = -(-COUNT_CAP // PAGE)  # the count stops at COUNT_CAP, so do the pages
# Age filter: drafts waiting longer than this (or past their due time).
AGES = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "72h": timedelta(hours=72)}
SORTS = ("due", "newest", "oldest")


@dataclass(frozen=True)
class QueueFilter:
    """What the agent asked the queue for, read leniently from the query string.

    ``state`` is what the case's reply waits for: an agent's approval (the default), a new
    attempt after a failed publication, a department; ``all`` is any of them."""

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
            state=state if state in ACTIONABLE or state == "all" else PENDING_APPROVAL,
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
        """The drafts this view lets through (``query`` selects from Draft)."""
        query = query.where(Draft.kind == "reply")  # moderation proposals have their own page
        if self.state == "all":
            query = query.where(Draft.state.in_(ACTIONABLE))
        else:
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

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments for a link to this view with some changes (e.g. page);
        the defaults are left out, so a plain view has a plain URL."""
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
        defaults = {"state": PENDING_APPROVAL, "sort": "due", "page": 1}
        return {k: v for k, v in values.items() if v not in (None, "") and defaults.get(k) != v}

    def view_args(self) -> dict[str, Any]:
        """What a case page carries on to its next/previous steps: the view without its page."""
        return self.args(page=1)


@bp.get("/")
@login_required()
def index():  # type: ignore[no-untyped-def]
    return redirect(url_for(home_endpoint(g.user.role)))


def translated(names: dict[str, str]) -> dict[str, str]:
    """A name table in the reader's language, translated once per page, not once per row."""
    return {code: _(name) for code, name in names.items()}


@bp.get("/queue")
@login_required("agent")
def listing():  # type: ignore[no-untyped-def]
    wanted = QueueFilter.from_args(request.args)
    now = utcnow()
    # Counting every match of a broad view costs more than the page itself; past COUNT_CAP
    # the page says "more than".
    total = casework.count(db(), wanted, now)
    rows = casework.page(
        db(),
        wanted,
        now,
        user=g.user.username,
        claim_minutes=settings()["console.claim_minutes"],
        size=PAGE,
    )
    return render_template(
        "queue.html",
        rows=rows,
        wanted=wanted,
        total=min(total, COUNT_CAP),
        more=total > COUNT_CAP,
        pages=max(1, -(-min(total, COUNT_CAP) // PAGE)),
        now=now,
        states=ACTIONABLE,
        styles=translated(STYLE_NAMES_ZH),
        labels=translated(LABEL_NAMES_ZH),
        departments=db().scalars(select(Department).order_by(Department.id)).all(),
        state_names=translated(STATE_NAMES_ZH),
        case_states=translated(CASE_STATE_NAMES_ZH),
    )


def row_url(key: casework.RowKey, wanted: QueueFilter) -> str:
    """Where a queue row opens: its case page, or the draft page of a draft without a case."""
    if key.case_id is not None:
        return url_for("queue.case", case_id=key.case_id, **wanted.view_args())
    return url_for("queue.item", draft_id=key.draft_id, **wanted.view_args())


def neighbour(
    wanted: QueueFilter, current: casework.RowKey | None, *, forward: bool
) -> casework.RowKey | None:
    """The next (or previous) row of the agent's view that nobody else is editing."""
    now = utcnow()
    return casework.step(
        casework.order(db(), wanted, now),
        current,
        forward=forward,
        user=g.user.username,
        now=now,
        claim_minutes=settings()["console.claim_minutes"],
    )


def current_row(token: str | None) -> casework.RowKey | None:
    parsed = casework.parse_token(token)
    if parsed is None:
        return None
    kind, number = parsed
    return casework.RowKey(number, 0) if kind == "case" else casework.RowKey(None, number)


@bp.get("/queue/step")
@login_required("agent")
def step():  # type: ignore[no-untyped-def]
    """The next (``direction=next``) or previous case of the queue after the one named by
    ``from``, in the view the agent came from; back to the queue when there is none."""
    wanted = QueueFilter.from_args(request.args)
    forward = request.args.get("direction", "next") != "previous"
    found = neighbour(wanted, current_row(request.args.get("from")), forward=forward)
    if found is None:
        return redirect(url_for("queue.listing", **wanted.view_args()))
    return redirect(row_url(found, wanted))


def draft_for_user(draft_id: int) -> Draft:
    """The draft, if this user may act on it: moderators only on moderation proposals,
    agents only on replies (flagging or hiding a post is the moderators' decision)."""
    draft = db().get(Draft, draft_id)
    if draft is None:
        abort(404)
    if not may_open_draft(g.user.role, draft.kind):
        abort(403)
    return draft


@bp.app_context_processor
def form_limits() -> dict[str, Any]:
    """Every form's maxlength comes from the same table the server checks."""
    return {"limits": LIMITS}


@bp.app_template_filter("beijing")
def beijing(moment: datetime, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time as people here read it: Beijing time."""
    return workcalendar.format_beijing(moment, pattern)


# The case and draft pages and the actions on a draft register their routes on ``bp``
# (hence the imports after it).
from forumbot.web import case_pages, draft_actions  # noqa: E402, F401
