"""What a person does to a draft in the console: approve (with the diff when edited; "approve
and next" then opens the next case of the agent's queue), reject, relabel, restyle, send to a
department. Each checks the draft's state and the revision the form was read at (in the
review layer), lands on a page the person may open, and on a refusal shows the draft again
with the reason and what they typed."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from forumbot.cases import drafts
from forumbot.cases.drafts import DraftRef
from forumbot.classify.labels import LABEL_NAMES_ZH, STYLE_NAMES_ZH
from forumbot.review import claims
from forumbot.review.diff import text_diff
from forumbot.review.errors import ReviewError
from forumbot.review.limits import problem
from forumbot.storage.models import Draft, utcnow
from forumbot.web import casework
from forumbot.web.auth import db, drafter, login_required, run_action, settings
from forumbot.web.case_pages import case_of, draft_page
from forumbot.web.landing import after_draft_action, may_open_draft
from forumbot.web.queue import QueueFilter, bp, draft_for_user, row_url

# The approve form's second button: approve, then open the next case of the queue.
THEN_NEXT = "next"


def _revision() -> int | None:
    return request.form.get("revision", type=int)


def _field(name: str) -> str:
    return request.form.get(name, "").replace("\r\n", "\n")


def _refused(draft_id: int, **kept: str) -> Any:
    """Show the draft as it is now, with the refusal and the person's typed text."""
    return lambda message: draft_page(draft_for_user(draft_id), error=message, kept=kept)


def _kinds(ids: list[int]) -> list[tuple[int, str]]:
    """The new drafts (id, kind) in the order they were made."""
    kinds = {i: k for i, k in db().execute(select(Draft.id, Draft.kind).where(Draft.id.in_(ids)))}
    return [(i, kinds[i]) for i in ids if i in kinds]


def _confirm_page(draft: Draft, text: str, error: str | None = None) -> Any:
    """The edited text beside the draft, with the checker's findings, to confirm or fix."""
    page = render_template(
        "approve_confirm.html",
        draft=draft,
        text=text,
        diff=text_diff(draft.text, text),
        findings=drafts.reply_findings(draft, text),
        override=request.form.get("override", ""),
        then=request.form.get("then", ""),
        queue_args=QueueFilter.from_args(request.args).view_args(),
        error=error,
    )
    return page, 400 if error else 200


def _queue_order(draft: Draft) -> tuple[list[casework.Step], casework.RowKey] | None:
    """For "approve and next": the agent's view of the queue as it is before the approval,
    and the row of this draft in it."""
    if request.form.get("then") != THEN_NEXT or draft.kind != "reply":
        return None
    case = case_of(draft)
    steps = casework.order(db(), QueueFilter.from_args(request.args), utcnow())
    return steps, casework.RowKey(case.id if case else None, draft.id)


def _next_case(order: tuple[list[casework.Step], casework.RowKey]) -> str:
    """The next case after the approved one nobody else is editing, else the queue."""
    wanted = QueueFilter.from_args(request.args)
    steps, current = order
    found = casework.step(
        steps,
        current,
        forward=True,
        user=g.user.username,
        now=utcnow(),
        claim_minutes=settings()["console.claim_minutes"],
    )
    if found is None:
        flash(_("队列中已没有其他待处理的案件"), "ok")
        return url_for("queue.listing", **wanted.view_args())
    return row_url(found, wanted)


