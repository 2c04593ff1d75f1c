"""The satisfaction check over real HTTP: after our answer is published the bot asks the owner
whether the matter is solved (a draft a person approves), and the owner's answer, or their
silence, settles the case; the dashboard counts what they said per department."""

from __future__ import annotations

from datetime import timedelta

import pytest
from casebot import CaseBot, our_replies, post
from sqlalchemy import select

from forumbot.cases.satisfaction import SatisfactionJob, read_answer
from forumbot.review.case_stats import department_outcomes
from forumbot.storage.models import AuditEntry, Case, Draft

TITLE = "物业客服电话打不通"
HOTLINE = "物业客服电话一直打不通，打了一上午都没人接，有事根本找不到人，这服务也太差了"


@pytest.fixture
def bot(sessions, client, classifier, drafter):
    return CaseBot(sessions, client, classifier, drafter)


def _case(bot: CaseBot, topic_id: int) -> Case:
    with bot.sessions() as s:
        return s.scalars(select(Case).where(Case.topic_id == topic_id)).one()


# An agent's reply with no timed promise in it: nothing else will ask the owner.
PLAIN_REPLY = (
    "@lin_xiaoyu 您好，电话打不通给您添麻烦了，非常抱歉。我们查了，是客服热线的线路故障，"
    "已经修复，现在可以正常接通。"
)


def _answered(bot: CaseBot, sandbox, text: str | None = PLAIN_REPLY) -> dict:  # type: ignore[no-untyped-def]
    """An owner complains, an agent approves the reply (``text``: as they rewrote it, None:
    as drafted), it is published: the case is answered."""
    from forumbot.cases import drafts
    from forumbot.cases.drafts import DraftRef

    topic = post(sandbox, HOTLINE, "lin_xiaoyu", title=TITLE)
    bot.take_in()
    reply = bot.case(topic["topic_id"]).reply()
    if text is not None:
        with bot.sessions() as s:
            drafts.edit(s, DraftRef(reply.id), text, actor="王小明")
            s.commit()
    bot.approve(reply.id)
    bot.publisher.run_once()
    assert _case(bot, topic["topic_id"]).state == "answered"
    return topic


def _asked(bot: CaseBot, sandbox, job: SatisfactionJob) -> tuple[dict, Draft]:  # type: ignore[no-untyped-def]
    topic = _answered(bot, sandbox)
    answered_at = _case(bot, topic["topic_id"]).answered_at
    assert job.run_once(now=answered_at + timedelta(days=1)) == 0  # too soon to ask
    assert job.run_once(now=answered_at + timedelta(days=10)) == 1
    [question] = bot.case(topic["topic_id"]).waiting()
    bot.approve(question.id)
    bot.publisher.run_once()
    with bot.sessions() as s:
        return topic, s.get(Draft, question.id)


def test_the_owner_is_asked_once_whether_it_is_solved(bot, sandbox, sessions, drafter):
    job = SatisfactionJob(sessions, drafter, after_days=3, silence_days=7)
    topic = _answered(bot, sandbox)
    answered_at = _case(bot, topic["topic_id"]).answered_at

    assert job.run_once(now=answered_at + timedelta(hours=30)) == 0
    assert job.run_once(now=answered_at + timedelta(days=9)) == 1
    [question] = bot.case(topic["topic_id"]).waiting()
    assert question.style == "satisfaction" and question.state == "pending_approval"
    assert question.text.startswith("@lin_xiaoyu ") and "解决" in question.text
    assert "满意" in question.text and TITLE in question.text
    assert job.run_once(now=answered_at + timedelta(days=12)) == 0  # asked once, not daily
    assert len(bot.case(topic["topic_id"]).waiting()) == 1

    bot.approve(question.id)
    bot.publisher.run_once()
    assert question.text.split("\n")[0] in our_replies(sandbox, topic["topic_id"])[-1]["raw"]
    assert _case(bot, topic["topic_id"]).state == "answered"  # until the owner says


def test_a_promise_in_the_answer_asks_through_its_own_follow_up(bot, sandbox, sessions, drafter):
    """The drafted reply promises a call within working days: no second question is drafted;
    the promise's follow-up asks whether it was done, and the owner's answer settles the case."""
    from forumbot.cases.jobs import FollowUpJob

    job = SatisfactionJob(sessions, drafter, after_days=3, silence_days=7)
    topic = _answered(bot, sandbox, text=None)
    answered_at = _case(bot, topic["topic_id"]).answered_at
    assert job.run_once(now=answered_at + timedelta(days=10)) == 0  # the promise will ask

    assert FollowUpJob(sessions, drafter).run_once(now=answered_at + timedelta(days=10)) == 1
    [followup] = bot.case(topic["topic_id"]).waiting()
    assert followup.style == "followup" and followup.case_id == _case(bot, topic["topic_id"]).id
    assert job.run_once(now=answered_at + timedelta(days=10)) == 0  # still one question
    bot.approve(followup.id)
    bot.publisher.run_once()

    post(sandbox, "已经有人联系过我了，问题解决了", "lin_xiaoyu", topic=topic)
    bot.take_in()
    case = _case(bot, topic["topic_id"])
    assert (case.state, case.outcome) == ("resolved", "resolved")
    assert bot.case(topic["topic_id"]).waiting() == []


