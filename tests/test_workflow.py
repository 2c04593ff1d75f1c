"""Console workflow: after every action a person lands on a page they may open; actions on a
draft check its state and the revision the form was read at; the agent's note reaches the
department with the post it is about marked; every typed field has a length limit."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from test_console import PASSWORD, login, token

from forumbot.cases.jobs import DraftingJob
from forumbot.cli import cli
from forumbot.config import load_settings
from forumbot.drafting.engine import Drafter
from forumbot.review.limits import LIMITS
from forumbot.storage import audit
from forumbot.storage.models import Classification, DepartmentRequest, Draft
from forumbot.web import create_app
from forumbot.web.users import add_user

ANSWER = "经查为楼上防水层破损，维修班组将于本周四上门修复。"


@pytest.fixture
def app(settings, sessions, make_post):
    """One of each role; a service complaint (a reply for agents), an abuse post (a proposal
    for moderators) and a leak reported as the second post of a topic (a request to 工程部)."""
    console = load_settings(
        path=None,
        environ={**settings.secrets, "FORUMBOT_SECRET_KEY": "test-secret-key-0123456789"},
        overrides={"database.url": settings["database.url"]},
    )
    with sessions() as s:
        add_user(s, "kefu", PASSWORD, "agent")
        add_user(s, "banzhu", PASSWORD, "moderator")
        add_user(s, "guanli", PASSWORD, "admin")
        add_user(s, "gongcheng", PASSWORD, "specialist", "engineering")
        add_user(s, "wuye", PASSWORD, "specialist", "property")
        # The topic opens with a question to neighbours (no complaint): the leak in the
        # second post is the topic's first case.
        first = make_post(s, 4000, raw="楼上每天晚上都很吵，想问问大家怎么办", topic_id=90)
        s.add(Classification(post_id=first.id, label="unrelated", source="model", confidence=0.9))
        first.stage = "drafted"
        posts = (
            (4001, "客服电话一直打不通，投诉了也没人回", "service", 91, 1),
            (4002, "垃圾公司，一群骗子！！！", "abuse", 92, 1),
            (4003, "12栋1502卫生间渗水到楼下了，报修两次没人来", "engineering", 90, 2),
        )
        for forum_id, raw, label, topic, number in posts:
            post = make_post(s, forum_id, raw=raw, topic_id=topic, post_number=number)
            s.add(Classification(post_id=post.id, label=label, source="model", confidence=0.9))
            post.stage = "labelled"
        s.commit()
    DraftingJob(sessions, Drafter()).run_once()
    flask_app = create_app(console, sessions)
    flask_app.config["TESTING"] = True
    return flask_app


def one(sessions, query):
    with sessions() as s:
        return s.scalars(query).first()


def reply_id(sessions) -> int:
    return one(
        sessions,
        select(Draft.id)
        .where(Draft.kind == "reply", Draft.state == "pending_approval", Draft.style != "holding")
        .order_by(Draft.id),
    )


def flag_id(sessions) -> int:
    return one(sessions, select(Draft.id).where(Draft.kind == "flag"))


def request_id(sessions) -> int:
    return one(sessions, select(DepartmentRequest.id))


def draft_count(sessions) -> int:
    with sessions() as s:
        return s.scalar(select(func.count(Draft.id)))


def revision(sessions, draft_id: int) -> int:
    with sessions() as s:
        return s.get(Draft, draft_id).revision


def post_form(client, page_url: str, action_url: str, **fields):
    """Open the page (as the person would) and submit one of its forms."""
    page = client.get(page_url).get_data(as_text=True)
    return client.post(action_url, data={"csrf_token": token(page), **fields})


def act(client, sessions, action: str, draft_id: int):
    """Do ``action`` on the draft from its page, with the revision the page was read at."""
    page, rev = f"/drafts/{draft_id}", revision(sessions, draft_id)
    forms = {
        "approve": ("approve", {}),
        "approve_edited": (
            "approve",
            {"text": "感谢反馈，工程部已安排师傅明天上午十点前上门查看。", "confirmed": "1"},
        ),
        "reject": ("reject", {"reason": "语气不够诚恳"}),
        "relabel": ("relabel", {"label": "property_management", "reason": "物业客服"}),
        "relabel_abuse": ("relabel", {"label": "abuse", "reason": "其实是漫骂"}),
        "restyle": ("restyle", {"style": "redirect_private"}),
        "send": ("send", {"department": "property", "note": "业主说的是物业前台电话"}),
    }
    route, fields = forms[action]
    return post_form(client, page, f"/drafts/{draft_id}/{route}", revision=rev, **fields)


def landed(client, response):
    """Follow the action's redirect as the browser would: the page and where it is."""
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    target = response.location
    page = client.get(target)
    return page, target.split("?")[0]


