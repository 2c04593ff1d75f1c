"""Incidents on real threads: four owners in four topics about one flooded garage at one
community are one incident with one department request, and the department's one answer
fills every member case's reply; a flood at another community is a matter of its own."""

from __future__ import annotations

import pytest
from casebot import CaseBot, post
from sqlalchemy import select

from forumbot.cases.incident_match import place_of
from forumbot.storage.models import AuditEntry, Incident

FLOODS = [
    (
        "hu_jun",
        "翠湖花园地库又淹了",
        "昨晚一场暴雨，翠湖花园地下车库又进水了，积水到小腿，好几辆车泡在水里，"
        "物业到现在也没人来抽水",
    ),
    (
        "xu_lan",
        "地下车库积水严重",
        "我们翠湖花园的地库又被淹了，B区车位全是水，我的车发动机都进水了，谁来负责？",
    ),
    ("gao_peng", "车库被淹谁负责", "住在翠湖花园3栋，今天早上下去开车，车库全是水，排水泵根本没开"),
    ("tang_mei", "翠湖花園地庫淹水", "請問翠湖花園地庫淹水的事物業打算怎麼處理？我的車也泡了"),
]
ELSEWHERE = (
    "song_yu",
    "锦绣华庭地库也淹了",
    "锦绣华庭地下车库昨晚也进水了，积水很深，物业一直不处理",
)
ANSWER = (
    "经物业公司排查，翠湖花园地库集水井两台排水泵因暴雨断电停转，现已恢复供电并加装备用泵，"
    "受损车辆请到物业服务中心登记，保险理赔由物业协助办理。"
)


@pytest.fixture
def bot(sessions, client, classifier, drafter):
    return CaseBot(sessions, client, classifier, drafter)


@pytest.mark.parametrize(
    "text",
    [
        "翠湖花园地库又淹了",
        "我们翠湖花园的地库又被淹了",
        "住在翠湖花园，车库全是水",
        "家住翠湖花园的业主们",
        "昨天下雨翠湖花园地下车库积水严重",
        "請問翠湖花園地庫淹水誰負責",
        "翠湖花园小区地库积水",
        "地库倒灌了 翠湖花园二期地下车库",
    ],
)
def test_the_community_is_named_alike_however_the_owner_puts_it(text):
    assert place_of(text) == "翠湖花园"


def test_the_building_is_kept_with_the_community():
    assert place_of("住在翠湖花园3栋，车库全是水") == "翠湖花园3栋"
    assert place_of("和平花园5号楼电梯坏了") == "和平花园5栋"


def test_four_owners_one_flooded_garage_one_incident_one_request(bot, sandbox):
    topics = [post(sandbox, raw, owner, title=title) for owner, title, raw in FLOODS]
    other = post(sandbox, ELSEWHERE[2], ELSEWHERE[0], title=ELSEWHERE[1])
    bot.take_in()

    cases = [bot.case(t["topic_id"]) for t in topics]
    [incident_id] = {c.incident_id for c in cases}
    assert incident_id is not None
    assert [c.owner for c in cases] == [owner for owner, _, _ in FLOODS]
    elsewhere = bot.case(other["topic_id"])
    assert elsewhere.incident_id != incident_id

    # One request for the incident, asked once; the other community's flood has its own.
    requests = bot.requests("open")
    mine = [r for r in requests if r.incident_id == incident_id]
    assert len(mine) == 1
    assert sum(len(c.requests) for c in cases) == 1
    [separate] = elsewhere.open_requests()
    assert separate.incident_id is None or separate.incident_id != incident_id
    for case in cases:
        assert len(case.awaiting_department()) == 1, case.owner
        [holding] = case.waiting()
        assert holding.style == "holding" and holding.text.startswith(f"@{case.owner} ")

    with bot.sessions() as s:
        incident = s.get(Incident, incident_id)
        assert incident is not None and incident.place == "翠湖花园"
        spikes = s.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_type == "incident", AuditEntry.action == "incident_spike"
            )
        ).all()
        # one alert for this burst (the seeded forum's own flooded garage has its own)
        assert [e.entity_id for e in spikes].count(incident_id) == 1, "one spike alert"

    # The department answers once: every member case gets its own unified reply.
    bot.answer(mine[0].id, ANSWER, actor="物业公司张经理")
    for case in (bot.case(t["topic_id"]) for t in topics):
        reply = case.reply()
        assert len(case.waiting()) == 1, f"{case.owner}: the answer replaces the holding reply"
        assert reply.text.startswith(f"@{case.owner} ") and ANSWER in reply.text
        assert case.awaiting_department() == []
    assert [r.id for r in bot.requests("open") if r.id == separate.id] == [separate.id]
    elsewhere = bot.case(other["topic_id"])
    assert len(elsewhere.awaiting_department()) == 1 and ANSWER not in elsewhere.waiting()[0].text


def test_an_owner_reporting_after_the_answer_gets_it_without_a_new_request(bot, sandbox):
    """The incident's one request was answered; a fifth owner reports the same flood: their
    reply carries the answer at once, and the department is not asked again."""
    first, second = (post(sandbox, raw, owner, title=title) for owner, title, raw in FLOODS[:2])
    bot.take_in()
    [request] = bot.case(first["topic_id"]).open_requests()
    assert bot.case(second["topic_id"]).incident_id == request.incident_id is not None
    bot.answer(request.id, ANSWER, actor="物业公司张经理")

    late = post(
        sandbox,
        "翠湖花园地下车库今天还有积水，我的车也被泡了，物业说等通知，到底怎么处理？",
        "fang_jie",
        title="翠湖花园车库积水",
    )
    bot.take_in()
    case = bot.case(late["topic_id"])
    assert case.incident_id == request.incident_id
    asked = [r for r in bot.requests() if r.incident_id == request.incident_id]
    assert [r.id for r in asked] == [request.id], "the department is not asked twice"
    assert case.awaiting_department() == []
    reply = case.reply()
    assert [d.id for d in case.waiting()] == [reply.id]
    assert reply.text.startswith("@fang_jie ") and ANSWER in reply.text