def test_the_owners_yes_resolves_the_case_with_no_further_reply(bot, sandbox, sessions, drafter):
    job = SatisfactionJob(sessions, drafter, after_days=3, silence_days=7)
    topic, question = _asked(bot, sandbox, job)

    post(sandbox, "已经修好了，电话也能打通了，谢谢你们", "lin_xiaoyu", topic=topic)
    bot.take_in()

    case = _case(bot, topic["topic_id"])
    assert (case.state, case.outcome) == ("resolved", "resolved") and case.closed_at is not None
    assert bot.case(topic["topic_id"]).waiting() == []
    with sessions() as s:
        [row] = s.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_type == "case", AuditEntry.action == "case_resolved"
            )
        ).all()
        assert row.entity_id == case.id and "回访" in row.reason
        [outcome] = [o for o in department_outcomes(s, question.published_at) if o.answered]
        assert (outcome.resolved, outcome.unresolved, outcome.satisfaction_rate) == (1, 0, 1.0)


def test_not_solved_is_counted_and_reopens_the_case_with_one_reply(bot, sandbox, sessions, drafter):
    job = SatisfactionJob(sessions, drafter, after_days=3, silence_days=7)
    topic, question = _asked(bot, sandbox, job)

    answer = post(sandbox, "還是打不通，問題根本沒有解決", "lin_xiaoyu", topic=topic)  # traditional
    bot.take_in()

    case = _case(bot, topic["topic_id"])
    assert (case.state, case.outcome, case.reopened) == ("open", "unresolved", 1)
    [reply] = bot.case(topic["topic_id"]).waiting()
    assert reply.text.startswith('[quote="lin_xiaoyu, post:') and "根本沒有解決" in reply.text
    assert [d.id for d in bot.drafts_of(answer["id"])] == [reply.id]
    with sessions() as s:
        actions = s.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity_type == "case", AuditEntry.entity_id == case.id)
            .order_by(AuditEntry.id)
        ).all()
        assert actions[-2:] == ["case_unresolved", "case_reopened"]
        [outcome] = [o for o in department_outcomes(s, question.published_at) if o.answered]
        assert (outcome.resolved, outcome.unresolved, outcome.satisfaction_rate) == (0, 1, 0.0)
    # the reopened case is not asked again before it is answered again
    assert job.run_once(now=question.published_at + timedelta(days=30)) == 0


def test_silence_closes_the_case_without_an_outcome(bot, sandbox, sessions, drafter):
    job = SatisfactionJob(sessions, drafter, after_days=3, silence_days=7)
    topic, question = _asked(bot, sandbox, job)

    job.run_once(now=question.published_at + timedelta(days=6, hours=23))
    assert _case(bot, topic["topic_id"]).state == "answered"
    job.run_once(now=question.published_at + timedelta(days=7, minutes=1))
    case = _case(bot, topic["topic_id"])
    assert (case.state, case.outcome) == ("closed", None)
    with sessions() as s:
        reason = s.scalar(
            select(AuditEntry.reason).where(
                AuditEntry.entity_id == case.id, AuditEntry.action == "case_closed"
            )
        )
        assert "7 天楼主未回复" in reason
        [outcome] = [o for o in department_outcomes(s, question.published_at) if o.answered]
        assert (outcome.silent, outcome.resolution_rate) == (1, 0.0)


def test_a_rejected_question_closes_the_case_instead_of_asking_again(
    bot, sandbox, sessions, drafter
):
    from forumbot.cases import drafts
    from forumbot.cases.drafts import DraftRef

    job = SatisfactionJob(sessions, drafter, after_days=3, silence_days=7)
    topic = _answered(bot, sandbox)
    answered_at = _case(bot, topic["topic_id"]).answered_at
    job.run_once(now=answered_at + timedelta(days=10))
    [question] = bot.case(topic["topic_id"]).waiting()
    with sessions() as s:
        drafts.reject(s, DraftRef(question.id), actor="王小明", reason="电话已回访过")
        s.commit()
    assert job.run_once(now=answered_at + timedelta(days=11)) == 0
    assert _case(bot, topic["topic_id"]).state == "closed"
    assert bot.case(topic["topic_id"]).waiting() == []


@pytest.mark.parametrize(
    ("raw", "outcome"),
    [
        ("已经修好了，谢谢", "resolved"),
        ("解决了，很满意", "resolved"),
        ("现在不漏了", "resolved"),
        ("問題已經解決了", "resolved"),
        ("问题还没解决", "unresolved"),
        ("不满意，敷衍了事", "unresolved"),
        ("没有人来修", "unresolved"),
        ("還是沒修好", "unresolved"),
        ("昨天又漏了", "unresolved"),
        ("说是处理好了，其实根本没修", "unresolved"),
        ("好的收到", None),
        ('[quote="forumbot, post:3, topic:9"]\n问题现在解决了吗？\n[/quote]\n嗯嗯', None),
    ],
)
def test_reading_the_owners_answer(raw, outcome):
    assert read_answer(raw) == outcome
