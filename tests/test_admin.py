"""The admin pages, called in-process on copies of config/ and reply_templates/: users and
roles, departments and response times, reply templates and knowledge entries with preview."""

from __future__ import annotations

import html
import json
import re
import shutil
import tomllib

import pytest
from sqlalchemy import select

from forumbot.cases import drafts
from forumbot.config import load_settings
from forumbot.paths import CONFIG_DIR, TEMPLATES_DIR
from forumbot.storage.models import (
    AuditEntry,
    Classification,
    Department,
    DepartmentRequest,
    User,
    utcnow,
)
from forumbot.texthash import text_sha256
from forumbot.web import ConsolePaths, create_app
from forumbot.web.admin import sign_preview
from forumbot.web.users import add_user

PASSWORD = "correct horse battery"
SCRIPT_POST = "<script>alert(1)</script>请问物业费是按建筑面积还是套内面积算的？"
ADMIN_PAGES = [
    "/admin/",
    "/admin/users",
    "/admin/departments",
    "/admin/templates",
    "/admin/templates/holding",
    "/admin/knowledge",
    "/admin/knowledge/new",
    "/admin/knowledge/entry/property_fee_composition",
]


@pytest.fixture
def files(tmp_path):
    config = tmp_path / "config"
    templates = tmp_path / "reply_templates"
    shutil.copytree(CONFIG_DIR, config)
    shutil.copytree(TEMPLATES_DIR, templates)
    return ConsolePaths(
        config=config, templates=templates, models=tmp_path / "models", corpus=tmp_path / "corpus"
    )


@pytest.fixture
def app(settings, sessions, make_post, files):
    console = load_settings(
        path=None,
        environ={**settings.secrets, "FORUMBOT_SECRET_KEY": "test-secret-key-0123456789"},
        overrides={"database.url": settings["database.url"]},
    )
    departments_file = files.config / "departments.toml"
    with sessions() as s:
        add_user(s, "guanli", PASSWORD, "admin")
        add_user(s, "kefu", PASSWORD, "agent")
        add_user(
            s, "gongcheng", PASSWORD, "specialist", "engineering", departments_file=departments_file
        )
        post = make_post(s, forum_post_id=4242, raw=SCRIPT_POST, topic_title="物业费<b>怎么算</b>")
        s.add(Classification(post_id=post.id, label="inquiry", confidence=0.9, source="model"))
        draft = drafts.write_draft(
            s, post, "您好，物业费按建筑面积计收。", actor="t", style="direct_answer"
        )
        engineering = s.scalar(select(Department).where(Department.code == "engineering"))
        s.add(DepartmentRequest(draft_id=draft.id, department_id=engineering.id, due_at=utcnow()))
        s.commit()
    flask_app = create_app(console, sessions, files)
    flask_app.config["TESTING"] = True
    return flask_app


def token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def field(page: str, name: str) -> str:
    return html.unescape(re.search(rf'name="{name}" value="([^"]*)"', page).group(1))


def textarea(page: str, name: str) -> str:
    found = re.search(rf'<textarea name="{name}"[^>]*>\n(.*?)</textarea>', page, re.S)
    return html.unescape(found.group(1))


def login(client, name="guanli", password=PASSWORD):
    page = client.get("/login").get_data(as_text=True)
    return client.post(
        "/login", data={"username": name, "password": password, "csrf_token": token(page)}
    )


@pytest.fixture
def admin(app):
    client = app.test_client()
    login(client)
    return client


SIGN_INS = ("login", "login_failed", "logout")


def audits(sessions, entity_type: str) -> list[AuditEntry]:
    """The admin changes recorded for ``entity_type`` (sign-ins are audited too, not here)."""
    with sessions() as s:
        return list(
            s.scalars(
                select(AuditEntry).where(
                    AuditEntry.entity_type == entity_type, AuditEntry.action.not_in(SIGN_INS)
                )
            )
        )


