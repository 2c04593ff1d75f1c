"""Incident pages: open incidents by size and age, and one incident with its member cases,
where an agent confirms it, takes a case out of it, merges it into another incident, and
writes the public statement every member case's reply can carry. Agents and admins only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from forumbot.cases import incidents
from forumbot.cases.states import (
    ANSWERED,
    CASE_STATES,
    CLOSED,
    OPEN,
    RESOLVED,
    UNRESOLVED,
    WAITING_DEPARTMENT,
)
from forumbot.cases.writing import open_reply
from forumbot.review import case_stats
from forumbot.review.errors import ReviewError
from forumbot.storage import audit
from forumbot.storage.models import Case, Incident, utcnow
from forumbot.textsafety import neutralise
from forumbot.web.auth import act, db, login_required, run_action, settings

bp = Blueprint("incidents", __name__)

STATEMENT_MAX = 2000


def incident_state_names() -> dict[str, str]:
    """An incident's state as the reader says it (suggested by the bot, confirmed, closed)."""
    return {"suggested": _("待确认"), "confirmed": _("已确认"), "closed": _("已关闭")}


def request_state_names() -> dict[str, str]:
    return {"open": _("待答复"), "answered": _("已答复"), "closed": _("已关闭")}


def case_state_names() -> dict[str, str]:
    """The case states (``forumbot.cases.states``) in the reader's language."""
    names = {
        OPEN: _("处理中"),
        WAITING_DEPARTMENT: _("等待部门答复"),
        ANSWERED: _("已答复"),
        RESOLVED: _("已解决"),
        UNRESOLVED: _("未解决"),
        CLOSED: _("已关闭"),
    }
    assert set(names) == set(CASE_STATES)
    return names


def _incident(incident_id: int) -> Incident:
    incident = db().get(Incident, incident_id)
    if incident is None:
        abort(404)
    return incident


def _still_open(incident: Incident) -> None:
    if incident.state == "closed":
        raise ReviewError(f"事件 #{incident.id} 已关闭（已并入其他事件或已没有案件），不能再操作")


def topic_url(topic_id: int) -> str:
    """The topic on the forum, for people to open (and to link from a statement)."""
    return f"{settings()['forum.base_url'].rstrip('/')}/t/{topic_id}"


def case_url(case: Case) -> str | None:
    """The case's page in the console, else its reply in progress, else nothing."""
    try:
        return url_for("queue.case", case_id=case.id)
    except BuildError:
        reply = open_reply(db(), case)
        return url_for("queue.item", draft_id=reply.id) if reply is not None else None


def statement_text(incident: Incident, members: list[Case]) -> str | None:
    """What an agent pastes into a member case's reply: the statement and where it stands."""
    if not incident.statement or not members:
        return None
    home = min(members, key=lambda c: (c.opened_at, c.id))
    return f"【事件公告】{incident.statement}\n详情及后续进展请见：{topic_url(home.topic_id)}"


def save_statement(incident_id: int, text: str, actor: str) -> Incident:
    """Keep the incident's public statement (one per incident; a new text replaces it)."""
    incident = db().get(Incident, incident_id)
    if incident is None:
        raise ReviewError(f"事件 #{incident_id} 不存在")
    _still_open(incident)
    text = neutralise(text).replace("\r\n", "\n").strip()
    if not text:
        raise ReviewError("事件公告不能为空，请填写后再提交")
    if len(text) > STATEMENT_MAX:
        raise ReviewError(
            f"事件公告最多 {STATEMENT_MAX} 个字，现在有 {len(text)} 个字，请精简后再提交"
        )
    before = incident.statement
    incident.statement = text
    audit.record(
        db(),
        actor=actor,
        entity_type="incident",
        entity_id=incident.id,
        action="incident_statement",
        to_state=incident.state,
        reason="更新事件公告" if before else "发布事件公告",
        details={"sha256": audit.text_sha256(text)},
    )
    return incident


