"""Admin pages for the reply template families: list them, edit one, preview it against a real
post, and save only the text that was previewed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from forumbot.classify.labels import LABEL_NAMES_ZH
from forumbot.config import ConfigError
from forumbot.drafting.edits import (
    EditError,
    TemplatePreview,
    candidate_templates,
    normalise_text,
    preview_template,
    save_validated,
)
from forumbot.drafting.resources import load_resources
from forumbot.drafting.templates import FAMILIES, ReplyTemplates
from forumbot.storage import audit
from forumbot.storage.models import AuditEntry, FollowUp, Post
from forumbot.texthash import text_sha256
from forumbot.web.admin import bp
from forumbot.web.admin.previews import (
    check_lengths,
    preview_label,
    preview_post,
    preview_view,
    previewed,
    sign_preview,
)
from forumbot.web.auth import db, login_required, paths, settings

FAMILY_NAMES_ZH = {
    "direct_answer": "直接回答（知识库答复）",
    "specialist": "专业类回复（部门答复后的统一回复）",
    "holding": "告知回复（等待部门答复期间）",
    "interactive": "互动式回复",
    "redirect_private": "转一对一沟通",
    "followup": "跟进回复（承诺到期时）",
    "satisfaction": "满意度回访（答复数日后确认是否解决）",
    "urgent": "紧急回复（危及人身安全：安全提示、当天回电、24小时值班电话）",
}


def _template_file(family: str) -> Path:
    if family not in FAMILIES:
        abort(404)
    return paths().templates / f"{family}.toml"


def _last_changes(entity_type: str) -> dict[int, AuditEntry]:
    latest: dict[int, AuditEntry] = {}
    for entry in db().scalars(
        select(AuditEntry).where(AuditEntry.entity_type == entity_type).order_by(AuditEntry.id)
    ):
        latest[entry.entity_id] = entry
    return latest


@bp.get("/templates")
@login_required("admin")
def templates():  # type: ignore[no-untyped-def]
    rows = []
    problem = None
    try:
        loaded = ReplyTemplates(paths().templates).families
    except ConfigError as exc:
        loaded, problem = {}, str(exc)
    changes = _last_changes("template")
    for number, family in enumerate(FAMILIES, 1):
        parts = loaded.get(family, [])
        rows.append(
            {
                "family": family,
                "name": FAMILY_NAMES_ZH[family],
                "parts": len(parts),
                "variants": sum(len(variants) for _part, variants in parts),
                "changed": changes.get(number),
            }
        )
    return render_template("admin/templates.html", rows=rows, problem=problem)


def _template_page(
    family: str, text: str, base: str, post_ref: str, status: int = 200, **extra: Any
) -> tuple[str, int]:
    page = render_template(
        "admin/template_edit.html",
        family=family,
        family_name=FAMILY_NAMES_ZH[family],
        label_names=LABEL_NAMES_ZH,
        text=text,
        base=base,
        post_ref=post_ref,
        **extra,
    )
    return page, status


def _render_template_preview(family: str, text: str, post: Post | None) -> TemplatePreview:
    promise = None
    if post is not None and family == "followup":
        promise = db().scalar(
            select(FollowUp.promise)
            .where(FollowUp.post_id == post.id)
            .order_by(FollowUp.id.desc())
            .limit(1)
        )
    return preview_template(
        load_resources(paths().config),
        paths().templates,
        family,
        text,
        preview_view(post),
        preview_label(post),
        settings()["drafting.kb_threshold"],
        promise=promise,
    )


@bp.get("/templates/<family>")
@login_required("admin")
def template_edit(family: str):  # type: ignore[no-untyped-def]
    text = _template_file(family).read_text(encoding="utf-8")
    post = preview_post(None, family)
    post_ref = str(post.forum_post_id) if post is not None else ""
    return _template_page(family, text, text_sha256(text), post_ref)


@bp.post("/templates/<family>/preview")
@login_required("admin")
def template_preview(family: str):  # type: ignore[no-untyped-def]
    _template_file(family)
    text = normalise_text(request.form.get("text", ""))
    base = request.form.get("base", "")
    post_ref = request.form.get("post", "")
    try:
        check_lengths({"text": "template_text"})
        post = preview_post(post_ref, family)
        result = _render_template_preview(family, text, post)
    except EditError as exc:
        return _template_page(family, text, base, post_ref, 400, error=str(exc))
    token = sign_preview("template", family, text, base, preview_view(post).forum_post_id)
    return _template_page(
        family,
        text,
        base,
        str(preview_view(post).forum_post_id),
        result=result,
        post=preview_view(post),
        token=token,
    )


@bp.post("/templates/<family>/save")
@login_required("admin")
def template_save(family: str):  # type: ignore[no-untyped-def]
    where = _template_file(family)
    text = normalise_text(request.form.get("text", ""))
    base = request.form.get("base", "")
    post_ref = request.form.get("post", "")
    try:
        check_lengths({"text": "template_text"})
        claim = previewed("template", family, text)
        post = preview_post(str(claim["post"]), family)
        _render_template_preview(family, text, post)  # the same checks as the preview
        old_text = where.read_text(encoding="utf-8")
        if old_text == text:
            flash(_("内容没有变化，未保存"), "ok")
            return redirect(url_for("admin.templates"))
        save_validated(
            where,
            text,
            lambda temp: candidate_templates(where.parent, family, temp.read_text("utf-8")),
            expected_sha256=claim["base"],
        )
    except EditError as exc:
        return _template_page(family, text, base, post_ref, 400, error=str(exc))
    audit.record(
        db(),
        actor=g.user.username,
        entity_type="template",
        entity_id=FAMILIES.index(family) + 1,
        action="template_edit",
        details={
            "family": family,
            "old_sha256": text_sha256(old_text),
            "new_sha256": text_sha256(text),
            "preview_post": claim["post"],
        },
    )
    db().commit()
    flash(_("模板 %(family)s 已保存，下一次起草即使用新写法", family=family), "ok")
    return redirect(url_for("admin.templates"))