def post_form(client, page_url: str, url: str, **data):
    page = client.get(page_url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": token(page), **data}, follow_redirects=True)


def user_id(sessions, name: str) -> int:
    with sessions() as s:
        return s.scalar(select(User.id).where(User.username == name))


# --- access -----------------------------------------------------------------------------------


def test_admin_pages_open_for_admin(admin):
    for path in ADMIN_PAGES:
        assert admin.get(path).status_code == 200, path


@pytest.mark.parametrize("name", ["kefu", "gongcheng"])
def test_other_roles_get_403_on_every_admin_page(app, name):
    client = app.test_client()
    login(client, name)
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 403, path
    page = client.get("/login").get_data(as_text=True)
    for path in ("/admin/users", "/admin/departments/service", "/admin/templates/holding/save"):
        assert client.post(path, data={"csrf_token": token(page)}).status_code == 403, path


# --- users ------------------------------------------------------------------------------------


def test_admin_adds_a_user_who_can_then_log_in(app, admin, sessions):
    response = post_form(
        admin,
        "/admin/users",
        "/admin/users",
        username="wang_fang",
        password="another long password",
        role="specialist",
        department="planning",
    )
    page = response.get_data(as_text=True)
    assert "已添加用户 wang_fang" in page and "规划设计部" in page and "专业部门" in page
    newcomer = app.test_client()
    assert login(newcomer, "wang_fang", "another long password").status_code == 302
    assert newcomer.get("/department").status_code == 200
    [entry] = [e for e in audits(sessions, "user") if e.action == "user_add"]
    assert entry.actor == "guanli" and entry.to_state == "specialist"
    assert json.loads(entry.details)["department"] == "planning"
    assert "another long password" not in (entry.details or "")


def test_a_short_password_is_refused(admin, sessions):
    response = post_form(
        admin, "/admin/users", "/admin/users", username="x1", password="short", role="agent"
    )
    assert "密码至少需要 10 个字符" in response.get_data(as_text=True)
    assert user_id(sessions, "x1") is None and audits(sessions, "user") == []


def test_admin_cannot_deactivate_or_demote_self(admin, sessions):
    me = user_id(sessions, "guanli")
    page = post_form(admin, "/admin/users", f"/admin/users/{me}/active", active="0").get_data(
        as_text=True
    )
    assert "不能停用自己的账号" in page
    page = post_form(admin, "/admin/users", f"/admin/users/{me}/role", role="agent").get_data(
        as_text=True
    )
    assert "不能取消自己的管理员角色" in page
    with sessions() as s:
        user = s.get(User, me)
        assert user.active and user.role == "admin"
    assert audits(sessions, "user") == []
    assert admin.get("/admin/users").status_code == 200  # still in the console


def test_role_change_deactivate_reactivate_and_password_reset(app, admin, sessions):
    kefu = user_id(sessions, "kefu")
    page = post_form(
        admin, "/admin/users", f"/admin/users/{kefu}/role", role="specialist", department="sales"
    ).get_data(as_text=True)
    assert "已更改用户 kefu 的角色" in page
    post_form(admin, "/admin/users", f"/admin/users/{kefu}/active", active="0")
    assert login(app.test_client(), "kefu").status_code == 401
    post_form(admin, "/admin/users", f"/admin/users/{kefu}/active", active="1")
    post_form(admin, "/admin/users", f"/admin/users/{kefu}/password", password="a new password 1")
    assert login(app.test_client(), "kefu").status_code == 401
    assert login(app.test_client(), "kefu", "a new password 1").status_code == 302
    with sessions() as s:
        user = s.get(User, kefu)
        assert user.role == "specialist" and user.department_id is not None and user.active
    actions = [(e.action, e.from_state, e.to_state) for e in audits(sessions, "user")]
    assert actions == [
        ("user_role", "agent", "specialist"),
        ("user_deactivate", "active", "inactive"),
        ("user_reactivate", "inactive", "active"),
        ("user_password_reset", None, None),
    ]


def test_a_deactivated_user_is_signed_out(app, admin, sessions):
    agent = app.test_client()
    login(agent, "kefu")
    assert agent.get("/queue").status_code == 200
    post_form(admin, "/admin/users", f"/admin/users/{user_id(sessions, 'kefu')}/active", active="0")
    assert agent.get("/queue").status_code == 302


# --- departments ------------------------------------------------------------------------------


def save_department(client, code="engineering", **changes):
    page = client.get("/admin/departments").get_data(as_text=True)
    data = {
        "csrf_token": token(page),
        "base": field(page, "base"),
        "name": "工程部",
        "description": "房屋质量",
        "response_days": "3",
        **changes,
    }
    return client.post(f"/admin/departments/{code}", data=data, follow_redirects=True)


def test_departments_page_warns_and_counts_requests(admin):
    page = admin.get("/admin/departments").get_data(as_text=True)
    assert "答复时限是对业主的公开承诺" in page
    row = re.search(r'id="department-engineering">(.*?)</tr>', page, re.S).group(1)
    assert re.search(r"<td>1</td>\s*<td><strong>1</strong></td>", row)  # open, overdue


def test_response_days_edit_changes_toml_and_database(admin, files, sessions):
    path = files.config / "departments.toml"
    response = save_department(admin, response_days="4", name="工程管理部")
    assert "已保存部门 工程管理部" in response.get_data(as_text=True)
    text = path.read_text(encoding="utf-8")
    assert "# Departments that own complaints" in text  # comments survive
    assert "`response_days` is the number of working days" in text
    engineering = next(d for d in tomllib.loads(text)["department"] if d["code"] == "engineering")
    assert engineering["response_days"] == 4 and engineering["name"] == "工程管理部"
    with sessions() as s:
        row = s.scalar(select(Department).where(Department.code == "engineering"))
        assert (row.name, row.response_days) == ("工程管理部", 4)
    [entry] = audits(sessions, "department")
    assert entry.actor == "guanli" and entry.entity_id == row.id
    assert json.loads(entry.details)["response_days"] == [3, 4]


def test_a_bad_response_time_is_refused(admin, files, sessions):
    path = files.config / "departments.toml"
    before = path.read_bytes()
    for days in ("0", "三", "2.5", "-1", "99", ""):
        page = save_department(admin, response_days=days).get_data(as_text=True)
        assert "答复时限必须是 1 到 30 之间的整数" in page, days
        assert path.read_bytes() == before
    assert audits(sessions, "department") == []
    assert not list(path.parent.glob(".*.tmp"))


def test_department_edit_on_a_changed_file_is_refused(admin, files):
    page = admin.get("/admin/departments").get_data(as_text=True)
    path = files.config / "departments.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited by hand\n", encoding="utf-8")
    before = path.read_bytes()
    response = admin.post(
        "/admin/departments/engineering",
        data={
            "csrf_token": token(page),
            "base": field(page, "base"),
            "name": "工程部",
            "response_days": "5",
        },
        follow_redirects=True,
    )
    assert "已被修改" in response.get_data(as_text=True) and path.read_bytes() == before


