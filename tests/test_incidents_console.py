"""The incident pages and the dashboard's case figures, called in-process on cases the real
filing code made (posts filed, drafted, grouped into incidents, a spike raised): who may see
and act, the order by size and age, confirm / take a case out / merge / the statement, and
the spike alerts and per-department resolution figures on the dashboard."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from forumbot.cases import filing
from forumbot.cases.writing import sync_departments
from forumbot.config import load_settings
from forumbot.drafting.engine import Drafter
from forumbot.review import case_stats
from forumbot.storage.models import (
    AuditEntry,
    Case,
    Classification,
    Department,
    Incident,
    utcnow,
)
from forumbot.web import create_app
from forumbot.web.users import add_user

PASSWORD = "correct horse battery"
FLOOD = (
    ("zhao_lei", "阳光花园地库又淹了，积水没过脚踝，车都泡水了"),
    ("sun_li", "阳光花园的地库积水太严重了，我的车也被淹了"),
    ("qian_wu", "阳光花园地库倒灌，B2全是水，物业赶紧抽水"),
)
OUTAGE = (
    ("zhou_yi", "翠湖花园7栋又停电了，冰箱里的东西都坏了"),
    ("wu_er", "翠湖花园停电一整天了，电梯也停了，老人下不了楼"),
)
D = timedelta(days=1)


@pytest.fixture(scope="module")
def drafter():
    return Drafter()


def file(s, make_post, drafter, number, username, raw, label, now):
    """A post taken in and labelled, filed by the real filing code (a case, its drafts)."""
    post = make_post(
        s,
        number,
        topic_id=number,
        username=username,
        raw=raw,
        topic_title=raw[:12],
        forum_created_at=now - timedelta(minutes=10),
    )
    row = Classification(post_id=post.id, label=label, source="model", confidence=0.9)
    s.add(row)
    s.flush()
    departments = sync_departments(s, drafter.resources.departments)
    filing.file_post(s, post, row, drafter, departments, now)
    s.flush()
    return post


@pytest.fixture
def seeded(sessions, make_post, drafter):
    """Two incidents: three owners' flooded garage (a spike), two owners' power cut."""
    now = utcnow()
    with sessions() as s:
        for n, (user, raw) in enumerate(FLOOD):
            file(s, make_post, drafter, 100 + n, user, raw, "property_management", now)
        for n, (user, raw) in enumerate(OUTAGE):
            file(s, make_post, drafter, 200 + n, user, raw, "property_management", now)
        s.commit()
        flood = s.scalar(select(Incident).where(Incident.place == "阳光花园"))
        outage = s.scalar(select(Incident).where(Incident.place == "翠湖花园"))
        assert flood is not None and outage is not None
        return {"flood": flood.id, "outage": outage.id}


@pytest.fixture
def app(settings, sessions, seeded):
    console = load_settings(
        path=None,
        environ={**settings.secrets, "FORUMBOT_SECRET_KEY": "test-secret-key-0123456789"},
        overrides={"database.url": settings["database.url"]},
    )
    with sessions() as s:
        add_user(s, "kefu", PASSWORD, "agent")
        add_user(s, "guanli", PASSWORD, "admin")
        add_user(s, "gongcheng", PASSWORD, "specialist", "engineering")
        add_user(s, "banzhu", PASSWORD, "moderator")
        s.commit()
    flask_app = create_app(console, sessions)
    flask_app.config["TESTING"] = True
    return flask_app


def token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(app, name="kefu"):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token(page)})
    return client


def post(client, path, page, **data):
    return client.post(path, data={"csrf_token": token(page), **data})


def element(html: str, element_id: str) -> str:
    found = re.search(rf'<(\w+)[^>]* id="{element_id}".*?</\1>', html, re.S)
    assert found, element_id
    return found.group(0)


def members(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'class="member" data-case="(\d+)"', html)]


@pytest.mark.parametrize(
    ("user", "status"), [("kefu", 200), ("guanli", 200), ("gongcheng", 403), ("banzhu", 403)]
)
def test_agents_and_admins_only(app, seeded, user, status):
    client = login(app, user)
    assert client.get("/incidents").status_code == status
    assert client.get(f"/incidents/{seeded['flood']}").status_code == status


@pytest.mark.parametrize("action", ["confirm", "split", "merge", "statement"])
def test_others_may_not_act(app, sessions, seeded, action):
    client = login(app, "gongcheng")
    page = client.get("/department").get_data(as_text=True)  # a page of theirs: their token
    response = post(client, f"/incidents/{seeded['flood']}/{action}", page, statement="公告")
    assert response.status_code == 403
    assert app.test_client().get("/incidents").status_code == 302  # signed out: to login
    with sessions() as s:
        assert s.get(Incident, seeded["flood"]).state == "suggested"
        assert s.get(Incident, seeded["flood"]).statement is None


def test_listing_by_size_then_age_with_request_and_spike(app, seeded):
    html = login(app).get("/incidents").get_data(as_text=True)
    order = [int(n) for n in re.findall(r'class="incident-row[^"]*" data-incident="(\d+)"', html)]
    assert order == [seeded["flood"], seeded["outage"]]  # three cases before two
    flood = re.search(rf'data-incident="{seeded["flood"]}">.*?</tr>', html, re.S).group(0)
    assert '<td class="num cases">3</td>' in flood and "spike-flag" in flood
    assert "阳光花园" in flood and "待答复" in flood  # its one request, still open
    outage = re.search(rf'data-incident="{seeded["outage"]}">.*?</tr>', html, re.S).group(0)
    assert "spike-flag" not in outage and '<td class="num cases">2</td>' in outage


def test_incident_page_lists_member_cases_with_links(app, sessions, seeded):
    html = login(app).get(f"/incidents/{seeded['flood']}").get_data(as_text=True)
    table = element(html, "members")
    with sessions() as s:
        cases = s.scalars(select(Case).where(Case.incident_id == seeded["flood"])).all()
    assert sorted(members(table)) == sorted(c.id for c in cases) and len(cases) == 3
    for c in cases:
        row = re.search(rf'data-case="{c.id}">.*?</tr>', table, re.S).group(0)
        assert re.search(rf'href="/(cases/{c.id}|drafts/\d+)"', row), row
        assert f'/t/{c.topic_id}"' in row and c.owner in row
    assert "本事件还没有部门请求" not in html and "部门请求 #" in element(html, "incident-request")


def test_confirm(app, sessions, seeded):
    client = login(app)
    page = client.get(f"/incidents/{seeded['flood']}").get_data(as_text=True)
    done = post(client, f"/incidents/{seeded['flood']}/confirm", page)
    assert done.status_code == 302
    html = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已确认事件" in html and 'id="confirm-form"' not in html
    with sessions() as s:
        assert s.get(Incident, seeded["flood"]).state == "confirmed"
        entry = s.scalar(
            select(AuditEntry).where(
                AuditEntry.entity_id == seeded["flood"], AuditEntry.action == "incident_confirmed"
            )
        )
        assert entry.actor == "kefu"


def test_take_a_case_out_and_refuse_a_stranger(app, sessions, seeded):
    client = login(app)
    page = client.get(f"/incidents/{seeded['flood']}").get_data(as_text=True)
    leaving, *staying = members(page)
    post(client, f"/incidents/{seeded['flood']}/split", page, case_id=str(leaving))
    html = client.get(f"/incidents/{seeded['flood']}").get_data(as_text=True)
    assert members(html) == staying
    with sessions() as s:
        assert s.get(Case, leaving).incident_id is None
        outsider = s.scalar(select(Case).where(Case.incident_id == seeded["outage"])).id
    refused = post(client, f"/incidents/{seeded['flood']}/split", html, case_id=str(outsider))
    shown = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert f"案件 #{outsider} 不属于事件 #{seeded['flood']}" in shown
    with sessions() as s:
        assert s.get(Case, outsider).incident_id == seeded["outage"]


def test_merge_into_another_incident(app, sessions, seeded):
    client = login(app)
    page = client.get(f"/incidents/{seeded['outage']}").get_data(as_text=True)
    done = post(client, f"/incidents/{seeded['outage']}/merge", page, into=str(seeded["flood"]))
    assert done.headers["Location"].endswith(f"/incidents/{seeded['flood']}")
    html = client.get(done.headers["Location"]).get_data(as_text=True)
    assert len(members(html)) == 5
    listing = client.get("/incidents").get_data(as_text=True)
    assert f'data-incident="{seeded["outage"]}"' not in listing  # closed
    with sessions() as s:
        assert s.get(Incident, seeded["outage"]).state == "closed"
    closed = client.get(f"/incidents/{seeded['outage']}").get_data(as_text=True)
    again = post(client, f"/incidents/{seeded['outage']}/merge", closed, into=str(seeded["flood"]))
    assert "已关闭" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_statement_is_kept_and_offered_for_pasting(app, sessions, seeded):
    client = login(app)
    page = client.get(f"/incidents/{seeded['flood']}").get_data(as_text=True)
    assert 'id="statement-snippet"' not in page
    empty = post(client, f"/incidents/{seeded['flood']}/statement", page, statement="   ")
    assert empty.status_code == 400 and "不能为空" in empty.get_data(as_text=True)
    long = post(client, f"/incidents/{seeded['flood']}/statement", page, statement="水" * 2001)
    assert long.status_code == 400 and "最多 2000 个字" in long.get_data(as_text=True)
    assert "水" * 2001 in long.get_data(as_text=True)  # what was typed stays in the form
    text = "地库积水系市政管网倒灌所致，物业已连夜抽水，今晚完成清淤。"
    saved = post(client, f"/incidents/{seeded['flood']}/statement", page, statement=text)
    assert saved.status_code == 302
    html = client.get(f"/incidents/{seeded['flood']}").get_data(as_text=True)
    snippet = element(html, "statement-snippet")
    with sessions() as s:
        assert s.get(Incident, seeded["flood"]).statement == text
        first = s.scalars(
            select(Case)
            .where(Case.incident_id == seeded["flood"])
            .order_by(Case.opened_at, Case.id)
        ).first()
    assert text in snippet and f"/t/{first.topic_id}" in snippet
    assert "<script>" not in html


def test_csrf_is_required(app, sessions, seeded):
    response = login(app).post(f"/incidents/{seeded['flood']}/confirm")
    assert response.status_code == 400
    with sessions() as s:
        assert s.get(Incident, seeded["flood"]).state == "suggested"


# --- the dashboard ---------------------------------------------------------------------------


def test_dashboard_shows_the_spike_and_the_largest_incidents(app, sessions, seeded):
    html = login(app).get("/dashboard").get_data(as_text=True)
    [alert] = re.findall(r'<p class="warning spike-alert".*?</p>', html, re.S)
    assert f'href="/incidents/{seeded["flood"]}"' in alert and "请主管关注" in alert
    table = element(html, "incidents-table")
    order = [int(n) for n in re.findall(r'<tr data-incident="(\d+)"', table)]
    assert order == [seeded["flood"], seeded["outage"]]


def test_old_spikes_leave_the_dashboard(sessions, seeded):
    with sessions() as s:
        assert [a.incident_id for a in case_stats.spike_alerts(s, utcnow())] == [seeded["flood"]]
        assert case_stats.spike_alerts(s, utcnow() + 2 * D) == []


def outcome_case(s, make_post, number, department, *, answered, outcome=None, state="answered"):
    post = make_post(s, number, topic_id=number, username=f"owner{number}")
    s.add(
        Case(
            topic_id=number,
            owner=post.username,
            opening_post_id=post.id,
            label="engineering",
            state=state,
            department_id=department,
            answered_at=answered,
            outcome=outcome,
        )
    )


def test_resolution_and_satisfaction_per_department(sessions, make_post):
    now = datetime(2024, 6, 15, 4, 0, tzinfo=UTC)
    with sessions() as s:
        eng = Department(code="engineering", name="工程部", response_days=3)
        s.add(eng)
        s.flush()
        for n, outcome, state in (
            (1, "resolved", "resolved"),
            (2, "resolved", "closed"),
            (3, "unresolved", "unresolved"),
            (4, None, "closed"),  # nobody answered the satisfaction question
            (5, None, "answered"),  # still waiting for the owner
        ):
            outcome_case(
                s, make_post, n, eng.id, answered=now - 3 * D, outcome=outcome, state=state
            )
        outcome_case(s, make_post, 6, eng.id, answered=now - 40 * D, outcome="unresolved")
        outcome_case(s, make_post, 7, None, answered=now - D, outcome="resolved", state="resolved")
        s.commit()
        rows = {r.code: r for r in case_stats.department_outcomes(s, now)}
    eng_row = rows["engineering"]
    assert (eng_row.answered, eng_row.resolved, eng_row.unresolved) == (5, 2, 1)
    assert (eng_row.silent, eng_row.waiting) == (1, 1)
    assert eng_row.resolution_rate == pytest.approx(0.4)
    assert eng_row.satisfaction_rate == pytest.approx(2 / 3)
    assert rows[None].answered == 1 and rows[None].name is None


def test_dashboard_table_and_definitions(app, sessions, seeded):
    with sessions() as s:
        case = s.scalars(select(Case).where(Case.incident_id == seeded["flood"])).first()
        case.answered_at, case.outcome, case.state = utcnow() - D, "resolved", "resolved"
        department = s.get(Department, case.department_id)
        s.commit()
    html = login(app).get("/dashboard").get_data(as_text=True)
    row = re.search(
        rf'data-department="{department.code}"><td>.*?</tr>', element(html, "outcomes"), re.S
    )
    assert row and '<td class="num answered">1</td>' in row.group(0)
    assert '<td class="num resolution-rate">100%</td>' in row.group(0)
    definitions = element(html, "outcome-definitions")
    assert "解决率 = 已解决 ÷ 已答复" in definitions and "无回音关闭" in definitions


def test_incident_pages_in_english(app, seeded):
    client = login(app)
    client.get(f"/lang/en?next=/incidents/{seeded['flood']}")
    html = client.get(f"/incidents/{seeded['flood']}").get_data(as_text=True)
    assert "Member cases" in html and "Confirm it is one incident" in html
    assert "成员案件" not in html and "待确认" not in html
    listing = client.get("/incidents").get_data(as_text=True)
    assert "Open incidents" in listing and "Spike" in listing and "进行中的事件" not in listing


def test_an_incident_does_not_grow_past_its_window_by_chaining(sessions, make_post, drafter):
    """Floods 60 hours apart join one incident; one 120 hours after the first does not join
    it through the middle one (the window counts from the incident's first case)."""
    from forumbot.storage.models import Case

    first = utcnow() - timedelta(hours=130)
    with sessions() as s:
        for n, hours in enumerate((0, 60, 120)):
            user, raw = FLOOD[n]
            file(
                s,
                make_post,
                drafter,
                700 + n,
                user,
                raw,
                "property_management",
                first + timedelta(hours=hours),
            )
        s.commit()
        cases = s.scalars(select(Case).where(Case.topic_id.in_((700, 701, 702)))).all()
        by_topic = {c.topic_id: c.incident_id for c in cases}
    assert by_topic[700] is not None and by_topic[700] == by_topic[701]
    assert by_topic[702] != by_topic[700]
