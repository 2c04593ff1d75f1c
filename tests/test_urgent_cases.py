"""Danger first: a gas smell, people trapped in a lift and a threat, posted on the forum, reach
the top of the queue with a same-day reply drafted and an alert sent, once, by mail (a real
SMTP server) and to a chat robot (a real HTTP endpoint). Sensitive matters need two people's
approval before the publisher posts anything."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alertsinks import Mailbox, RobotInbox
from casebot import AGENT, CaseBot, our_replies, post
from sqlalchemy import select

from forumbot.alerts.job import AlertJob
from forumbot.alerts.setup import channels_from
from forumbot.cases import drafts as case_drafts
from forumbot.cases.drafts import DraftRef
from forumbot.config import load_settings
from forumbot.review.errors import ReviewError
from forumbot.storage import audit
from forumbot.storage.models import Alert, AuditEntry, Case, Draft, User, utcnow
from forumbot.web import casework
from forumbot.web.queue import QueueFilter

GAS = (
    "3栋楼道燃气味很重",
    "3栋2单元楼道里从早上开始就有很大的煤气味，老人孩子都在家，赶紧来人看看",
)
LIFT = ("电梯困人", "5号楼2单元电梯停在8楼和9楼之间，我和孩子被困在里面快二十分钟了，按警铃没人应")
THREAT = ("你们等着", "再不给我退房，看我不弄死你们这帮骗子")
ORDINARY = ("车位划线", "地下车库的车位线早就磨没了，停车老是压线，麻烦物业重新划一下")
DUTY, SECURITY = "duty@centre.test", "security@centre.test"


@pytest.fixture
def bot(sessions, client, classifier, drafter):
    return CaseBot(sessions, client, classifier, drafter)


@pytest.fixture
def mailbox():
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture
def robot():
    inbox = RobotInbox().start()
    yield inbox
    inbox.stop()


def alert_job(sessions, mailbox: Mailbox, robot: RobotInbox, database_url: str) -> AlertJob:
    """The alert job as `forumbot run` builds it from settings (a restart builds a new one)."""
    settings = load_settings(
        path=None,
        environ={"FORUMBOT_ROBOT_WEBHOOK_URL": robot.url},
        overrides={
            "database.url": database_url,
            "alerts.smtp_host": "127.0.0.1",
            "alerts.smtp_port": mailbox.port,
            "alerts.duty_manager": [DUTY],
            "alerts.security": [SECURITY],
            "alerts.console_url": "https://console.centre.test",
        },
    )
    return AlertJob(sessions, channels_from(settings), "http://forum.test", "https://console.test")


def test_danger_goes_first_with_a_same_day_reply_and_one_alert_each(
    bot, sandbox, sessions, mailbox, robot, database_url
):
    post(sandbox, ORDINARY[1], "li_na", title=ORDINARY[0])
    owners = ("zhang_wei88", "chen_jie", "angry_owner")
    for (title, raw), who in zip((GAS, LIFT, THREAT), owners, strict=True):
        post(sandbox, raw, who, title=title)
    bot.take_in()

    with sessions() as s:
        first = casework.order(s, QueueFilter(), utcnow())
        cases = {c.opening_post.topic_title: c for c in s.scalars(select(Case))}
        rows = [s.get(Draft, step.key.draft_id) for step in first]
        flags = [bool(d.case and d.case.urgent) for d in rows]
        assert flags == sorted(flags, reverse=True), "every urgent case comes before the rest"
        heads = {d.post.topic_title for d, urgent in zip(rows, flags, strict=True) if urgent}
        assert {GAS[0], LIFT[0], THREAT[0]} <= heads
        for title in (GAS[0], LIFT[0], THREAT[0]):
            case = cases[title]
            assert case.urgent and case.urgent_reason
            waiting = [
                d
                for d in s.scalars(select(Draft).where(Draft.case_id == case.id))
                if d.state == "pending_approval"
            ]
            [reply] = waiting
            assert "24小时值班电话" in reply.text and "今天" in reply.text
            assert "个工作日" not in reply.text
            posted = case.opening_post.forum_created_at
            assert reply.due_at - posted <= timedelta(hours=2)
        assert not cases[ORDINARY[0]].urgent
        assert cases[THREAT[0]].urgent_kind == "threat"

    job = alert_job(sessions, mailbox, robot, database_url)
    sent = job.run_once()
    for title in (GAS[0], LIFT[0], THREAT[0]):
        assert len([m for m in mailbox.to(DUTY) if title in m["Subject"]]) == 1
        assert len([b for b in robot.bodies if title in b["text"]["content"]]) == 1
    [to_security] = [m for m in mailbox.to(SECURITY) if THREAT[0] in m["Subject"]]
    assert "威胁" in to_security.get_content()
    assert not [m for m in mailbox.to(SECURITY) if GAS[0] in m["Subject"]]
    gas_mail = next(m for m in mailbox.to(DUTY) if GAS[0] in m["Subject"])
    body = gas_mail.get_content()
    assert "燃气" in body and "北京时间" in body and "https://console.test/cases/" in body
    assert all(b["msgtype"] == "text" and "【紧急】" in b["text"]["content"] for b in robot.bodies)

    # A restart (a new job, the same database) sends nothing again.
    mails, robots = len(mailbox.messages), len(robot.bodies)
    again = alert_job(sessions, mailbox, robot, database_url)
    assert again.run_once() == 0
    assert (len(mailbox.messages), len(robot.bodies)) == (mails, robots)
    with sessions() as s:
        recorded = s.scalars(select(AuditEntry).where(AuditEntry.action == "alert_sent")).all()
        assert len(recorded) == sent == mails + robots
        assert all(a.state == "sent" for a in s.scalars(select(Alert)))


def test_a_failed_alert_is_recorded_and_sent_later(
    bot, sandbox, sessions, mailbox, robot, database_url
):
    post(sandbox, GAS[1], "zhang_wei88", title=GAS[0])
    bot.take_in()
    robot.errcode = 93000  # the robot refuses: a wrong key, say
    with sessions() as s:
        urgent = len(s.scalars(select(Case).where(Case.urgent.is_(True))).all())
    job = alert_job(sessions, mailbox, robot, database_url)
    assert job.run_once() == urgent  # the mail went; the robot's did not
    with sessions() as s:
        failed = s.scalars(select(Alert).where(Alert.state == "failed")).all()
        assert len(failed) == urgent and all("93000" in (f.last_error or "") for f in failed)
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "alert_failed"))
    robot.errcode = 0
    assert job.run_once() == 0  # not before its retry time
    assert job.run_once(utcnow() + timedelta(minutes=5)) == urgent
    assert len(robot.bodies) == 2 * urgent and len(mailbox.messages) == urgent


SENSITIVE = ("漏水赔偿", "楼上漏水把我家泡了，损失二十万，再不处理我就找媒体曝光，还要起诉你们")


def _supervisor(sessions, name: str, role: str) -> None:
    with sessions() as s:
        s.add(User(username=name, role=role, password_hash="-"))
        s.commit()


def _reply_waiting(bot: CaseBot, topic_id: int) -> Draft:
    case = bot.case(topic_id)
    return next(d for d in case.waiting() if d.kind == "reply")


def test_a_sensitive_reply_is_not_published_with_one_approval(bot, sandbox, sessions):
    topic = post(sandbox, SENSITIVE[1], "wang_fang", title=SENSITIVE[0])
    bot.take_in()
    with sessions() as s:
        case = s.scalar(select(Case).where(Case.topic_id == topic["topic_id"]))
        assert case.sensitive and "媒体" in case.sensitive_reason
    draft = _reply_waiting(bot, topic["topic_id"])
    assert draft.needs_second_approval

    bot.approve(draft.id)  # the agent's approval is the first of two
    bot.publisher.run_once()
    assert our_replies(sandbox, topic["topic_id"]) == []
    with sessions() as s:
        d = s.get(Draft, draft.id)
        assert d.state == "pending_approval" and d.first_approved_by == AGENT
        with pytest.raises(ReviewError, match="已经批准过一次"):
            case_drafts.approve(s, DraftRef(d.id), actor=AGENT)
    _supervisor(sessions, "李组长", "agent")
    with sessions() as s, pytest.raises(ReviewError, match="主管"):
        case_drafts.approve(s, DraftRef(draft.id), actor="李组长")
    _supervisor(sessions, "周主管", "supervisor")
    with sessions() as s:
        case_drafts.approve(s, DraftRef(draft.id), actor="周主管")
        s.commit()
    bot.publisher.run_once()
    [reply] = our_replies(sandbox, topic["topic_id"])
    with sessions() as s:
        actions = [e.action for e in audit.history(s, draft.id)]
        assert actions.index("approve_first") < actions.index("approve")
        assert s.get(Draft, draft.id).state == "published"
    assert reply["raw"]


def test_the_publisher_refuses_a_sensitive_reply_approved_only_once(bot, sandbox, sessions):
    """Even if a sensitive draft reached "approved" with one approval (a bug, a hand-edited
    database), the publisher sends it back instead of posting it."""
    topic = post(sandbox, SENSITIVE[1], "wang_fang", title=SENSITIVE[0])
    bot.take_in()
    draft = _reply_waiting(bot, topic["topic_id"])
    with sessions() as s:
        d = s.get(Draft, draft.id)
        d.needs_second_approval = False  # as if the rule had been skipped at approval
        s.commit()
    bot.approve(draft.id)
    with sessions() as s:
        d = s.get(Draft, draft.id)
        assert d.state == "approved"
        d.needs_second_approval = True
        s.commit()
    result = bot.publisher.run_once()
    assert result.held == [draft.id]
    assert our_replies(sandbox, topic["topic_id"]) == []
    with sessions() as s:
        d = s.get(Draft, draft.id)
        assert d.state == "pending_approval"
        last = audit.history(s, draft.id)[-1]
        assert "第二人" in (last.reason or "")


def test_a_reply_with_the_example_contacts_is_not_published_to_a_real_forum(
    bot, sandbox, sessions, drafter
):
    """On a real forum (examples refused) the shipped placeholder hotline never goes out: the
    draft fails with a reason that says what to fill in."""
    from forumbot.publish.contacts import contact_guard

    bot.publisher.contact_check = contact_guard(lambda: drafter.resources.contact, allowed=False)
    topic = post(sandbox, GAS[1], "zhang_wei88", title=GAS[0])
    bot.take_in()
    draft = _reply_waiting(bot, topic["topic_id"])
    assert "400-800-6688" in draft.text
    bot.approve(draft.id)
    result = bot.publisher.run_once()
    assert result.failed == [draft.id]
    assert our_replies(sandbox, topic["topic_id"]) == []
    with sessions() as s:
        assert "示例联系方式" in (s.get(Draft, draft.id).failure_reason or "")


def test_a_supervisor_clears_a_false_alarm_with_a_reason(bot, sandbox, sessions, settings):
    """An agent cannot take a flag off; a supervisor can, only with a reason, which the case
    history shows; the sensitive case's reply then goes out on one approval."""
    from test_case_console import console_app
    from test_console import PASSWORD, login, token

    from forumbot.web.users import add_user

    gas = post(sandbox, GAS[1], "li_lei", title=GAS[0])
    money = post(sandbox, SENSITIVE[1], "wang_fang", title=SENSITIVE[0])
    bot.take_in()
    with sessions() as s:
        add_user(s, "kefu", PASSWORD, "agent")
        add_user(s, "zhuguan", PASSWORD, "supervisor")
        s.commit()
    gas_case, money_case = bot.case(gas["topic_id"]).id, bot.case(money["topic_id"]).id
    with sessions() as s:
        urgent_due = s.get(Case, gas_case).due_at
        opened = s.get(Case, gas_case).opened_at
    assert urgent_due - opened < timedelta(hours=3)  # brought forward by the alarm
    app = console_app(settings, sessions)

    agent = app.test_client()
    login(agent, "kefu")
    page = agent.get(f"/cases/{gas_case}").get_data(as_text=True)
    assert "紧急" in page and 'id="clear-flags"' not in page
    refused = agent.post(
        f"/cases/{gas_case}/flags/urgent/clear", data={"reason": "x", "csrf_token": token(page)}
    )
    assert refused.status_code == 403

    boss = app.test_client()
    login(boss, "zhuguan")
    page = boss.get(f"/cases/{gas_case}").get_data(as_text=True)
    assert 'id="clear-urgent"' in page
    no_reason = boss.post(
        f"/cases/{gas_case}/flags/urgent/clear",
        data={"reason": "  ", "csrf_token": token(page)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "请写明解除“紧急”标记的理由" in no_reason
    with sessions() as s:
        assert s.get(Case, gas_case).urgent

    done = boss.post(
        f"/cases/{gas_case}/flags/urgent/clear",
        data={"reason": "值班经理到场确认是楼下餐馆的油烟味，不是燃气", "csrf_token": token(page)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "已解除案件" in done and "解除紧急标记" in done and "不是燃气" in done
    with sessions() as s:
        assert not s.get(Case, gas_case).urgent
        # the false alarm no longer holds the case to a two-hour deadline: an ordinary day
        assert s.get(Case, gas_case).due_at - urgent_due > timedelta(hours=12)
        [entry] = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "case_urgent_cleared")
        ).all()
        assert entry.actor == "zhuguan" and entry.entity_id == gas_case

    page = boss.get(f"/cases/{money_case}").get_data(as_text=True)
    boss.post(
        f"/cases/{money_case}/flags/sensitive/clear",
        data={"reason": "金额是装修总价，不是索赔；业主未联系媒体", "csrf_token": token(page)},
    )
    draft = _reply_waiting(bot, money["topic_id"])
    assert not draft.needs_second_approval
    bot.approve(draft.id)
    bot.publisher.run_once()
    assert len(our_replies(sandbox, money["topic_id"])) == 1


def test_a_threat_heads_the_moderators_list(bot, sandbox, sessions, settings):
    """An insult posted earlier waits; the threat, posted later, is listed first and marked."""
    from test_case_console import console_app
    from test_console import PASSWORD, login

    from forumbot.web.users import add_user

    post(sandbox, "你们这帮客服就是一群废物，脑子进水了", "zhang_san", title="客服太差")
    post(sandbox, THREAT[1], "wang_wu", title=THREAT[0])
    bot.take_in()
    with sessions() as s:
        add_user(s, "banzhu", PASSWORD, "moderator")
        s.commit()
    moderator = console_app(settings, sessions).test_client()
    login(moderator, "banzhu")
    page = moderator.get("/moderation").get_data(as_text=True)
    rows = page.split('class="proposal-row"')[1:]
    assert "弄死你们" in rows[0] and "flag-urgent" in rows[0]
    marked = ["flag-urgent" in row for row in rows]
    assert marked == sorted(marked, reverse=True)  # every marked row before the others
    [insult] = [row for row in rows if "脑子进水" in row]
    assert "flag-urgent" not in insult
