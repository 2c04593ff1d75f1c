"""The agents' console works in cases: the queue lists cases (owner, matter, supporters,
incident, urgency, time left in Beijing time), a case page shows the whole thread with our
replies in it, the case's one draft, its history and the owner's other cases; "approve and
next" opens the next case; a claim is taken when the agent starts editing; the department
and moderation pages name the case behind each item. Data comes from the pipeline: posts
stored as intake stores them, labelled, and filed into cases by the DraftingJob."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from test_console import PASSWORD, login, token

from forumbot.cases.jobs import DraftingJob
from forumbot.cases.states import CASE_STATE_NAMES_ZH
from forumbot.config import load_settings
from forumbot.drafting.engine import Drafter
from forumbot.review.states import STATE_NAMES_ZH
from forumbot.storage.models import Case, Classification, Draft, Post, utcnow
from forumbot.web import create_app
from forumbot.web.names import ACTION_NAMES_ZH
from forumbot.web.users import add_user
from forumbot.workcalendar import format_beijing

# (forum post id, topic, post number, username, label, hours ago, text)
POSTS = (
    (6001, 200, 1, "li_na", "service", 10, "客服电话一直打不通，我投诉了也没人回，到底有没有人管"),
    (6002, 200, 2, "wang_fang", "service", 9, "+1 我家也是"),
    (6003, 200, 3, "zhao_lei", "inquiry", 8, "楼主可以直接打12345投诉，比在这里说有用"),
    (6004, 200, 4, "li_na", "service", 7, "补充一下：今天上午又打了三次客服电话，还是没人接"),
    (6005, 200, 5, "troll_x", "abuse", 6, "楼主就是个骗子，垃圾东西"),
    (6011, 201, 1, "zhang_wei88", "engineering", 20, "阳光花园3栋电梯坏了三天了，我家老人下不了楼"),
    (
        6031,
        203,
        1,
        "zhang_wei88",
        "engineering",
        2,
        "阳光花园3栋电梯今天又坏了，上次报修了还没修好",
    ),
    (6041, 204, 1, "chen_jing", "engineering", 5, "翠湖家园地库又淹了，我的车泡水了"),
    (6051, 205, 1, "sun_li", "engineering", 4, "翠湖家园地库积水严重，我的车也被淹了"),
    (6061, 206, 1, "zhou_min", "inquiry", 1, "请问物业费是按建筑面积还是套内面积算的？"),
)
TITLES = {
    200: "客服电话打不通",
    201: "电梯坏了三天",
    203: "电梯又坏了",
    204: "地库被淹",
    205: "地库积水",
    206: "物业费怎么算",
}


def seed_cases(sessions, make_post) -> None:
    """The posts above as intake stores them and the model labels them, then one drafting
    round: the bot files them into cases and writes the drafts."""
    now = utcnow()
    with sessions() as s:
        for forum_id, topic, number, username, label, hours, raw in POSTS:
            post = make_post(
                s,
                forum_id,
                topic_id=topic,
                post_number=number,
                username=username,
                raw=raw,
                topic_title=TITLES[topic],
                forum_created_at=now - timedelta(hours=hours),
            )
            s.add(Classification(post_id=post.id, label=label, source="model", confidence=0.9))
            post.stage = "labelled"
        s.commit()
    DraftingJob(sessions, Drafter()).run_once()


def console_app(settings, sessions):
    console = load_settings(
        path=None,
        environ={**settings.secrets, "FORUMBOT_SECRET_KEY": "test-secret-key-0123456789"},
        overrides={"database.url": settings["database.url"]},
    )
    flask_app = create_app(console, sessions)
    flask_app.config["TESTING"] = True
    return flask_app


def add_people(sessions) -> None:
    with sessions() as s:
        add_user(s, "kefu", PASSWORD, "agent")
        add_user(s, "xiaowang", PASSWORD, "agent")
        add_user(s, "gongcheng", PASSWORD, "specialist", "engineering")
        add_user(s, "banzhu", PASSWORD, "moderator")
        add_user(s, "guanli", PASSWORD, "admin")
        s.commit()


@pytest.fixture
def app(settings, sessions, make_post):
    add_people(sessions)
    seed_cases(sessions, make_post)
    return console_app(settings, sessions)


def case_of_topic(sessions, topic_id: int) -> Case:
    with sessions() as s:
        return s.scalars(select(Case).where(Case.topic_id == topic_id).order_by(Case.id)).first()


def listed_cases(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-case="(\d+)"', html)]


def agent(app, name: str = "kefu"):
    client = app.test_client()
    login(client, name)
    return client


def text_of(html: str, element_id: str) -> str:
    """The text of the element with ``element_id`` (up to its closing tag of the same name)."""
    found = re.search(rf'<(\w+)[^>]*id="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert found, element_id
    return re.sub(r"<[^>]+>", "", found.group(2))


# -- the queue lists cases ---------------------------------------------------------------------


def test_the_bot_filed_the_thread_into_one_case(app, sessions):
    """What the rest of this file relies on: the pipeline's decisions for the seeded posts."""
    with sessions() as s:
        roles = dict(s.execute(select(Post.forum_post_id, Post.case_role)).all())
    assert [roles[i] for i in (6001, 6002, 6003, 6004, 6005)] == [
        "opener",
        "supporter",
        "chatter",
        "update",
        "abuse",
    ]
    assert case_of_topic(sessions, 203).repeat and not case_of_topic(sessions, 201).repeat
    assert case_of_topic(sessions, 204).incident_id == case_of_topic(sessions, 205).incident_id
    assert case_of_topic(sessions, 204).incident_id is not None


