"""The case rules (one owner's matter in one topic; one reply in progress per case) proven on
real forum threads: posts go to the sandbox over HTTP, the bot runs in-process with the
shipped classifier, and the assertions are what an agent would see in the console."""

from __future__ import annotations

import pytest
from casebot import AGENT, CaseBot, our_replies, post

# A service complaint: an interactive reply, waiting for an agent at once.
HOTLINE_TITLE = "物业客服电话打不通"
HOTLINE = "物业客服电话一直打不通，打了一上午都没人接，有事根本找不到人，这服务也太差了"
HOTLINE_MORE = "补充一下，今天又打了五次，还是没人接"
# A lift that keeps failing: the property company must answer (a department request).
LIFT_TITLE = "电梯天天坏"
LIFT = "12栋的电梯这个月坏了三次，上周还困了人，物业说报修了就没下文"
LIFT_ANSWER = "经物业公司核查，12栋电梯曳引机制动器老化，维保单位已更换配件，本周五前完成验收。"


@pytest.fixture
def bot(sessions, client, classifier, drafter):
    return CaseBot(sessions, client, classifier, drafter)


def test_a_mixed_thread_files_every_reply_in_its_role(bot, sandbox):
    """Twelve replies under one complaint: neighbours' +1 (simplified and traditional), a
    bump, advice, the owner's addition, a second owner's own matter and a +1 to it, abuse."""
    topic = post(sandbox, HOTLINE, "lin_xiaoyu", title=HOTLINE_TITLE)
    thread = [
        ("zhao_gang", "顶", None),
        ("wang_fang", "我家也是，打了好几次都没人接", None),
        ("chen_jie", "楼主可以去物业前台当面找经理，比打电话快", None),
        ("lin_xiaoyu", HOTLINE_MORE, None),
        ("sun_lei", "我是5栋的，我家门口的路灯坏了两个月了，晚上回家黑漆漆的，报修也没人管", None),
        ("liu_min", "同问，路灯我们那边也不亮", 6),
        ("zhou_hao", "你们客服都是饭桶，一群废物", None),
        ("he_ping", "+1", 6),
        ("wu_qiang", "物业经理换人了吧，之前那个还行", None),
        ("zhao_gang", "顶", None),
        ("ma_li", "我家都係咁", None),
        ("sun_lei", "补充：是5栋2单元门口那两盏，已经报修过两次了", None),
    ]
    for username, raw, reply_to in thread:
        post(sandbox, raw, username, topic=topic, reply_to_post_number=reply_to)
    bot.take_in()

    lin, sun = "lin_xiaoyu", "sun_lei"
    assert bot.roles(topic["topic_id"]) == {
        1: ("opener", lin),
        2: ("supporter", lin),
        3: ("supporter", lin),
        4: ("chatter", lin),
        5: ("update", lin),
        6: ("opener", sun),
        7: ("supporter", sun),
        8: ("abuse", lin),
        9: ("supporter", sun),
        10: ("chatter", lin),
        11: ("supporter", lin),
        12: ("supporter", lin),
        13: ("update", sun),
    }
    first, second = bot.cases(topic["topic_id"])
    assert (first.owner, first.supporters) == (lin, ["zhao_gang", "wang_fang", "ma_li"])
    assert (second.owner, second.supporters) == (sun, ["liu_min", "he_ping"])

    # One reply waiting per case, addressed to its owner and naming its supporters.
    reply = first.reply()
    assert len(first.waiting()) == 1
    assert reply.text.startswith("@lin_xiaoyu ")
    assert "楼主和@zhao_gang、@wang_fang、@ma_li反映的是同一个问题" in reply.text
    superseded = [d for d in first.drafts if d.state == "superseded"]
    assert superseded and all(d.id < reply.id for d in superseded), "redone after 补充"

    # The second owner's case waits for the property company, with one holding reply.
    [waiting] = second.awaiting_department()
    [holding] = second.waiting()
    # Our reply comes far below the second owner's post: it quotes it, then names them.
    quote = f'[quote="sun_lei, post:6, topic:{topic["topic_id"]}"]\n我是5栋的'
    assert holding.style == "holding" and holding.text.startswith(quote)
    assert "[/quote]\n\n@sun_lei " in holding.text
    assert "@liu_min、@he_ping" in holding.text
    assert "[quote" not in reply.text, "the topic's first post is not quoted"
    [request] = second.open_requests()
    assert request.department.code == "property" and request.draft_id == waiting.id
    assert first.requests == []

    # Nobody else got a reply of their own; abuse went to the moderators.
    with bot.sessions() as s:
        from sqlalchemy import select

        from forumbot.storage.models import Draft, Post

        kinds = s.execute(
            select(Post.post_number, Draft.kind)
            .join(Draft, Draft.post_id == Post.id)
            .where(Post.topic_id == topic["topic_id"], Draft.state != "superseded")
        ).all()
    assert sorted(kinds) == [(1, "reply"), (6, "reply"), (6, "reply"), (8, "flag")]


