"""Admin pages for the knowledge base: list entries, add or edit one, preview the answer it
gives to a real post, and save only the file text that was previewed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from forumbot.config import ConfigError
from forumbot.drafting.edits import (
    EditError,
    EntryForm,
    edit_entry,
    load_candidate,
    normalise_text,
    preview_knowledge,
    save_validated,
    split_list,
)
from forumbot.drafting.resources import load_knowledge, load_resources
from forumbot.drafting.templates import ReplyTemplates
from forumbot.storage import audit
from forumbot.texthash import text_sha256
from forumbot.web.admin import bp
from forumbot.web.admin.departments import configured_departments
from forumbot.web.admin.previews import (
    check_lengths,
    preview_label,
    preview_post,
    preview_view,
    previewed,
    sign_preview,
)
from forumbot.web.auth import db, login_required, paths, settings

ENTRY_FIELDS = {
    "title": "kb_title",
    "questions": "kb_questions",
    "keywords": "kb_keywords",
    "answer": "kb_answer",
}


def _knowledge_file() -> Path:
    return paths().config / "knowledge_base.toml"


@bp.get("/knowledge")
@login_required("admin")
def knowledge():  # type: ignore[no-untyped-def]
    problem = None
    try:
        entries = load_knowledge(_knowledge_file())
    except ConfigError as exc:
        entries, problem = (), str(exc)
    return render_template(
        "admin/knowledge.html",
        entries=entries,
        configured=configured_departments(),
        problem=problem,
    )


def _knowledge_page(
    entry: EntryForm, original: str, post_ref: str, status: int = 200, **extra: Any
) -> tuple[str, int]:
    page = render_template(
        "admin/knowledge_edit.html",
        entry=entry,
        original=original,
        post_ref=post_ref,
        configured=configured_departments(),
        threshold=settings()["drafting.kb_threshold"],
        **extra,
    )
    return page, status


@bp.get("/knowledge/new")
@login_required("admin")
def knowledge_new():  # type: ignore[no-untyped-def]
    post = preview_post(None, "direct_answer")
    blank = EntryForm("", "", (), (), "", "service")
    return _knowledge_page(blank, "", str(post.forum_post_id) if post else "")


@bp.get("/knowledge/entry/<entry_id>")
@login_required("admin")
def knowledge_edit(entry_id: str):  # type: ignore[no-untyped-def]
    found = [e for e in load_knowledge(_knowledge_file()) if e.id == entry_id]
    if not found:
        abort(404)
    post = preview_post(None, "direct_answer")
    return _knowledge_page(found[0], entry_id, str(post.forum_post_id) if post else "")


def _entry_from_form() -> tuple[EntryForm, str]:
    form = request.form
    original = form.get("original", "").strip()
    entry = EntryForm(
        id=original or form.get("id", "").strip(),
        title=" ".join(form.get("title", "").split()),
        questions=split_list(form.get("questions", "")),
        keywords=split_list(form.get("keywords", ""), commas=True),
        answer=normalise_text(form.get("answer", "")).strip(),
        department=form.get("department", ""),
    )
    return entry, original


def _candidate_knowledge(entry: EntryForm, original: str) -> tuple[str, str]:
    """(current file text, the file text with this entry changed or added)."""
    old_text = _knowledge_file().read_text(encoding="utf-8")
    new_text = edit_entry(
        old_text,
        entry,
        original_id=original or None,
        departments=configured_departments(),
    )
    return old_text, new_text


@bp.post("/knowledge/preview")
@login_required("admin")
def knowledge_preview():  # type: ignore[no-untyped-def]
    entry, original = _entry_from_form()
    post_ref = request.form.get("post", "")
    try:
        check_lengths(ENTRY_FIELDS)
        old_text, new_text = _candidate_knowledge(entry, original)
        entries = load_candidate(new_text, "knowledge_base.toml", load_knowledge)
        post = preview_post(post_ref, "direct_answer")
        resources = load_resources(paths().config)
        result = preview_knowledge(
            resources,
            ReplyTemplates(paths().templates),
            entries,
            entry.id,
            preview_view(post),
            preview_label(post),
            settings()["drafting.kb_threshold"],
        )
    except EditError as exc:
        return _knowledge_page(entry, original, post_ref, 400, error=str(exc))
    view = preview_view(post)
    token = sign_preview(
        "knowledge", original or entry.id, new_text, text_sha256(old_text), view.forum_post_id
    )
    return _knowledge_page(
        entry, original, str(view.forum_post_id), result=result, post=view, token=token
    )


@bp.post("/knowledge/save")
@login_required("admin")
def knowledge_save():  # type: ignore[no-untyped-def]
    entry, original = _entry_from_form()
    post_ref = request.form.get("post", "")
    try:
        check_lengths(ENTRY_FIELDS)
        old_text, new_text = _candidate_knowledge(entry, original)
        previewed("knowledge", original or entry.id, new_text)
        if new_text == old_text:
            flash(_("内容没有变化，未保存"), "ok")
            return redirect(url_for("admin.knowledge"))
        save_validated(
            _knowledge_file(), new_text, load_knowledge, expected_sha256=text_sha256(old_text)
        )
    except EditError as exc:
        return _knowledge_page(entry, original, post_ref, 400, error=str(exc))
    ids = [e.id for e in load_knowledge(_knowledge_file())]
    audit.record(
        db(),
        actor=g.user.username,
        entity_type="knowledge",
        entity_id=ids.index(entry.id) + 1,
        action="knowledge_edit" if original else "knowledge_add",
        details={
            "entry": entry.id,
            "old_sha256": text_sha256(old_text),
            "new_sha256": text_sha256(new_text),
        },
    )
    db().commit()
    flash(_("知识库条目 %(id)s 已保存，下一次起草即生效", id=entry.id), "ok")
    return redirect(url_for("admin.knowledge"))