def test_queue_has_one_row_per_case_with_a_waiting_reply(app, sessions):
    html = agent(app).get("/queue").get_data(as_text=True)
    cases = listed_cases(html)
    topics = {case_of_topic(sessions, t).id: t for t in TITLES}
    assert sorted(topics[c] for c in cases) == sorted(TITLES)  # five posts in topic 200: one row
    thread = case_of_topic(sessions, 200)
    row = html.split(f'data-case="{thread.id}"')[1].split("</tr>")[0]
    assert 'class="owner">li_na<' in row
    assert 'class="supporters">1<' in row  # wang_fang's "+1"
    assert CASE_STATE_NAMES_ZH["open"] in row
    assert "客服电话打不通" in row and "北京时间" in row
    assert f"/cases/{thread.id}" in row
    assert "共 6 个案件" in html


def test_queue_puts_urgent_then_repeat_then_least_time_left_first(app, sessions):
    client = agent(app)
    by_topic = {t: case_of_topic(sessions, t).id for t in TITLES}
    expected = [by_topic[t] for t in (203, 201, 200, 204, 205, 206)]  # 203 is a repeat
    assert listed_cases(client.get("/queue").get_data(as_text=True)) == expected
    # The classifier's urgency flag (set on the case the pipeline made) outranks the rest.
    with sessions() as s:
        s.get(Case, by_topic[206]).urgent = True
        s.commit()
    html = client.get("/queue").get_data(as_text=True)
    assert listed_cases(html) == [by_topic[206], *expected[:-1]]
    first_row = html.split(f'data-case="{by_topic[206]}"')[1].split("</tr>")[0]
    assert "紧急" in first_row
    repeat_row = html.split(f'data-case="{by_topic[203]}"')[1].split("</tr>")[0]
    assert "重复投诉" in repeat_row


def test_a_case_whose_reply_was_approved_leaves_the_queue(app, sessions):
    client = agent(app)
    case_id = case_of_topic(sessions, 206).id
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    draft_id = int(re.search(r'action="/drafts/(\d+)/approve', page).group(1))
    client.post(
        f"/drafts/{draft_id}/approve",
        data={"csrf_token": token(page), "revision": re.search(r'revision" value="(\d+)', page)[1]},
    )
    assert case_id not in listed_cases(client.get("/queue").get_data(as_text=True))
    after = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert STATE_NAMES_ZH["approved"] in text_of(after, "draft-title")  # on its way out
    assert 'id="approve-form"' not in after