# --- reply templates --------------------------------------------------------------------------


def preview_template(client, family: str, text: str, post: str = ""):
    page = client.get(f"/admin/templates/{family}").get_data(as_text=True)
    return client.post(
        f"/admin/templates/{family}/preview",
        data={"csrf_token": token(page), "base": field(page, "base"), "text": text, "post": post},
    )


def save_template(client, family: str, text: str, preview: str | None, base: str):
    page = client.get(f"/admin/templates/{family}").get_data(as_text=True)
    data = {"csrf_token": token(page), "base": base, "text": text}
    if preview is not None:
        data["preview"] = preview
    return client.post(f"/admin/templates/{family}/save", data=data, follow_redirects=True)


def test_edit_page_defaults_to_the_newest_post_with_such_a_draft(admin, files):
    page = admin.get("/admin/templates/direct_answer").get_data(as_text=True)
    assert field(page, "post") == "4242"
    assert textarea(page, "text") == (files.templates / "direct_answer.toml").read_text("utf-8")


def test_template_preview_renders_a_real_post_escaped(admin, files):
    text = (files.templates / "direct_answer.toml").read_text(encoding="utf-8")
    text = text.replace("[parts]", "[parts]\n# 预览测试", 1)
    response = preview_template(admin, "direct_answer", text)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    reply = html.unescape(re.search(r'id="preview-reply">(.*?)</div>', page, re.S).group(1))
    assert "物业费" in reply and "建筑面积" in reply  # the knowledge-base answer for this post
    assert "<script>alert(1)</script>" not in page and "<b>怎么算</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'id="save-button"' in page and textarea(page, "text") == text


