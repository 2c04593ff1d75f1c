"""The case page: the whole thread with our replies in it, the case's one draft with its
actions, supporters, incident, history and the owner's other cases. ``/drafts/<id>`` is the
same page with that draft in front (a draft without a case shows its topic only).

A claim ("someone is on it") is taken when the agent starts editing the reply, through a
small POST the page sends on the first keystroke, not when the page is opened.
"""

from __future__ import annotations

import json
from typing import Any

from flask import abort, current_app, g, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.routing import BuildError

from forumbot.cases import drafts, safety
from forumbot.cases.roles import ROLE_NAMES_ZH
from forumbot.cases.states import CASE_STATE_NAMES_ZH
from forumbot.classify.labels import LABEL_NAMES_ZH, LABELS, STYLE_NAMES_ZH, STYLES
from forumbot.labelling.labeller import latest_classification
from forumbot.review import claims
from forumbot.review.states import STATE_NAMES_ZH
from forumbot.storage.models import Case, Department, Draft, Incident, utcnow
from forumbot.web import case_story, casework, names
from forumbot.web.auth import act, db, login_required, settings
from forumbot.web.queue import QueueFilter, bp, draft_for_user
from forumbot.web.timing import ago

# Draft states in which an agent still works on a reply (edits it, and so claims it).
CLAIMABLE = casework.ACTIONABLE


def _context(draft: Draft | None) -> dict[str, Any]:
    return json.loads(draft.context) if draft is not None and draft.context else {}


def incident_url(incident_id: int) -> str | None:
    """The incidents page's entry for ``incident_id``, when the console has one (any GET
    route of the ``incidents`` blueprint that takes one id); None otherwise."""
    for rule in current_app.url_map.iter_rules():
        one_id = len(rule.arguments) == 1 and "GET" in (rule.methods or ())
        if rule.endpoint.startswith("incidents.") and one_id:
            try:
                return url_for(rule.endpoint, **{next(iter(rule.arguments)): incident_id})
            except BuildError:
                return None
    return None


@bp.app_context_processor
def case_links() -> dict[str, Any]:
    return {"incident_url": incident_url}


def case_of(draft: Draft) -> Case | None:
    """The case a draft belongs to: the one it was written for, else its post's."""
    case_id = draft.case_id or draft.post.case_id
    return db().get(Case, case_id) if case_id else None


def _draft_facts(draft: Draft | None) -> dict[str, Any]:
    """The model's label and reasons, the checker's findings, the draft's claim."""
    if draft is None:
        return {"classification": None, "alternatives": [], "findings": [], "holder": None}
    model_label = latest_classification(db(), draft.post_id)
    alternatives = (
        json.loads(model_label.alternatives) if model_label and model_label.alternatives else []
    )
    return {
        "classification": model_label,
        "alternatives": alternatives,
        "findings": drafts.reply_findings(draft),
        "holder": claims.held_by_other(
            draft.claimed_by,
            draft.claimed_at,
            g.user.username,
            utcnow(),
            settings()["console.claim_minutes"],
        ),
    }


def _case_facts(case: Case | None) -> dict[str, Any]:
    if case is None:
        return {"supporters": [], "incident": None, "members": [], "other_cases": []}
    # (supporter_count and incident_link are only read when there is a case)
    incident = db().get(Incident, case.incident_id) if case.incident_id else None
    return {
        "supporters": case_story.supporters(db(), case),
        "supporter_count": casework.supporter_counts(db(), [case.id]).get(case.id, 0),
        "incident": incident,
        "incident_link": incident_url(incident.id) if incident else None,
        "members": case_story.incident_members(db(), incident),
        "other_cases": case_story.owners_cases(db(), case),
    }