def test_queue_filters_still_apply_to_cases(app, sessions):
    client = agent(app)
    inquiry = listed_cases(client.get("/queue?label=inquiry").get_data(as_text=True))
    assert inquiry == [case_of_topic(sessions, 206).id]
    waiting = listed_cases(
        client.get("/queue?state=awaiting_specialist&department=engineering").get_data(True)
    )
    assert sorted(waiting) == sorted(case_of_topic(sessions, t).id for t in (201, 203, 204, 205))
    holding = listed_cases(client.get("/queue?style=holding").get_data(as_text=True))
    assert case_of_topic(sessions, 200).id not in holding and len(holding) == 4
    assert listed_cases(client.get("/queue?age=overdue").get_data(as_text=True)) == []


def test_incident_is_shown_with_its_size_in_the_queue(app, sessions):
    html = agent(app).get("/queue").get_data(as_text=True)
    flood = case_of_topic(sessions, 204)
    row = html.split(f'data-case="{flood.id}"')[1].split("</tr>")[0]
    assert f"#{flood.incident_id}</a>" in row and "2 个案件" in row


# -- the case page --------------------------------------------------------------------------


def test_case_page_shows_the_thread_with_roles_supporters_and_the_one_draft(app, sessions):
    thread = case_of_topic(sessions, 200)
    html = agent(app).get(f"/cases/{thread.id}").get_data(as_text=True)
    posts = re.findall(
        r'id="post-(\d+)">\s*<strong>#\d+ (\w+)</strong>\s*<span class="role">([^<(（]+)', html
    )
    assert posts == [
        ("6001", "li_na", "提出诉求"),
        ("6002", "wang_fang", "附议"),
        ("6003", "zhao_lei", "旁人讨论"),
        ("6004", "li_na", "楼主补充"),
        ("6005", "troll_x", "辱骂"),
    ]
    assert "wang_fang" in text_of(html, "supporters") or "wang_fang（#2）" in html
    with sessions() as s:
        waiting = s.scalars(
            select(Draft).where(Draft.case_id == thread.id, Draft.state == "pending_approval")
        ).all()
    assert len(waiting) == 1  # the owner's follow-up redid the one reply
    assert html.count('id="approve-form"') == 1
    assert f'action="/drafts/{waiting[0].id}/approve"' in html
    assert "@li_na" in waiting[0].text and "wang_fang" in waiting[0].text


def test_history_names_every_action_and_state_in_chinese(app, sessions):
    thread = case_of_topic(sessions, 200)
    html = agent(app).get(f"/cases/{thread.id}").get_data(as_text=True)
    table = html.split('id="history"')[1].split("</table>")[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", table, re.S)
    shown = " ".join(re.sub(r"<[^>]+>", " ", c) for c in cells)
    assert "立案" in shown and "邻居附议" in shown and "楼主补充" in shown
    for code in (*STATE_NAMES_ZH, *CASE_STATE_NAMES_ZH, *ACTION_NAMES_ZH, "system:"):
        assert not re.search(rf"(?<![\w-]){code}(?![\w-])", shown), code
    assert "时间（北京时间）" in table


def test_owner_sees_earlier_cases_and_repeat_flag(app, sessions):
    first, second = case_of_topic(sessions, 201), case_of_topic(sessions, 203)
    html = agent(app).get(f"/cases/{second.id}").get_data(as_text=True)
    assert "重复投诉" in text_of(html, "case-title")
    others = html.split('id="other-cases"')[1].split("</table>")[0]
    assert f'href="/cases/{first.id}"' in others
    assert CASE_STATE_NAMES_ZH[first.state] in others
    assert f"/cases/{second.id}" not in others
    first_page = agent(app).get(f"/cases/{first.id}").get_data(as_text=True)
    assert "重复投诉" not in text_of(first_page, "case-title")


def test_case_page_shows_the_incident_and_its_members(app, sessions):
    a, b = case_of_topic(sessions, 204), case_of_topic(sessions, 205)
    html = agent(app).get(f"/cases/{b.id}").get_data(as_text=True)
    members = html.split('id="incident-members"')[1].split("</table>")[0]
    assert f'href="/cases/{a.id}"' in members and "chen_jing" in members and "sun_li" in members


def test_drafts_page_is_the_case_page_with_that_draft_in_front(app, sessions):
    thread = case_of_topic(sessions, 201)
    with sessions() as s:
        waiting = s.scalars(
            select(Draft).where(Draft.case_id == thread.id, Draft.state == "awaiting_specialist")
        ).one()
    html = agent(app).get(f"/drafts/{waiting.id}").get_data(as_text=True)
    assert f"草稿 #{waiting.id}" in text_of(html, "draft-title")
    assert STATE_NAMES_ZH["awaiting_specialist"] in text_of(html, "draft-title")
    assert 'id="approve-form"' not in html and 'id="relabel-form"' in html
    # the case page itself puts the holding reply, which an agent can approve now, in front
    case_page = agent(app).get(f"/cases/{thread.id}").get_data(as_text=True)
    assert STYLE_HOLDING in text_of(case_page, "draft-title")
    assert f'href="/drafts/{waiting.id}"' in case_page.split('id="in-progress"')[1]


STYLE_HOLDING = "告知回复"


# -- approve and next, steps, claims --------------------------------------------------------


def open_and_approve(client, url: str, **extra):
    page = client.get(url).get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)" id="approve-form"', page).group(1)
    revision = re.search(r'name="revision" value="(\d+)"', page).group(1)
    return client.post(
        action.replace("&amp;", "&"),
        data={"csrf_token": token(page), "revision": revision, **extra},
    )