def test_template_save_after_preview_writes_the_file_and_audits(admin, files, sessions):
    path = files.templates / "holding.toml"
    old = path.read_text(encoding="utf-8")
    text = old.replace("[parts]", "# 管理员修改\n[parts]", 1)
    page = preview_template(admin, "holding", text).get_data(as_text=True)
    response = save_template(admin, "holding", text, field(page, "preview"), field(page, "base"))
    assert "模板 holding 已保存" in response.get_data(as_text=True)
    assert path.read_text(encoding="utf-8") == text
    [entry] = audits(sessions, "template")
    details = json.loads(entry.details)
    assert details["family"] == "holding" and details["preview_post"] == 4242
    assert (details["old_sha256"], details["new_sha256"]) == (text_sha256(old), text_sha256(text))


BROKEN = {
    "toml syntax": lambda text: text.replace("[parts]", "[parts\n", 1),
    # in one variant only: the preview post may well get another one
    "undefined variable": lambda text: text.replace("转交{{ department }}", "转交{{ departmnet }}"),
}


@pytest.mark.parametrize("mistake", list(BROKEN))
def test_a_broken_template_is_refused(app, admin, files, sessions, mistake):
    path = files.templates / "holding.toml"
    before = path.read_bytes()
    text = BROKEN[mistake](before.decode("utf-8"))
    assert text != before.decode("utf-8")
    response = preview_template(admin, "holding", text)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="save-button"' not in page
    message = "不是有效的 TOML" if mistake == "toml syntax" else "未定义的变量：departmnet"
    assert message in html.unescape(page)
    # Even with a valid preview token for this very text, save checks again and refuses.
    base = text_sha256(before.decode("utf-8"))
    with app.test_request_context():
        forged = sign_preview("template", "holding", text, base, 4242)
    response = save_template(admin, "holding", text, forged, base)
    assert response.status_code == 400 and message in html.unescape(response.get_data(as_text=True))
    assert path.read_bytes() == before and audits(sessions, "template") == []


def test_save_without_a_matching_preview_is_refused(admin, files, sessions):
    path = files.templates / "interactive.toml"
    before = path.read_bytes()
    previewed = before.decode("utf-8").replace("[parts]", "# A\n[parts]", 1)
    page = preview_template(admin, "interactive", previewed).get_data(as_text=True)
    changed = previewed.replace("# A", "# B")
    response = save_template(
        admin, "interactive", changed, field(page, "preview"), field(page, "base")
    )
    assert response.status_code == 400
    assert "内容在预览之后又改动过" in response.get_data(as_text=True)
    response = save_template(admin, "interactive", changed, None, field(page, "base"))
    assert "请先预览" in response.get_data(as_text=True)
    response = save_template(admin, "interactive", changed, "forged.token", field(page, "base"))
    assert "请先预览" in response.get_data(as_text=True)
    assert path.read_bytes() == before and audits(sessions, "template") == []


# --- knowledge base ---------------------------------------------------------------------------


def knowledge_form(page: str, **changes) -> dict[str, str]:
    data = {
        "csrf_token": token(page),
        "original": field(page, "original"),
        "title": field(page, "title"),
        "questions": textarea(page, "questions"),
        "keywords": field(page, "keywords"),
        "answer": textarea(page, "answer"),
        "department": "property",
        "post": field(page, "post"),
    }
    data.update(changes)
    return data