LANDINGS = [
    ("kefu", "approve", "reply", "/queue"),
    ("kefu", "approve_edited", "reply", "/queue"),
    ("guanli", "approve", "reply", "/queue"),
    ("banzhu", "approve", "flag", "/moderation"),
    ("guanli", "approve", "flag", "/moderation"),
    ("kefu", "reject", "reply", "/queue"),
    ("guanli", "reject", "reply", "/queue"),
    ("banzhu", "reject", "flag", "/moderation"),
    ("guanli", "reject", "flag", "/moderation"),
    ("kefu", "relabel", "reply", "new draft"),
    ("guanli", "relabel", "reply", "new draft"),
    ("kefu", "relabel_abuse", "reply", "/queue"),
    ("guanli", "relabel_abuse", "reply", "new draft"),
    ("kefu", "restyle", "reply", "new draft"),
    ("guanli", "restyle", "reply", "new draft"),
    ("kefu", "send", "reply", "new draft"),
    ("guanli", "send", "reply", "new draft"),
]


@pytest.mark.parametrize(("user", "action", "kind", "where"), LANDINGS)
def test_every_draft_action_lands_on_a_page_the_person_may_open(
    app, sessions, user, action, kind, where
):
    client = app.test_client()
    login(client, user)
    draft_id = reply_id(sessions) if kind == "reply" else flag_id(sessions)
    before = draft_count(sessions)
    page, path = landed(client, act(client, sessions, action, draft_id))
    assert page.status_code == 200, (path, page.status_code)
    assert 'class="flash-ok"' in page.get_data(as_text=True)
    if where == "new draft":
        assert path == f"/drafts/{before + 1}"
    else:
        assert path.endswith(where)


def test_relabel_to_abuse_tells_the_agent_the_moderators_have_it(app, sessions):
    client = app.test_client()
    login(client)
    page, _path = landed(client, act(client, sessions, "relabel_abuse", reply_id(sessions)))
    assert "处理建议已交给版主" in page.get_data(as_text=True)
    flags = [d for d in drafts_of_kind(sessions, "flag") if d.state == "pending_approval"]
    assert len(flags) == 2  # the abuse post's and the relabelled post's
    banzhu = app.test_client()
    login(banzhu, "banzhu")
    assert banzhu.get(f"/drafts/{flags[-1].id}").status_code == 200


def drafts_of_kind(sessions, kind: str) -> list[Draft]:
    with sessions() as s:
        return list(s.scalars(select(Draft).where(Draft.kind == kind).order_by(Draft.id)))


@pytest.mark.parametrize("user", ["gongcheng", "guanli"])
def test_department_answer_lands_on_the_department_page(app, sessions, user):
    client = app.test_client()
    login(client, user)
    rid = request_id(sessions)
    url = f"/department/requests/{rid}"
    page, path = landed(client, post_form(client, url, url, answer=ANSWER))
    assert page.status_code == 200 and path.endswith("/department")
    assert "flash-ok" in page.get_data(as_text=True)


# -- state and revision -----------------------------------------------------------------


def move_to(sessions, draft_id: int, *states: str) -> None:
    with sessions() as s:
        draft = s.get(Draft, draft_id)
        for state in states:
            audit.move(s, draft, state, actor="system:test", action="test")
        s.commit()


