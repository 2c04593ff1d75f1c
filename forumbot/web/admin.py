"""Admin pages: users and roles, departments and response times, reply templates and the
knowledge base (each edit previewed against a real post before it is saved)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import case, func, select

from forumbot.classify.labeller import latest_classification
from forumbot.classify.labels import LABEL_NAMES_ZH
from forumbot.config import ConfigError
from forumbot.drafting.edits import (
    EditError,
    EntryForm,
    TemplatePreview,
    candidate_templates,
    edit_department,
    edit_entry,
    entry_form,
    load_candidate,
    normalise_text,
    parse_response_days,
    preview_knowledge,
    preview_template,
    save_validated,
    sha256_text,
    split_list,
)
from forumbot.drafting.engine import PostView
from forumbot.drafting.job import post_view, sync_departments
from forumbot.drafting.resources import load_departments, load_knowledge, load_resources
from forumbot.drafting.templates import FAMILIES, ReplyTemplates
from forumbot.review import audit
from forumbot.storage.models import (
    AuditEntry,
    Department,
    DepartmentRequest,
    Draft,
    FollowUp,
    Post,
    User,
    utcnow,
)
from forumbot.web.auth import act, db, login_required, paths, settings
from forumbot.web.users import (
    MIN_PASSWORD,
    ROLES,
    add_user,
    change_role,
    reset_password,
    set_active,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")

ADMIN_ENTITIES = ("user", "department", "template", "knowledge")
PREVIEW_MAX_AGE = 2 * 3600  # a preview older than this must be done again before saving
SAMPLE_POST = PostView(0, "请问物业费是按建筑面积还是套内面积算的？", "物业费怎么算", 1, "示例业主")


def _departments_file() -> Path:
    return paths().config / "departments.toml"


def _knowledge_file() -> Path:
    return paths().config / "knowledge_base.toml"


def _template_file(family: str) -> Path:
    if family not in FAMILIES:
        abort(404)
    return paths().templates / f"{family}.toml"


def _configured_departments() -> dict[str, Any]:
    return load_departments(_departments_file())[0]


@bp.get("/")
@login_required("admin")
def index():  # type: ignore[no-untyped-def]
    recent = db().scalars(
        select(AuditEntry)
        .where(AuditEntry.entity_type.in_(ADMIN_ENTITIES))
        .order_by(AuditEntry.id.desc())
        .limit(20)
    )
    return render_template("admin/index.html", recent=list(recent))


# --- users ------------------------------------------------------------------------------------


def _user(user_id: int) -> User:
    user = db().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _department_code(department_id: int | None) -> str | None:
    row = db().get(Department, department_id) if department_id else None
    return row.code if row else None


@bp.get("/users")
@login_required("admin")
def users():  # type: ignore[no-untyped-def]
    accounts = db().scalars(select(User).order_by(User.active.desc(), User.username)).all()
    departments = {d.id: d for d in db().scalars(select(Department))}
    return render_template(
        "admin/users.html",
        accounts=accounts,
        departments=departments,
        configured=_configured_departments(),
        roles=ROLES,
        min_password=MIN_PASSWORD,
    )


@bp.post("/users")
@login_required("admin")
def user_add():  # type: ignore[no-untyped-def]
    form = request.form
    name = form.get("username", "").strip()
    role = form.get("role", "")

    def action() -> None:
        user = add_user(
            db(),
            name,
            form.get("password", ""),
            role,
            form.get("department") or None,
            departments_file=_departments_file(),
        )
        audit.record(
            db(),
            actor=g.user.username,
            entity_type="user",
            entity_id=user.id,
            action="user_add",
            to_state=role,
            details={"username": user.username, "department": _department_code(user.department_id)},
        )

    return act(
        action,
        done=_("已添加用户 %(name)s", name=name),
        done_url=url_for("admin.users"),
        retry_url=url_for("admin.users"),
    )


@bp.post("/users/<int:user_id>/role")
@login_required("admin")
def user_role(user_id: int):  # type: ignore[no-untyped-def]
    user = _user(user_id)
    role = request.form.get("role", "")
    before_role, before_dept = user.role, _department_code(user.department_id)

    def action() -> None:
        change_role(
            db(),
            user,
            role,
            request.form.get("department") or None,
            by=g.user,
            departments_file=_departments_file(),
        )
        audit.record(
            db(),
            actor=g.user.username,
            entity_type="user",
            entity_id=user.id,
            action="user_role",
            from_state=before_role,
            to_state=role,
            details={
                "username": user.username,
                "department_from": before_dept,
                "department_to": _department_code(user.department_id),
            },
        )

    return act(
        action,
        done=_("已更改用户 %(name)s 的角色", name=user.username),
        done_url=url_for("admin.users"),
        retry_url=url_for("admin.users"),
    )


@bp.post("/users/<int:user_id>/active")
@login_required("admin")
def user_active(user_id: int):  # type: ignore[no-untyped-def]
    user = _user(user_id)
    active = request.form.get("active") == "1"

    def action() -> None:
        before = "active" if user.active else "inactive"
        set_active(db(), user, active, by=g.user)
        audit.record(
            db(),
            actor=g.user.username,
            entity_type="user",
            entity_id=user.id,
            action="user_reactivate" if active else "user_deactivate",
            from_state=before,
            to_state="active" if active else "inactive",
            details={"username": user.username},
        )

    done = (
        _("已重新启用用户 %(name)s", name=user.username)
        if active
        else _("已停用用户 %(name)s", name=user.username)
    )
    return act(action, done=done, done_url=url_for("admin.users"), retry_url=url_for("admin.users"))


@bp.post("/users/<int:user_id>/password")
@login_required("admin")
def user_password(user_id: int):  # type: ignore[no-untyped-def]
    user = _user(user_id)

    def action() -> None:
        reset_password(db(), user, request.form.get("password", ""))
        audit.record(
            db(),
            actor=g.user.username,
            entity_type="user",
            entity_id=user.id,
            action="user_password_reset",
            details={"username": user.username},
        )

    return act(
        action,
        done=_("已为用户 %(name)s 设置新密码，请通过安全渠道告知本人", name=user.username),
        done_url=url_for("admin.users"),
        retry_url=url_for("admin.users"),
    )


# --- departments ------------------------------------------------------------------------------


@bp.get("/departments")
@login_required("admin")
def departments():  # type: ignore[no-untyped-def]
    where = _departments_file()
    now = utcnow()
    counts = {
        code: (open_count, overdue or 0)
        for code, open_count, overdue in db().execute(
            select(
                Department.code,
                func.count(DepartmentRequest.id),
                func.sum(case((DepartmentRequest.due_at < now, 1), else_=0)),
            )
            .join(DepartmentRequest, DepartmentRequest.department_id == Department.id)
            .where(DepartmentRequest.state == "open")
            .group_by(Department.code)
        )
    }
    return render_template(
        "admin/departments.html",
        configured=_configured_departments(),
        counts=counts,
        base=sha256_text(where.read_text(encoding="utf-8")),
    )


@bp.post("/departments/<code>")
@login_required("admin")
def department_save(code: str):  # type: ignore[no-untyped-def]
    where = _departments_file()
    form = request.form
    try:
        before = _configured_departments().get(code)
        if before is None:
            abort(404)
        days = parse_response_days(form.get("response_days", ""))
        old_text = where.read_text(encoding="utf-8")
        new_text = edit_department(
            old_text,
            code,
            name=form.get("name", ""),
            description=form.get("description", ""),
            response_days=days,
        )
        save_validated(where, new_text, load_departments, expected_sha256=form.get("base", ""))
    except EditError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.departments"))
    after = _configured_departments()[code]
    rows = sync_departments(db(), _configured_departments())
    audit.record(
        db(),
        actor=g.user.username,
        entity_type="department",
        entity_id=rows[code].id,
        action="department_edit",
        details={
            "code": code,
            "name": [before.name, after.name],
            "response_days": [before.response_days, after.response_days],
            "description_changed": before.description != after.description,
            "old_sha256": sha256_text(old_text),
            "new_sha256": sha256_text(new_text),
        },
    )
    db().commit()
    flash(_("已保存部门 %(name)s", name=after.name), "ok")
    return redirect(url_for("admin.departments"))


# --- previews ---------------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="forumbot-admin-preview")


def sign_preview(kind: str, target: str, text: str, base: str, post: int) -> str:
    """A token saying: this exact text was previewed here, on this file version, this post."""
    claim = {"kind": kind, "target": target, "sha256": sha256_text(text), "base": base}
    return _serializer().dumps({**claim, "post": post})


def _previewed(kind: str, target: str, text: str) -> dict[str, Any]:
    """The preview claim for exactly this text, or a refusal: save needs a preview first."""
    try:
        claim = _serializer().loads(request.form.get("preview", ""), max_age=PREVIEW_MAX_AGE)
    except BadSignature:
        raise EditError("请先预览，确认效果后再保存（没有找到有效的预览记录）") from None
    if claim.get("kind") != kind or claim.get("target") != target:
        raise EditError("预览记录与要保存的内容不符，请重新预览")
    if claim.get("sha256") != sha256_text(text):
        raise EditError("内容在预览之后又改动过，请重新预览后再保存")
    return claim


def _preview_post(ref: str | None, style: str) -> Post | None:
    """The post named by forum post id, else the newest post with a draft in this style,
    else the newest post; None when nothing is stored yet (the sample post is used)."""
    ref = (ref or "").strip()
    if ref:
        if not ref.isdigit():
            raise EditError("帖子编号必须是数字（论坛帖子 ID）")
        post = db().scalar(select(Post).where(Post.forum_post_id == int(ref)))
        if post is None and int(ref) != SAMPLE_POST.forum_post_id:
            raise EditError(f"找不到论坛帖子 #{ref}")
        return post
    newest_with_style = (
        select(Post).join(Draft).where(Draft.style == style).order_by(Post.id.desc()).limit(1)
    )
    return db().scalar(newest_with_style) or db().scalar(
        select(Post).order_by(Post.id.desc()).limit(1)
    )


def _label(post: Post | None) -> str:
    current = latest_classification(db(), post.id) if post is not None else None
    return current.label if current is not None else "inquiry"


def _view(post: Post | None) -> PostView:
    return post_view(post) if post is not None else SAMPLE_POST


# --- reply templates --------------------------------------------------------------------------

FAMILY_NAMES_ZH = {
    "direct_answer": "直接回答（知识库答复）",
    "specialist": "专业类回复（部门答复后的统一回复）",
    "holding": "告知回复（等待部门答复期间）",
    "interactive": "互动式回复",
    "redirect_private": "转一对一沟通",
    "followup": "跟进回复（承诺到期时）",
}


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
        _view(post),
        _label(post),
        settings()["drafting.kb_threshold"],
        promise=promise,
    )


@bp.get("/templates/<family>")
@login_required("admin")
def template_edit(family: str):  # type: ignore[no-untyped-def]
    text = _template_file(family).read_text(encoding="utf-8")
    post = _preview_post(None, family)
    post_ref = str(post.forum_post_id) if post is not None else ""
    return _template_page(family, text, sha256_text(text), post_ref)


@bp.post("/templates/<family>/preview")
@login_required("admin")
def template_preview(family: str):  # type: ignore[no-untyped-def]
    _template_file(family)
    text = normalise_text(request.form.get("text", ""))
    base = request.form.get("base", "")
    post_ref = request.form.get("post", "")
    try:
        post = _preview_post(post_ref, family)
        result = _render_template_preview(family, text, post)
    except EditError as exc:
        return _template_page(family, text, base, post_ref, 400, error=str(exc))
    token = sign_preview("template", family, text, base, _view(post).forum_post_id)
    return _template_page(
        family,
        text,
        base,
        str(_view(post).forum_post_id),
        result=result,
        post=_view(post),
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
        claim = _previewed("template", family, text)
        post = _preview_post(str(claim["post"]), family)
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
            "old_sha256": sha256_text(old_text),
            "new_sha256": sha256_text(text),
            "preview_post": claim["post"],
        },
    )
    db().commit()
    flash(_("模板 %(family)s 已保存，下一次起草即使用新写法", family=family), "ok")
    return redirect(url_for("admin.templates"))


# --- knowledge base ---------------------------------------------------------------------------


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
        configured=_configured_departments(),
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
        configured=_configured_departments(),
        threshold=settings()["drafting.kb_threshold"],
        **extra,
    )
    return page, status


@bp.get("/knowledge/new")
@login_required("admin")
def knowledge_new():  # type: ignore[no-untyped-def]
    post = _preview_post(None, "direct_answer")
    blank = EntryForm("", "", (), (), "", "service")
    return _knowledge_page(blank, "", str(post.forum_post_id) if post else "")


@bp.get("/knowledge/entry/<entry_id>")
@login_required("admin")
def knowledge_edit(entry_id: str):  # type: ignore[no-untyped-def]
    found = [e for e in load_knowledge(_knowledge_file()) if e.id == entry_id]
    if not found:
        abort(404)
    post = _preview_post(None, "direct_answer")
    return _knowledge_page(entry_form(found[0]), entry_id, str(post.forum_post_id) if post else "")


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
        departments=_configured_departments(),
    )
    return old_text, new_text


@bp.post("/knowledge/preview")
@login_required("admin")
def knowledge_preview():  # type: ignore[no-untyped-def]
    entry, original = _entry_from_form()
    post_ref = request.form.get("post", "")
    try:
        old_text, new_text = _candidate_knowledge(entry, original)
        entries = load_candidate(new_text, "knowledge_base.toml", load_knowledge)
        post = _preview_post(post_ref, "direct_answer")
        resources = load_resources(paths().config)
        result = preview_knowledge(
            resources,
            ReplyTemplates(paths().templates),
            entries,
            entry.id,
            _view(post),
            _label(post),
            settings()["drafting.kb_threshold"],
        )
    except EditError as exc:
        return _knowledge_page(entry, original, post_ref, 400, error=str(exc))
    view = _view(post)
    token = sign_preview(
        "knowledge", original or entry.id, new_text, sha256_text(old_text), view.forum_post_id
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
        old_text, new_text = _candidate_knowledge(entry, original)
        _previewed("knowledge", original or entry.id, new_text)
        if new_text == old_text:
            flash(_("内容没有变化，未保存"), "ok")
            return redirect(url_for("admin.knowledge"))
        save_validated(
            _knowledge_file(), new_text, load_knowledge, expected_sha256=sha256_text(old_text)
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
            "old_sha256": sha256_text(old_text),
            "new_sha256": sha256_text(new_text),
        },
    )
    db().commit()
    flash(_("知识库条目 %(id)s 已保存，下一次起草即生效", id=entry.id), "ok")
    return redirect(url_for("admin.knowledge"))