def test_knowledge_entry_edit_preview_shows_a_score_then_saves(admin, files, sessions):
    path = files.config / "knowledge_base.toml"
    page = admin.get("/admin/knowledge/entry/property_fee_composition").get_data(as_text=True)
    data = knowledge_form(page, questions=textarea(page, "questions") + "\n物业费是按套内面积算吗")
    response = admin.post("/admin/knowledge/preview", data=data)
    preview = response.get_data(as_text=True)
    assert response.status_code == 200
    score = float(re.search(r'id="entry-score">([0-9.]+)<', preview).group(1))
    assert score >= 0.3 and "这个帖子会由本条目直接回答" in preview
    assert "&lt;script&gt;" in preview and "<script>alert" not in preview
    reply = re.search(r'id="preview-reply">(.*?)</div>', preview, re.S).group(1)
    assert "建筑面积乘以收费单价" in reply
    response = admin.post(
        "/admin/knowledge/save",
        data={**data, "preview": field(preview, "preview")},
        follow_redirects=True,
    )
    assert "知识库条目 property_fee_composition 已保存" in response.get_data(as_text=True)
    text = path.read_text(encoding="utf-8")
    assert "# Editing rules for admins:" in text
    entry = next(e for e in tomllib.loads(text)["entry"] if e["id"] == "property_fee_composition")
    assert entry["questions"][-1] == "物业费是按套内面积算吗"
    [audit_row] = audits(sessions, "knowledge")
    assert audit_row.action == "knowledge_edit" and audit_row.entity_id == 1
    assert json.loads(audit_row.details)["entry"] == "property_fee_composition"


def test_new_knowledge_entry_needs_a_preview_of_exactly_that_entry(admin, files, sessions):
    path = files.config / "knowledge_base.toml"
    before = path.read_bytes()
    page = admin.get("/admin/knowledge/new").get_data(as_text=True)
    data = knowledge_form(
        page,
        id="bike_shed",
        title="电动车棚在哪里",
        questions="电动车棚在哪\n电动车能在哪里充电",
        keywords="电动车棚，充电桩，电瓶车",
        answer="小区电动车集中停放和充电的位置以小区公示为准，请到客户服务中心咨询。",
        department="property",
    )
    preview = admin.post("/admin/knowledge/preview", data=data).get_data(as_text=True)
    assert re.search(r'id="entry-score">[0-9.]+<', preview)
    response = admin.post(
        "/admin/knowledge/save",
        data={**data, "preview": field(preview, "preview"), "title": "电动车棚位置"},
    )
    assert response.status_code == 400 and path.read_bytes() == before
    response = admin.post(
        "/admin/knowledge/save",
        data={**data, "preview": field(preview, "preview")},
        follow_redirects=True,
    )
    assert "知识库条目 bike_shed 已保存" in response.get_data(as_text=True)
    text = path.read_text(encoding="utf-8")
    assert tomllib.loads(text)["entry"][-1]["keywords"] == ["电动车棚", "充电桩", "电瓶车"]
    assert text.startswith(before.decode("utf-8").rstrip("\n"))  # appended, nothing else moved
    assert [e.action for e in audits(sessions, "knowledge")] == ["knowledge_add"]


def test_knowledge_entry_with_unknown_department_is_refused(admin, files):
    path = files.config / "knowledge_base.toml"
    before = path.read_bytes()
    page = admin.get("/admin/knowledge/entry/property_fee_composition").get_data(as_text=True)
    response = admin.post("/admin/knowledge/preview", data=knowledge_form(page, department="hr"))
    assert response.status_code == 400 and "部门 hr 不存在" in response.get_data(as_text=True)
    assert path.read_bytes() == before


def test_password_reset_signs_out_existing_sessions(app, admin, sessions):
    signed_in = app.test_client()
    assert login(signed_in, "kefu").status_code == 302
    assert signed_in.get("/queue").status_code == 200
    kefu = user_id(sessions, "kefu")
    post_form(admin, "/admin/users", f"/admin/users/{kefu}/password", password="a new password 1")
    response = signed_in.get("/queue")
    assert response.status_code == 302 and "/login" in response.location
    assert admin.get("/admin/users").status_code == 200  # the admin's own session is untouched