def lift_topic(bot, sandbox, *supporters: str) -> dict:
    """The lift complaint, with neighbours' "+1", taken in: the property company is asked."""
    topic = post(sandbox, LIFT, "qian_wei", title=LIFT_TITLE)
    for name in supporters:
        post(sandbox, "+1", name, topic=topic)
    bot.take_in()
    return topic


def test_department_answer_retires_the_holding_reply_and_names_everyone(bot, sandbox):
    topic = lift_topic(bot, sandbox, "zhao_gang", "wang_fang")
    case = bot.case(topic["topic_id"])
    [request] = case.open_requests()
    [holding] = case.waiting("holding")
    assert "楼主和@zhao_gang、@wang_fang反映的是同一个问题" in holding.text

    unified = bot.answer(request.id, LIFT_ANSWER, actor="物业公司张经理")
    case = bot.case(topic["topic_id"])
    assert [d.id for d in case.waiting()] == [unified.id], "one reply waiting: the answer"
    reply = case.reply()
    assert reply.text.startswith("@qian_wei ") and LIFT_ANSWER in reply.text
    assert "@zhao_gang、@wang_fang" in reply.text
    retired = next(d for d in case.drafts if d.id == holding.id)
    assert retired.state == "superseded"
    with bot.sessions() as s:
        from forumbot.storage import audit

        [why] = [e.reason for e in audit.history(s, holding.id) if e.to_state == "superseded"]
    assert "已答复" in why
    [answered] = case.requests
    assert (answered.state, answered.answer) == ("answered", LIFT_ANSWER)
    assert case.state == "open"


def test_a_published_holding_reply_stays_when_the_department_answers(bot, sandbox):
    topic = lift_topic(bot, sandbox)
    case = bot.case(topic["topic_id"])
    [holding] = case.waiting("holding")
    bot.approve(holding.id)
    assert bot.publisher.run_once().published == [holding.id]
    assert bot.case(topic["topic_id"]).state == "waiting_department"

    [request] = case.open_requests()
    bot.answer(request.id, LIFT_ANSWER, actor="物业公司张经理")
    case = bot.case(topic["topic_id"])
    assert {d.state for d in case.drafts if d.style == "holding"} == {"published"}
    assert len(case.waiting()) == 1 and LIFT_ANSWER in case.reply().text


def test_owner_says_it_is_solved_closes_the_request_and_every_draft(bot, sandbox):
    topic = lift_topic(bot, sandbox, "zhao_gang")
    post(sandbox, "已经解决了，物业经理刚才打电话过来了，谢谢", "qian_wei", topic=topic)
    bot.take_in()

    case = bot.case(topic["topic_id"])
    assert case.state == "resolved"
    assert case.waiting() == [] and case.awaiting_department() == []
    [request] = case.requests
    assert request.state == "closed" and "已解决" in request.closed_reason


def test_owner_deleting_the_opener_closes_the_case_and_its_request(bot, sandbox):
    topic = lift_topic(bot, sandbox, "zhao_gang")
    [holding] = bot.case(topic["topic_id"]).waiting("holding")
    bot.approve(holding.id)
    sandbox.call("POST", f"posts/{topic['id']}/delete")
    # The forum lists no deleted post: the publisher's re-read before posting finds it gone.
    assert bot.publisher.run_once().superseded == [holding.id]
    assert our_replies(sandbox, topic["topic_id"]) == []

    case = bot.case(topic["topic_id"])
    assert case.state == "closed"
    assert case.waiting() == [] and case.awaiting_department() == []
    [request] = case.requests
    assert request.state == "closed" and "删除" in request.closed_reason


def test_an_edited_opener_is_redrafted_without_a_second_request(bot, sandbox):
    topic = lift_topic(bot, sandbox, "zhao_gang")
    [before] = bot.case(topic["topic_id"]).open_requests()
    edited = LIFT + "。补充：今天早上又困了两个人，119都来了"
    sandbox.call("POST", f"posts/{topic['id']}/edit", raw=edited)
    bot.take_in()

    case = bot.case(topic["topic_id"])
    assert [r.id for r in case.requests] == [before.id] and case.open_requests()
    [waiting] = case.awaiting_department()
    assert waiting.post_version == 2 and before.id in [r.id for r in case.open_requests()]
    assert case.open_requests()[0].draft_id == waiting.id
    [holding] = case.waiting()
    assert holding.style == "holding" and holding.post_version == 2
    assert "@zhao_gang" in holding.text, "the supporter is still named"


def test_owner_adding_while_the_department_works_makes_no_second_reply(bot, sandbox):
    topic = lift_topic(bot, sandbox)
    post(sandbox, "又坏了，今天早上又困了两个人，到底什么时候彻底修好？", "qian_wei", topic=topic)
    bot.take_in()

    case = bot.case(topic["topic_id"])
    assert bot.roles(topic["topic_id"])[2] == ("update", "qian_wei")
    assert len(case.awaiting_department()) == 1 and len(case.waiting()) == 1
    assert len(case.requests) == 1
    [waiting] = case.awaiting_department()
    assert "2 楼补充" in waiting.context