@bp.get("/incidents")
@login_required("agent")
def listing():  # type: ignore[no-untyped-def]
    return render_template(
        "incidents.html",
        rows=case_stats.open_incidents(db(), limit=None),
        now=utcnow(),
        state_names=incident_state_names(),
        request_names=request_state_names(),
    )


def _page(incident: Incident, error: str | None = None, statement: str | None = None) -> Any:
    members = incidents.members(db(), incident.id)
    rows = case_stats.open_incidents(db(), limit=None)
    summary = next((r for r in rows if r.id == incident.id), None)
    others = [r for r in rows if r.id != incident.id]
    page = render_template(
        "incident.html",
        incident=incident,
        summary=summary,
        members=members,
        others=others,
        case_url=case_url,
        topic_url=topic_url,
        snippet=statement_text(incident, members),
        statement=incident.statement if statement is None else statement,
        error=error,
        now=utcnow(),
        state_names=incident_state_names(),
        request_names=request_state_names(),
        case_state_names=case_state_names(),
        statement_max=STATEMENT_MAX,
    )
    return page, 400 if error else 200


@bp.get("/incidents/<int:incident_id>")
@login_required("agent")
def item(incident_id: int):  # type: ignore[no-untyped-def]
    return _page(_incident(incident_id))


@bp.post("/incidents/<int:incident_id>/confirm")
@login_required("agent")
def confirm(incident_id: int):  # type: ignore[no-untyped-def]
    incident = _incident(incident_id)

    def action() -> Incident:
        _still_open(incident)
        return incidents.confirm(db(), incident_id, actor=g.user.username)

    here = url_for("incidents.item", incident_id=incident_id)
    return act(action, done=_("已确认事件 #%(id)s", id=incident_id), done_url=here, retry_url=here)


@bp.post("/incidents/<int:incident_id>/split")
@login_required("agent")
def split(incident_id: int):  # type: ignore[no-untyped-def]
    incident = _incident(incident_id)
    case_id = request.form.get("case_id", type=int)

    def action() -> Case:
        _still_open(incident)
        case = db().get(Case, case_id) if case_id else None
        if case is None or case.incident_id != incident_id:
            raise ReviewError(f"案件 #{case_id or '?'} 不属于事件 #{incident_id}")
        return incidents.split_case(db(), case.id, actor=g.user.username)

    here = url_for("incidents.item", incident_id=incident_id)
    return act(
        action,
        done=_("已将案件 #%(case)s 移出事件 #%(id)s", case=case_id, id=incident_id),
        done_url=here,
        retry_url=here,
    )


@bp.post("/incidents/<int:incident_id>/merge")
@login_required("agent")
def merge(incident_id: int):  # type: ignore[no-untyped-def]
    incident = _incident(incident_id)
    target = request.form.get("into", type=int)

    def action() -> Incident:
        _still_open(incident)
        if target is None:
            raise ReviewError("请选择要并入的事件")
        keep = db().get(Incident, target)
        if keep is not None:
            _still_open(keep)
        return incidents.merge(db(), target, incident_id, actor=g.user.username)

    here = url_for("incidents.item", incident_id=incident_id)
    return act(
        action,
        done=_("事件 #%(id)s 已并入事件 #%(into)s", id=incident_id, into=target),
        done_url=lambda: url_for("incidents.item", incident_id=target),
        retry_url=here,
    )


@bp.post("/incidents/<int:incident_id>/statement")
@login_required("agent")
def statement(incident_id: int):  # type: ignore[no-untyped-def]
    _incident(incident_id)
    text = request.form.get("statement", "").replace("\r\n", "\n")
    return run_action(
        lambda: save_statement(incident_id, text, g.user.username),
        done=lambda _incident: _("已保存事件 #%(id)s 的公告", id=incident_id),
        landing=lambda _incident: url_for("incidents.item", incident_id=incident_id) + "#statement",
        refused=lambda message: _page(_incident(incident_id), error=message, statement=text),
    )