@pytest.mark.parametrize(
    ("action", "states"),
    [
        ("relabel", ("approved", "publishing", "published")),
        ("relabel", ("approved",)),
        ("relabel", ("superseded",)),
        ("restyle", ("approved", "publishing", "published")),
        ("send", ("approved", "publishing", "published")),
        ("reject", ("approved", "publishing", "published")),
        ("reject", ("rejected",)),
    ],
)
def test_an_action_from_a_second_tab_on_a_handled_draft_changes_nothing(
    app, sessions, action, states
):
    """The draft page was opened in one tab; meanwhile the draft was approved and published
    (or superseded): the action is refused in Chinese and no new draft appears."""
    client = app.test_client()
    login(client)
    draft_id = reply_id(sessions)
    stale = client.get(f"/drafts/{draft_id}").get_data(as_text=True)
    rev = re.search(r'name="revision" value="(\d+)"', stale).group(1)
    move_to(sessions, draft_id, *states)
    before = draft_count(sessions)
    fields = {
        "relabel": {"label": "property_management", "reason": "物业客服"},
        "restyle": {"style": "redirect_private"},
        "send": {"department": "property", "note": "前台电话"},
        "reject": {"reason": "语气不够诚恳"},
    }[action]
    route = {"send": "send"}.get(action, action)
    response = client.post(
        f"/drafts/{draft_id}/{route}",
        data={"csrf_token": token(stale), "revision": rev, **fields},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "已被他人修改" in html or "不能再" in html or "不能转交" in html
    assert draft_count(sessions) == before
    with sessions() as s:
        assert s.get(Draft, draft_id).state == states[-1]


def test_relabel_form_carries_the_revision_it_was_read_at(app, sessions):
    client = app.test_client()
    login(client)
    draft_id = reply_id(sessions)
    stale = client.get(f"/drafts/{draft_id}").get_data(as_text=True)
    relabel_form = stale.split('id="relabel-form"')[1].split("</form>")[0]
    rev = re.search(r'name="revision" value="(\d+)"', relabel_form).group(1)
    with sessions() as s:  # someone edits the text meanwhile: a new revision
        from forumbot.cases.drafts import DraftRef, edit

        edit(s, DraftRef(draft_id), "感谢反馈，我们已安排专人处理。", actor="李娜")
        s.commit()
    before = draft_count(sessions)
    response = client.post(
        f"/drafts/{draft_id}/relabel",
        data={"csrf_token": token(stale), "revision": rev, "label": "property_management"},
    )
    assert response.status_code == 400 and "已被他人修改" in response.get_data(as_text=True)
    assert draft_count(sessions) == before


def test_cli_relabel_of_an_answered_post_is_refused(app, sessions, database_url, monkeypatch):
    monkeypatch.setenv("FORUMBOT_DATABASE_URL", database_url)
    draft_id = reply_id(sessions)
    move_to(sessions, draft_id, "approved", "publishing", "published")
    before = draft_count(sessions)
    result = CliRunner().invoke(
        cli, ["queue", "relabel", "4001", "property_management", "--as", "王小明"]
    )
    assert result.exit_code == 1 and "不能再重新分类" in result.output
    assert draft_count(sessions) == before


# -- the agent's note and the post the request is about -------------------------------------


def test_department_sees_the_agents_note_and_the_post_it_is_about(app, sessions):
    agent = app.test_client()
    login(agent)
    draft_id = reply_id(sessions)
    landed(agent, act(agent, sessions, "send", draft_id))
    with sessions() as s:
        row = s.scalars(
            select(DepartmentRequest)
            .join(Draft)
            .where(Draft.post_id == s.get(Draft, draft_id).post_id)
        ).one()
        assert row.note == "业主说的是物业前台电话"
        request_url = f"/department/requests/{row.id}"
    specialist = app.test_client()
    login(specialist, "wuye")
    listing = specialist.get("/department").get_data(as_text=True)
    assert "业主说的是物业前台电话" in listing
    page = specialist.get(request_url).get_data(as_text=True)
    assert re.search(r'id="request-note".*业主说的是物业前台电话', page, re.S)


def test_request_page_marks_the_post_of_the_thread_it_is_about(app, sessions):
    client = app.test_client()
    login(client, "gongcheng")
    listing = client.get("/department").get_data(as_text=True)
    assert "#post-4003" in listing  # the link opens the page at that post
    page = client.get(f"/department/requests/{request_id(sessions)}").get_data(as_text=True)
    posts = re.findall(r'<div class="post ?(current)?" id="post-(\d+)"', page)
    assert posts == [("", "4000"), ("current", "4003")]
    assert 'href="#post-4003"' in page and "本请求针对的帖子" in page


# -- length limits ----------------------------------------------------------------------------


def test_a_huge_reject_reason_is_refused(app, sessions):
    """As large as a request may be (the body limit is 1 MB), one unbroken word."""
    client = app.test_client()
    login(client)
    draft_id = reply_id(sessions)
    reason = "a" * 900_000
    response = act_with(client, sessions, draft_id, "reject", reason=reason)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"驳回原因最多 {LIMITS['reject_reason'].max} 个字" in html
    with sessions() as s:
        assert s.get(Draft, draft_id).state == "pending_approval"
    at_limit = "因" * LIMITS["reject_reason"].max
    done = act_with(client, sessions, draft_id, "reject", reason=at_limit)
    assert done.status_code == 302


def act_with(client, sessions, draft_id: int, route: str, **fields):
    return post_form(
        client,
        f"/drafts/{draft_id}",
        f"/drafts/{draft_id}/{route}",
        revision=revision(sessions, draft_id),
        **fields,
    )


def test_short_reason_too_long_is_kept_in_the_form(app, sessions):
    client = app.test_client()
    login(client)
    draft_id = reply_id(sessions)
    reason = "原因" * 300
    html = act_with(client, sessions, draft_id, "reject", reason=reason).get_data(as_text=True)
    assert f'value="{reason}"' in html  # what was typed is still there to shorten


@pytest.mark.parametrize(
    ("route", "fields", "message"),
    [
        ("relabel", {"label": "service", "reason": "因" * 501}, "重新分类的原因最多 500 个字"),
        ("send", {"department": "property", "note": "说" * 501}, "给部门的说明最多 500 个字"),
        ("approve", {"override": "理" * 501}, "放行理由最多 500 个字"),
        ("approve", {"text": "字" * 5001}, "回复内容最多 5000 个字"),
    ],
)
def test_draft_fields_have_limits(app, sessions, route, fields, message):
    client = app.test_client()
    login(client)
    draft_id = reply_id(sessions)
    before = draft_count(sessions)
    response = act_with(client, sessions, draft_id, route, **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html
    assert draft_count(sessions) == before
    with sessions() as s:
        assert s.get(Draft, draft_id).state == "pending_approval"
    typed = next(iter(fields.values())) if route != "relabel" else fields["reason"]
    assert typed in html  # kept


def test_a_one_character_department_answer_is_refused_and_kept(app, sessions):
    client = app.test_client()
    login(client, "gongcheng")
    rid = request_id(sessions)
    url = f"/department/requests/{rid}"
    response = post_form(client, url, url, answer="好")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "部门答复至少需要" in html
    assert re.search(r"<textarea name=\"answer\"[^>]*>好</textarea>", html)
    too_long = post_form(client, url, url, answer="修" * 2001)
    assert too_long.status_code == 400 and "部门答复最多 2000 个字" in too_long.get_data(True)
    with sessions() as s:
        assert s.get(DepartmentRequest, rid).state == "open"


def test_cli_department_answer_has_the_same_limits(app, sessions, database_url, monkeypatch):
    monkeypatch.setenv("FORUMBOT_DATABASE_URL", database_url)
    rid = str(request_id(sessions))
    short = CliRunner().invoke(cli, ["dept", "answer", rid, "--as", "工程部刘工", "--text", "好"])
    assert short.exit_code == 1 and "部门答复至少需要" in short.output
    with sessions() as s:
        assert s.get(DepartmentRequest, int(rid)).state == "open"


def test_forms_carry_the_same_maxlength_as_the_server(app, sessions):
    client = app.test_client()
    login(client)
    page = client.get(f"/drafts/{reply_id(sessions)}").get_data(as_text=True)
    for name, field in (
        ("reason", "reject_reason"),
        ("note", "department_note"),
        ("override", "override_reason"),
    ):
        assert re.search(rf'name="{name}"[^>]*maxlength="{LIMITS[field].max}"', page), name
    assert re.search(rf'name="text"[^>]*maxlength="{LIMITS["reply_text"].max}"', page)
    specialist = app.test_client()
    login(specialist, "gongcheng")
    request_page = specialist.get(f"/department/requests/{request_id(sessions)}").get_data(True)
    limit = LIMITS["department_answer"]
    assert f'minlength="{limit.min}" maxlength="{limit.max}"' in request_page


def test_admin_editor_fields_have_limits(app, sessions):
    client = app.test_client()
    login(client, "guanli")
    page = client.get("/admin/knowledge/new").get_data(as_text=True)
    form = {
        "id": "parking_fee",
        "title": "停" * (LIMITS["kb_title"].max + 1),
        "questions": "停车费怎么收",
        "keywords": "停车费",
        "answer": "停车费按月收取。",
        "department": "property",
        "csrf_token": token(page),
    }
    refused = client.post("/admin/knowledge/preview", data=form)
    assert refused.status_code == 400 and "知识库标题最多" in refused.get_data(as_text=True)
    template = client.get("/admin/templates/holding").get_data(as_text=True)
    huge = client.post(
        "/admin/templates/holding/preview",
        data={"csrf_token": token(template), "text": "x" * 40000, "post": ""},
    )
    assert huge.status_code == 400 and "模板文本最多" in huge.get_data(as_text=True)
    bad_ref = client.post(
        "/admin/templates/holding/preview",
        data={"csrf_token": token(template), "text": "x", "post": "1" * 5000},
    )
    assert bad_ref.status_code == 400 and "帖子编号最多" in bad_ref.get_data(as_text=True)


def test_queue_filters_take_no_oversized_values(app, sessions):
    client = app.test_client()
    login(client)
    assert client.get("/queue?page=" + "9" * 30).status_code == 200
    assert client.get("/queue?department=" + "x" * 5000).status_code == 200