def test_published_reply_answers_the_case_and_the_owner_reopens_it(bot, sandbox):
    """approve -> publish over HTTP -> answered -> the owner posts again -> reopened with
    exactly one new draft, which quotes the later post; a second addition redoes that one."""
    topic = post(sandbox, HOTLINE, "lin_xiaoyu", title=HOTLINE_TITLE)
    post(sandbox, "+1", "zhao_gang", topic=topic)
    bot.take_in()
    reply = bot.case(topic["topic_id"]).reply()
    bot.approve(reply.id)
    assert bot.publisher.run_once().published == [reply.id]
    [published] = our_replies(sandbox, topic["topic_id"])
    assert published["raw"].startswith("@lin_xiaoyu ") and "@zhao_gang" in published["raw"]
    case = bot.case(topic["topic_id"])
    assert (case.state, case.waiting()) == ("answered", [])

    again = "今天又打不通了，和上次一样，客服到底在干嘛"
    later = post(sandbox, again, "lin_xiaoyu", topic=topic)
    bot.take_in()
    case = bot.case(topic["topic_id"])
    assert (case.state, case.reopened) == ("open", 1)
    [fresh] = case.waiting()
    topic_id = topic["topic_id"]
    quote = f'[quote="lin_xiaoyu, post:{later["post_number"]}, topic:{topic_id}"]'
    assert fresh.text.startswith(quote) and again in fresh.text
    assert "@lin_xiaoyu " in fresh.text

    more = "补充：刚才终于打通了，说明天才有人回电话"
    latest = post(sandbox, more, "lin_xiaoyu", topic=topic)
    bot.take_in()
    case = bot.case(topic["topic_id"])
    assert case.reopened == 1, "still the same reopening"
    [redone] = case.waiting()
    assert redone.id != fresh.id
    quote = f'[quote="lin_xiaoyu, post:{latest["post_number"]}, topic:{topic_id}"]'
    assert redone.text.startswith(quote), "the reply answers the owner's latest post"

    bot.approve(redone.id)
    assert bot.publisher.run_once().published == [redone.id]
    assert len(our_replies(sandbox, topic["topic_id"])) == 2
    assert bot.case(topic["topic_id"]).state == "answered"


def test_a_neighbour_is_named_unless_an_agent_is_on_the_reply_right_now(bot, sandbox):
    """An agent who has the reply open keeps their text steady; once their claim has lapsed
    (they left the page), a neighbour who joins is named in the reply."""
    from datetime import timedelta

    from forumbot.review import claims
    from forumbot.storage.models import utcnow

    topic = post(sandbox, HOTLINE, "lin_xiaoyu", title=HOTLINE_TITLE)
    bot.take_in()
    reply = bot.case(topic["topic_id"]).reply()
    with bot.sessions() as s:
        claims.claim(s, reply.id, AGENT, utcnow(), 10)
        s.commit()
    post(sandbox, "+1", "zhao_gang", topic=topic)
    bot.take_in()
    held = bot.case(topic["topic_id"]).reply()
    assert (held.text, held.revision) == (reply.text, reply.revision), "not under their hands"

    with bot.sessions() as s:
        claims.release(s, reply.id, AGENT)
        claims.claim(s, reply.id, "李娜", utcnow() - timedelta(hours=2), 10)
        s.commit()
    post(sandbox, "我家都係咁", "ma_li", topic=topic)
    bot.take_in()
    named = bot.case(topic["topic_id"]).reply()
    assert named.id == reply.id
    assert "楼主和@zhao_gang、@ma_li反映的是同一个问题" in named.text


def test_an_owners_follow_up_relabelled_as_abuse_goes_to_the_moderators(bot, sandbox):
    """The classifier took the owner's angry follow-up for an addition; an agent relabels it
    as abuse: it becomes a moderation proposal, and the case's reply stays one reply."""
    from sqlalchemy import select

    from forumbot.cases.redraft import relabel
    from forumbot.storage.models import Post

    topic = post(sandbox, HOTLINE, "lin_xiaoyu", title=HOTLINE_TITLE)
    angry = post(
        sandbox,
        "今天又打了五次，还是没人接，物业的人是死了吗",
        "lin_xiaoyu",
        topic=topic,
    )
    bot.take_in()
    assert bot.roles(topic["topic_id"])[2] == ("update", "lin_xiaoyu")

    with bot.sessions() as s:
        stored = s.scalars(select(Post).where(Post.forum_post_id == angry["id"])).one()
        relabel(s, stored, "abuse", actor=AGENT, drafter=bot.drafter, reason="辱骂工作人员")
        s.commit()
    assert bot.roles(topic["topic_id"])[2] == ("abuse", "lin_xiaoyu")
    [flag] = [d for d in bot.drafts_of(angry["id"]) if d.state == "pending_approval"]
    assert flag.kind == "flag"
    case = bot.case(topic["topic_id"])
    assert [d.id for d in case.waiting()] == [case.reply().id]
    # the reply redone with the abusive follow-up was retired; the one in progress answers
    # the owner's matter, without quoting the abuse
    assert "死了" not in case.reply().text and "[quote" not in case.reply().text
