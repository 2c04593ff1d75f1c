"""The agents' queue: find drafts, read one in its thread with the model's reasons, and act:
approve (with the diff when edited), reject, relabel, restyle, send to a department."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from forumbot.classify.labeller import latest_classification
from forumbot.classify.labels import LABEL_NAMES_ZH, LABELS, STYLE_NAMES_ZH, STYLES
from forumbot.review import audit, claims, queue
from forumbot.review.diff import text_diff
from forumbot.review.errors import ReviewError
from forumbot.review.queue import DraftRef
from forumbot.review.states import (
    AWAITING_SPECIALIST,
    FAILED,
    PENDING_APPROVAL,
    STATE_NAMES_ZH,
    STATES,
)
from forumbot.storage.models import Department, Draft, utcnow
from forumbot.web.auth import act, db, drafter, login_required, settings, topic_thread

bp = Blueprint("queue", __name__)
PAGE = 50
COUNT_CAP = 1000
HOME = {"specialist": "departments.listing", "moderator": "moderation.listing"}
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
        return cls(
            state=state if state in STATES or state == "all" else PENDING_APPROVAL,
            style=style if style in STYLE_NAMES_ZH else None,
            label=args.get("label") if args.get("label") in LABELS else None,
            department=args.get("department") or None,
            age=args.get("age") if args.get("age") in (*AGES, "overdue") else None,
            sort=args.get("sort") if args.get("sort") in SORTS else "due",
            page=max(1, args.get("page", 1, type=int) or 1),
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
    return redirect(url_for(HOME.get(g.user.role, "queue.listing")))


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
    drafts = (
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
        for d in drafts
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


def _draft_for_user(draft_id: int) -> Draft:
    """The draft, if this user may act on it: moderators only on moderation proposals,
    agents only on replies."""
    draft = db().get(Draft, draft_id)
    if draft is None:
        abort(404)
    if g.user.role == "moderator" and draft.kind != "flag":
        abort(403)
    if g.user.role == "agent" and draft.kind == "flag":
        abort(403)  # flagging or hiding a post is the moderators' decision
    return draft


def _page(draft: Draft) -> str:
    """The draft page: thread, the model's label with alternatives, findings, actions."""
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
    return render_template(
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
        findings=queue.reply_findings(draft),
        history=audit.history(db(), draft.id),
    )


@bp.get("/drafts/<int:draft_id>")
@login_required("agent", "moderator")
def item(draft_id: int):  # type: ignore[no-untyped-def]
    return _page(_draft_for_user(draft_id))


def _revision() -> int | None:
    return request.form.get("revision", type=int)


def _back(draft_id: int) -> str:
    return url_for("queue.item", draft_id=draft_id)


def _confirm_page(draft: Draft, text: str, error: str | None = None) -> str:
    """The edited text beside the draft, with the checker's findings, to confirm or fix."""
    return render_template(
        "approve_confirm.html",
        draft=draft,
        text=text,
        diff=text_diff(draft.text, text),
        findings=queue.reply_findings(draft, text),
        override=request.form.get("override", ""),
        error=error,
    )


@bp.post("/drafts/<int:draft_id>/approve")
@login_required("agent", "moderator")
def approve(draft_id: int):  # type: ignore[no-untyped-def]
    """Approve as is in one click; an edited text first shows what changed, then is sent.
    A refusal of an edited text keeps the person's text on the page."""
    draft = _draft_for_user(draft_id)
    text = request.form.get("text")
    text = text.replace("\r\n", "\n") if text is not None else None
    edited = text is not None and text != draft.text
    if edited:
        try:
            queue.check_revision(draft, _revision())
        except ReviewError as exc:
            flash(str(exc), "error")
            return redirect(_back(draft_id))
        if not request.form.get("confirmed"):
            return _confirm_page(draft, text or "")
    try:
        queue.approve(
            db(),
            DraftRef(draft_id, _revision()),
            actor=g.user.username,
            text=text,
            override=request.form.get("override") or None,
        )
        claims.release(db(), draft_id, g.user.username)
        db().commit()
    except ReviewError as exc:
        db().rollback()
        if edited:
            return _confirm_page(_draft_for_user(draft_id), text or "", error=str(exc))
        flash(str(exc), "error")
        return redirect(_back(draft_id))
    flash(_("草稿 #%(id)s 已批准，将在下次发布时发出", id=draft_id), "ok")
    return redirect(url_for("queue.listing"))


@bp.post("/drafts/<int:draft_id>/reject")
@login_required("agent", "moderator")
def reject(draft_id: int):  # type: ignore[no-untyped-def]
    _draft_for_user(draft_id)

    def reject_and_release() -> None:
        queue.reject(
            db(),
            DraftRef(draft_id, _revision()),
            actor=g.user.username,
            reason=request.form.get("reason", ""),
        )
        claims.release(db(), draft_id, g.user.username)

    return act(
        reject_and_release,
        done=_("草稿 #%(id)s 已驳回", id=draft_id),
        done_url=url_for("queue.listing"),
        retry_url=_back(draft_id),
    )


def _redo(draft_id: int, action: Any, done: str) -> Any:
    """Run an action that replaces the draft with new ones and open the first new draft."""
    made: list[int] = []
    return act(
        lambda: made.extend(action()),
        done=done,
        done_url=lambda: _back(made[0]) if made else url_for("queue.listing"),
        retry_url=_back(draft_id),
    )


@bp.post("/drafts/<int:draft_id>/relabel")
@login_required("agent")
def relabel(draft_id: int):  # type: ignore[no-untyped-def]
    """A correction: the post gets a person's label (kept for training) and is drafted again."""
    from forumbot.review.redraft import relabel as relabel_post

    draft = _draft_for_user(draft_id)
    label = request.form.get("label", "")
    return _redo(
        draft_id,
        lambda: relabel_post(
            db(),
            draft.post,
            label,
            actor=g.user.username,
            drafter=drafter(),
            reason=request.form.get("reason", ""),
        ),
        _("已重新分类为%(label)s，草稿已按新标签重写", label=_(LABEL_NAMES_ZH.get(label, label))),
    )


@bp.post("/drafts/<int:draft_id>/restyle")
@login_required("agent")
def restyle(draft_id: int):  # type: ignore[no-untyped-def]
    from forumbot.review.redraft import restyle as restyle_draft

    _draft_for_user(draft_id)
    style = request.form.get("style", "")
    return _redo(
        draft_id,
        lambda: restyle_draft(
            db(), DraftRef(draft_id, _revision()), style, actor=g.user.username, drafter=drafter()
        ),
        _("已改为%(style)s，草稿已重写", style=_(STYLE_NAMES_ZH.get(style, style))),
    )


@bp.post("/drafts/<int:draft_id>/send")
@login_required("agent")
def send_to_department(draft_id: int):  # type: ignore[no-untyped-def]
    from forumbot.review.redraft import send_to_department as send

    _draft_for_user(draft_id)
    code = request.form.get("department", "")
    return _redo(
        draft_id,
        lambda: send(
            db(),
            DraftRef(draft_id, _revision()),
            code,
            actor=g.user.username,
            drafter=drafter(),
            note=request.form.get("note", ""),
        ),
        _("已转交专业部门，部门答复后统一回复会回到待审批队列"),
    )