def test_approve_and_next_opens_the_next_case_in_queue_order(app, sessions):
    client = agent(app)
    order = listed_cases(client.get("/queue").get_data(as_text=True))
    response = open_and_approve(client, f"/cases/{order[0]}", then="next")
    assert response.status_code == 302 and response.location == f"/cases/{order[1]}"
    landed = client.get(response.location).get_data(as_text=True)
    assert "已批准" in landed  # the approval is confirmed on the next case's page
    # from the middle of the queue: the one after it, not the first
    response = open_and_approve(client, f"/cases/{order[2]}", then="next")
    assert response.location == f"/cases/{order[3]}"
    # plain approve still goes back to the queue
    assert open_and_approve(client, f"/cases/{order[3]}").location == "/queue"


def test_approve_and_next_keeps_the_agents_filter(app, sessions):
    client = agent(app)
    engineering = listed_cases(client.get("/queue?label=engineering").get_data(as_text=True))
    response = open_and_approve(client, f"/cases/{engineering[0]}?label=engineering", then="next")
    assert response.location == f"/cases/{engineering[1]}?label=engineering"


def test_approve_and_next_skips_a_case_another_agent_is_editing(app, sessions):
    client, other = agent(app), agent(app, "xiaowang")
    order = listed_cases(client.get("/queue").get_data(as_text=True))
    page = other.get(f"/cases/{order[1]}").get_data(as_text=True)
    draft_id = re.search(r'action="/drafts/(\d+)/approve', page).group(1)
    assert other.post(
        f"/drafts/{draft_id}/claim", headers={"X-CSRFToken": token(page)}
    ).get_json() == {"claimed": True}
    response = open_and_approve(client, f"/cases/{order[0]}", then="next")
    assert response.location == f"/cases/{order[2]}"


def test_approve_and_next_on_the_last_case_goes_back_to_the_queue(app, sessions):
    client = agent(app)
    [only] = listed_cases(client.get("/queue?label=inquiry").get_data(as_text=True))
    response = open_and_approve(client, f"/cases/{only}?label=inquiry", then="next")
    assert response.location == "/queue?label=inquiry"
    assert "队列中已没有其他待处理的案件" in client.get(response.location).get_data(True)


def test_next_and_previous_steps_follow_the_queue(app, sessions):
    client = agent(app)
    order = listed_cases(client.get("/queue").get_data(as_text=True))
    page = client.get(f"/cases/{order[1]}").get_data(as_text=True)
    next_link = re.search(r'id="step-next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    previous = re.search(r'id="step-previous" href="([^"]+)"', page).group(1)
    assert client.get(next_link).location == f"/cases/{order[2]}"
    assert client.get(previous.replace("&amp;", "&")).location == f"/cases/{order[0]}"
    last = client.get(f"/queue/step?direction=next&from=case-{order[-1]}")
    assert last.location == f"/cases/{order[0]}"  # round the end
    assert client.get("/queue/step?from=rubbish").location == f"/cases/{order[0]}"