def render_case(
    case: Case | None,
    draft: Draft | None,
    *,
    error: str | None = None,
    kept: dict[str, str] | None = None,
) -> tuple[str, int]:
    """The page for ``case`` with ``draft`` in front. After a refused action it shows why
    (``error``) with what the person typed still in the form."""
    wanted = QueueFilter.from_args(request.args)
    all_drafts = case_story.case_drafts(db(), case) if case else [draft] if draft else []
    topic_id = case.topic_id if case else draft.post.topic_id  # type: ignore[union-attr]
    key = casework.RowKey(case.id if case else None, draft.id if draft else 0)
    page = render_template(
        "case.html",
        case=case,
        draft=draft,
        repeat=case is not None and casework.is_repeat(case),
        thread=case_story.thread(db(), topic_id),
        topic_cases=case_story.topic_cases(db(), topic_id),
        in_progress=[d for d in all_drafts if d is not draft and d.state in casework.ACTIONABLE],
        history=case_story.history(db(), case, [d.id for d in all_drafts]),
        context=_context(draft),
        now=utcnow(),
        wanted=wanted,
        queue_args=wanted.view_args(),
        step_args={**wanted.view_args(), "from": key.token},
        label_names=LABEL_NAMES_ZH,
        labels=LABELS,
        styles=STYLES,
        style_names=STYLE_NAMES_ZH,
        state_names=STATE_NAMES_ZH,
        case_states=CASE_STATE_NAMES_ZH,
        any_states=names.ANY_STATE_NAMES_ZH,
        role_names=ROLE_NAMES_ZH,
        action_name=names.action_name,
        is_system=names.is_system,
        system_name=names.SYSTEM_ACTOR_ZH,
        departments={d.code: d for d in db().scalars(select(Department).order_by(Department.id))},
        error=error,
        kept=kept or {},
        **_draft_facts(draft),
        **_case_facts(case),
    )
    return page, 400 if error else 200


def draft_page(
    draft: Draft, *, error: str | None = None, kept: dict[str, str] | None = None
) -> tuple[str, int]:
    """The page of ``draft``: its case's page with this draft in front."""
    return render_case(case_of(draft), draft, error=error, kept=kept)


@bp.get("/cases/<int:case_id>", endpoint="case")
@login_required("agent")
def case_view(case_id: int):  # type: ignore[no-untyped-def]
    found = db().get(Case, case_id)
    if found is None:
        abort(404)
    return render_case(found, case_story.current_draft(case_story.case_drafts(db(), found)))


@bp.get("/drafts/<int:draft_id>")
@login_required("agent", "moderator")
def item(draft_id: int):  # type: ignore[no-untyped-def]
    return draft_page(draft_for_user(draft_id))


@bp.post("/drafts/<int:draft_id>/claim")
@login_required("agent")
def claim(draft_id: int):  # type: ignore[no-untyped-def]
    """The agent started editing the reply: take it, unless someone else is on it (then
    say who, so the page can tell the agent before they write more)."""
    draft = draft_for_user(draft_id)
    if draft.state not in CLAIMABLE:
        message = _("此草稿当前状态为%(state)s，无需再处理", state=_(STATE_NAMES_ZH[draft.state]))
        return jsonify({"claimed": False, "message": message}), 409
    now = utcnow()
    holder = claims.claim(db(), draft.id, g.user.username, now, settings()["console.claim_minutes"])
    db().commit()
    if holder is None:
        return jsonify({"claimed": True})
    message = _(
        "%(name)s 在%(ago)s开始修改此草稿，可能正在处理。请先与其确认，避免重复审批。",
        name=holder.holder,
        ago=ago(holder.since, now),
    )
    return jsonify({"claimed": False, "holder": holder.holder, "message": message}), 409


@bp.post("/cases/<int:case_id>/flags/<flag>/clear")
@login_required("supervisor")
def clear_flag(case_id: int, flag: str):  # type: ignore[no-untyped-def]
    """A supervisor takes a false urgent or sensitive flag off a case, with a reason."""
    found = db().get(Case, case_id)
    if found is None or flag not in safety.FLAGS:
        abort(404)
    here = url_for("queue.case", case_id=case_id)
    return act(
        lambda: safety.clear_flag(
            db(), found, flag, g.user.username, request.form.get("reason", "")
        ),
        done=_(
            "已解除案件 #%(id)s 的“%(flag)s”标记", id=case_id, flag=_(safety.FLAG_NAMES_ZH[flag])
        ),
        done_url=here,
        retry_url=here,
    )