@bp.post("/drafts/<int:draft_id>/approve")
@login_required("agent", "moderator")
def approve(draft_id: int):  # type: ignore[no-untyped-def]
    """Approve as is in one click; an edited text first shows what changed, then is sent.
    A refusal of an edited text keeps the person's text on the page."""
    draft = draft_for_user(draft_id)
    kind = draft.kind
    order = _queue_order(draft)
    text = request.form.get("text")
    text = text.replace("\r\n", "\n") if text is not None else None
    edited = text is not None and text != draft.text
    kept = {"override": _field("override"), **({"text": text or ""} if edited else {})}
    if edited:
        found = problem("reply_text", text or "")
        if found:
            return draft_page(draft, error=found, kept=kept)
        try:
            drafts.check_revision(draft, _revision())
        except ReviewError as exc:
            flash(str(exc), "error")  # the new text is what they must read first
            return redirect(after_draft_action(g.user.role, kind, [(draft_id, kind)]))
        if not request.form.get("confirmed"):
            return _confirm_page(draft, text or "")
    try:
        drafts.approve(
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
            return _confirm_page(draft_for_user(draft_id), text or "", error=str(exc))
        return draft_page(draft_for_user(draft_id), error=str(exc), kept=kept)
    if kind == "flag":
        flash(_("处理建议 #%(id)s 已批准，将在下次发布时标记并隐藏该帖", id=draft_id), "ok")
    else:
        flash(_("草稿 #%(id)s 已批准，将在下次发布时发出", id=draft_id), "ok")
    if order is not None:
        return redirect(_next_case(order))
    return redirect(after_draft_action(g.user.role, kind))


@bp.post("/drafts/<int:draft_id>/reject")
@login_required("agent", "moderator")
def reject(draft_id: int):  # type: ignore[no-untyped-def]
    kind = draft_for_user(draft_id).kind
    reason = _field("reason")

    def reject_and_release() -> None:
        drafts.reject(db(), DraftRef(draft_id, _revision()), actor=g.user.username, reason=reason)
        claims.release(db(), draft_id, g.user.username)

    return run_action(
        reject_and_release,
        done=lambda _none: _("草稿 #%(id)s 已驳回", id=draft_id),
        landing=lambda _none: after_draft_action(g.user.role, kind),
        refused=_refused(draft_id, reason=reason),
    )


def _redo(draft_id: int, kind: str, action: Any, done: Any, refused: Any) -> Any:
    """Run an action that replaces the draft with new ones and open the first new draft the
    person may open; ``done`` says what happened, given the new drafts (id, kind)."""
    return run_action(
        action,
        done=lambda made: done(_kinds(made)),
        landing=lambda made: after_draft_action(g.user.role, kind, _kinds(made)),
        refused=refused,
    )


def _relabelled(label: str, made: list[tuple[int, str]]) -> str:
    """A relabel to abuse makes a proposal only moderators open; some labels get no reply."""
    name = _(LABEL_NAMES_ZH.get(label, label))
    if any(may_open_draft(g.user.role, kind) for _id, kind in made):
        return _("已重新分类为%(label)s，草稿已按新标签重写", label=name)
    if any(kind == "flag" for _id, kind in made):
        return _("已重新分类为%(label)s，处理建议已交给版主", label=name)
    return _("已重新分类为%(label)s，该帖不需要回复", label=name)


@bp.post("/drafts/<int:draft_id>/relabel")
@login_required("agent")
def relabel(draft_id: int):  # type: ignore[no-untyped-def]
    """A correction: the post gets a person's label (kept for training) and is drafted again."""
    from forumbot.cases.redraft import relabel as relabel_post

    draft = draft_for_user(draft_id)
    label, reason = request.form.get("label", ""), _field("reason")
    return _redo(
        draft_id,
        draft.kind,
        lambda: relabel_post(
            db(),
            draft.post,
            label,
            actor=g.user.username,
            drafter=drafter(),
            reason=reason,
            ref=DraftRef(draft_id, _revision()),
        ),
        lambda made: _relabelled(label, made),
        _refused(draft_id, relabel_reason=reason),
    )


@bp.post("/drafts/<int:draft_id>/restyle")
@login_required("agent")
def restyle(draft_id: int):  # type: ignore[no-untyped-def]
    from forumbot.cases.redraft import restyle as restyle_draft

    kind = draft_for_user(draft_id).kind
    style = request.form.get("style", "")
    return _redo(
        draft_id,
        kind,
        lambda: restyle_draft(
            db(), DraftRef(draft_id, _revision()), style, actor=g.user.username, drafter=drafter()
        ),
        lambda _made: _("已改为%(style)s，草稿已重写", style=_(STYLE_NAMES_ZH.get(style, style))),
        _refused(draft_id),
    )


@bp.post("/drafts/<int:draft_id>/send")
@login_required("agent")
def send_to_department(draft_id: int):  # type: ignore[no-untyped-def]
    from forumbot.cases.redraft import send_to_department as send

    kind = draft_for_user(draft_id).kind
    code, note = request.form.get("department", ""), _field("note")
    return _redo(
        draft_id,
        kind,
        lambda: send(
            db(),
            DraftRef(draft_id, _revision()),
            code,
            actor=g.user.username,
            drafter=drafter(),
            note=note,
        ),
        lambda _made: _("已转交专业部门，部门答复后统一回复会回到待审批队列"),
        _refused(draft_id, note=note),
    )