def test_claim_is_taken_on_the_first_edit_not_on_opening(app, sessions):
    client, other = agent(app), agent(app, "xiaowang")
    case_id = case_of_topic(sessions, 206).id
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    draft_id = int(re.search(r'action="/drafts/(\d+)/approve', page).group(1))
    with sessions() as s:
        assert s.get(Draft, draft_id).claimed_by is None  # opening is not a claim
    assert f'data-claim-url="/drafts/{draft_id}/claim"' in page
    assert client.post(
        f"/drafts/{draft_id}/claim", headers={"X-CSRFToken": token(page)}
    ).get_json() == {"claimed": True}
    with sessions() as s:
        draft = s.get(Draft, draft_id)
        assert draft.claimed_by == "kefu"
        revision = draft.revision
    other_page = other.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "kefu 在" in text_of(other_page, "claim-notice")
    refused = other.post(f"/drafts/{draft_id}/claim", headers={"X-CSRFToken": token(other_page)})
    assert refused.status_code == 409 and "kefu" in refused.get_json()["message"]
    with sessions() as s:
        assert s.get(Draft, draft_id).revision == revision  # a claim never bumps the revision
    assert client.post(f"/drafts/{draft_id}/claim").status_code == 400  # no CSRF token


# -- department and moderation pages -----------------------------------------------------------


def test_department_page_names_the_case_and_the_incidents_owners(app, sessions):
    html = agent(app, "gongcheng").get("/department").get_data(as_text=True)
    flood = case_of_topic(sessions, 204)
    rows = html.split('class="request-row')[1:]
    assert len(rows) == 3  # the lift, the lift again, and one request for the flooded garage
    incident_row = next(r for r in rows if f"事件 #{flood.incident_id}" in r)
    assert "chen_jing" in incident_row and "附议 0 人" in incident_row
    assert "涉及 2 位业主" in incident_row
    assert f"事件 #{flood.incident_id} 的全部 2 位业主" in incident_row
    assert "/cases/" not in html  # specialists do not open the agents' case pages


def test_moderation_page_names_the_case_the_abuse_was_posted_in(app, sessions):
    thread = case_of_topic(sessions, 200)
    html = agent(app, "banzhu").get("/moderation").get_data(as_text=True)
    row = html.split('class="proposal-row"')[1].split("</tr>")[0]
    assert "骗子" in row and f"案件 #{thread.id}" in row
    assert "li_na" in row and "附议 1 人" in row


# -- times and languages ------------------------------------------------------------------------


def test_times_are_beijing_time_and_say_so(app, sessions):
    case_row = case_of_topic(sessions, 206)
    with sessions() as s:
        draft = s.scalars(select(Draft).where(Draft.case_id == case_row.id)).one()
    html = agent(app).get(f"/cases/{case_row.id}").get_data(as_text=True)
    due = format_beijing(draft.due_at)
    assert f"{due}（北京时间）" in re.sub(r"<[^>]+>", "", html)
    assert format_beijing(case_row.opened_at) in html


def test_case_page_in_english_leaves_no_state_or_role_untranslated(app, sessions):
    client = agent(app)
    client.get("/lang/en")
    thread = case_of_topic(sessions, 200)
    html = client.get(f"/cases/{thread.id}").get_data(as_text=True)
    assert "Raises a complaint" in html and "Owner's follow-up" in html
    assert "Beijing time" in html and "Approve and next" in html
    names = re.findall(r'<span class="role">([^<]*)', html)
    names += [text_of(html, "case-state"), text_of(html, "draft-title")]
    history = html.split('id="history"')[1].split("</table>")[0]
    for row in re.findall(r"<tr>(.*?)</tr>", history, re.S)[1:]:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        names += [re.sub(r"<[^>]+>", "", c) for c in cells[1:4]]  # who, what, from → to
    untranslated = [n for n in names if re.search(r"[\u4e00-\u9fff]", n)]
    assert len(names) > 20 and untranslated == []
