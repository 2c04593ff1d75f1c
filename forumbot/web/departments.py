"""Department pages: a department's open requests, each with its post and thread, and the
answer form; an answer becomes the unified reply in the agents' queue."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    g,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from forumbot.cases.views import urgent_first
from forumbot.storage.models import Department, DepartmentRequest, utcnow
from forumbot.web import casework
from forumbot.web.auth import db, drafter, login_required, run_action, topic_thread

bp = Blueprint("departments", __name__)


def _own_department(request_row: DepartmentRequest) -> None:
    """A specialist sees only the requests of their own department."""
    if g.user.role == "specialist" and request_row.department_id != g.user.department_id:
        abort(403)


@bp.get("/department")
@login_required("specialist")
def listing():  # type: ignore[no-untyped-def]
    query = (
        select(DepartmentRequest)
        .where(DepartmentRequest.state == "open")
        .order_by(*urgent_first(), DepartmentRequest.due_at)
    )
    if g.user.role == "specialist":
        query = query.where(DepartmentRequest.department_id == g.user.department_id)
    department = db().get(Department, g.user.department_id) if g.user.department_id else None
    rows = db().scalars(query).all()
    return render_template(
        "department.html",
        requests=rows,
        department=department,
        now=utcnow(),
        **case_context([r.case_id for r in rows], [r.incident_id for r in rows]),
    )


def case_context(case_ids: list[int | None], incident_ids: list[int | None]) -> dict[str, Any]:
    """Who each request is for: the case (owner, neighbours, incident) and, for a request that
    answers a whole incident, how many owners the answer reaches."""
    return {
        "cases": casework.summaries(db(), case_ids),
        "incident_owners": casework.incident_owners(db(), incident_ids),
    }


def _request_page(row: DepartmentRequest, error: str | None = None, answer: str = "") -> Any:
    """The request with its thread, the post it is about marked (and linked to by the anchor
    ``#post-<forum id>``), the agent's note, and the answer form; after a refusal, the reason
    and the answer as typed."""
    post = row.draft.post
    page = render_template(
        "department_request.html",
        row=row,
        post=post,
        **case_context([row.case_id], [row.incident_id]),
        thread=topic_thread(post),
        now=utcnow(),
        error=error,
        answer=answer,
    )
    return page, 400 if error else 200


@bp.route("/department/requests/<int:request_id>", methods=["GET", "POST"])
@login_required("specialist")
def answer(request_id: int):  # type: ignore[no-untyped-def]
    row = db().get(DepartmentRequest, request_id)
    if row is None:
        abort(404)
    _own_department(row)
    if request.method == "GET":
        return _request_page(row)
    from forumbot.cases.redraft import answer_request

    text = request.form.get("answer", "").replace("\r\n", "\n")
    return run_action(
        lambda: answer_request(db(), request_id, text, actor=g.user.username, drafter=drafter()),
        done=lambda _draft: _(
            "已答复请求 #%(id)s，统一回复已进入客服中心待审批队列", id=request_id
        ),
        landing=lambda _draft: url_for("departments.listing"),
        refused=lambda message: _request_page(_fresh(request_id), error=message, answer=text),
    )


def _fresh(request_id: int) -> DepartmentRequest:
    """The request as it is after a rolled-back action (someone may have answered it)."""
    row = db().get(DepartmentRequest, request_id)
    if row is None:
        abort(404)
    return row
