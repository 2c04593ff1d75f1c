"""A reviewer corrects how posts were filed into cases, on cases the real pipeline made from
posts on the sandbox forum: move a post (a "+1" that was a matter of its own, a second case
that was only a neighbour agreeing), split an owner's new matter out of their case, merge one
owner's two cases. Each correction is kept as training data, and every case still has at most
one reply in progress and at most one open department request."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forumbot.cases import corrections
from forumbot.cases import drafts as case_drafts
from forumbot.cases.drafts import DraftRef
from forumbot.cases.jobs import DraftingJob
from forumbot.cases.redraft import answer_request, restyle
from forumbot.intake.poller import Poller
from forumbot.labelling.labeller import Labeller
from forumbot.publish.publisher import Publisher
from forumbot.review.errors import ReviewError
from forumbot.review.states import UNPUBLISHED
from forumbot.storage.models import (
    AuditEntry,
    Case,
    CaseCorrection,
    DepartmentRequest,
    Draft,
    Post,
)

AGENT = "王小明"
LEAK = "3栋2单元1502卫生间天花板漏水一个月了，报修三次没人来，墙面都泡坏了"
ME_TOO_OWN = "我家也是，5栋1201厨房天花板这周开始滴水，地板都泡了，麻烦工程部一起来看看"
SECOND_OWNER = "我是12栋的业主，我家卫生间也一直漏水，报修了两次都没人管"
OWN_NEW_MATTER = "另外我家楼道门口的路灯坏了两个月了，晚上黑漆漆的，也请物业派人修一下"
LEAK_AGAIN = "我家3栋1502卫生间漏水的事到底管不管？天花板一直在滴水"
ANSWER = "经现场查看，渗水来自楼上卫生间防水层破损，工程部已安排维修班组本周四上门修复。"
# One reply in progress per case: a draft still to be published that is not a holding reply.
IN_PROGRESS = tuple(UNPUBLISHED)


class Bot:
    """Intake, labelling and drafting against the sandbox, one round at a time."""

    def __init__(self, sessions, client, classifier, drafter):
        self.sessions = sessions
        self.drafter = drafter
        self.poller = Poller(sessions=sessions, source=client, bot_username="forumbot")
        self.labeller = Labeller(sessions, classifier)
        self.drafting = DraftingJob(sessions, drafter)
        self.publisher = Publisher(
            sessions=sessions, forum=client, bot_username="forumbot", retry_delay=0
        )

    def take_in(self) -> None:
        """Two rounds, as `forumbot run --once` twice: a reply posted since is read too."""
        for _ in range(2):
            self.poller.run_once()
            self.labeller.run_once()
            self.drafting.run_once()

    def post(self, forum_post_id: int) -> Post:
        with self.sessions() as s:
            return s.scalars(select(Post).where(Post.forum_post_id == forum_post_id)).one()

    def case_of(self, forum_post_id: int) -> Case:
        with self.sessions() as s:
            post = s.scalars(select(Post).where(Post.forum_post_id == forum_post_id)).one()
            assert post.case_id is not None, (post.case_role, post.raw)
            return s.get(Case, post.case_id)

    def replies(self, case_id: int) -> list[Draft]:
        """The case's replies in progress (holding replies apart)."""
        with self.sessions() as s:
            return list(
                s.scalars(
                    select(Draft).where(
                        Draft.case_id == case_id,
                        Draft.kind == "reply",
                        Draft.state.in_(IN_PROGRESS),
                        (Draft.style.is_(None)) | (Draft.style != "holding"),
                    )
                )
            )

    def reply(self, case_id: int) -> Draft:
        [draft] = self.replies(case_id)
        return draft

    def open_requests(self, case_id: int) -> list[DepartmentRequest]:
        with self.sessions() as s:
            return list(
                s.scalars(
                    select(DepartmentRequest).where(
                        DepartmentRequest.case_id == case_id, DepartmentRequest.state == "open"
                    )
                )
            )

    def publish(self, draft_id: int) -> None:
        with self.sessions() as s:
            case_drafts.approve(s, DraftRef(draft_id), actor=AGENT, override="测试")
            s.commit()
        assert draft_id in self.publisher.run_once().published

    def corrections(self) -> list[CaseCorrection]:
        with self.sessions() as s:
            return list(s.scalars(select(CaseCorrection).order_by(CaseCorrection.id)))

    def act(self, action, *args):
        with self.sessions() as s:
            result = action(s, *args, AGENT, drafter=self.drafter)
            s.commit()
            return result.id if result is not None else None

    def refused(self, action, *args) -> str:
        with self.sessions() as s, pytest.raises(ReviewError) as refusal:
            action(s, *args, AGENT, drafter=self.drafter)
        return str(refusal.value)


@pytest.fixture
def bot(sessions, client, classifier, drafter):
    return Bot(sessions, client, classifier, drafter)


def assert_one_reply_and_request(bot, *case_ids: int) -> None:
    for case_id in case_ids:
        assert len(bot.replies(case_id)) <= 1, case_id
        assert len(bot.open_requests(case_id)) <= 1, case_id


def test_a_me_too_that_was_its_own_matter_opens_its_own_case(bot, sandbox):
    opener = sandbox.add_post(LEAK, username="zhang_wei88", title="卫生间漏水没人管")
    neighbour = sandbox.add_post(ME_TOO_OWN, username="li_na", topic_id=opener["topic_id"])
    bot.take_in()
    case = bot.case_of(opener["id"])
    assert bot.post(neighbour["id"]).case_role == "supporter"
    assert "li_na" in bot.reply(case.id).text  # the neighbour is named in the owner's reply

    new_case = bot.act(corrections.move_post, bot.post(neighbour["id"]).id, None, "opener")

    moved = bot.post(neighbour["id"])
    assert (moved.case_id, moved.case_role) == (new_case, "opener")
    with bot.sessions() as s:
        opened = s.get(Case, new_case)
        assert opened.owner == "li_na" and opened.topic_id == opener["topic_id"]
    # A case opened further down the thread: its reply quotes that post, then names its owner.
    assert bot.reply(new_case).text.startswith('[quote="li_na, post:2')
    assert "\n\n@li_na " in bot.reply(new_case).text
    assert "li_na" not in bot.reply(case.id).text  # no longer a supporter of the first case
    [row] = bot.corrections()
    assert (row.post_id, row.role_before, row.role_after) == (moved.id, "supporter", "opener")
    assert (row.case_before, row.case_after, row.actor) == (case.id, new_case, AGENT)
    assert_one_reply_and_request(bot, case.id, new_case)


def test_a_second_case_that_was_only_a_neighbour_agreeing_is_folded_in(bot, sandbox):
    opener = sandbox.add_post(LEAK, username="zhang_wei88", title="卫生间漏水没人管")
    second = sandbox.add_post(SECOND_OWNER, username="wang_fang", topic_id=opener["topic_id"])
    bot.take_in()
    first, other = bot.case_of(opener["id"]), bot.case_of(second["id"])
    assert first.id != other.id and bot.post(second["id"]).case_role == "opener"
    assert bot.replies(other.id)  # it had a reply of its own
    had_request = bool(bot.open_requests(other.id))

    kept = bot.act(corrections.move_post, bot.post(second["id"]).id, first.id, "supporter")

    assert kept == first.id
    assert bot.post(second["id"]).case_role == "supporter"
    with bot.sessions() as s:
        closed = s.get(Case, other.id)
        assert closed.state == "closed"
        superseded = s.scalars(select(Draft).where(Draft.case_id == other.id)).all()
        assert superseded and all(d.state == "superseded" for d in superseded)
        closed_requests = s.scalars(
            select(DepartmentRequest).where(DepartmentRequest.case_id == other.id)
        ).all()
        assert all(r.state == "closed" for r in closed_requests)
        assert bool(closed_requests) == had_request
    assert bot.replies(other.id) == [] and bot.open_requests(other.id) == []
    assert "wang_fang" in bot.reply(first.id).text  # now thanked as a neighbour
    [row] = bot.corrections()
    assert (row.role_before, row.role_after) == ("opener", "supporter")
    assert (row.case_before, row.case_after) == (other.id, first.id)
    assert_one_reply_and_request(bot, first.id)


def test_split_makes_the_owners_new_matter_a_case_with_its_own_reply(bot, sandbox):
    opener = sandbox.add_post(LEAK, username="zhang_wei88", title="卫生间漏水没人管")
    bot.take_in()
    case = bot.case_of(opener["id"])
    addition = sandbox.add_post(OWN_NEW_MATTER, username="zhang_wei88", topic_id=opener["topic_id"])
    later = sandbox.add_post(
        "路灯的事也请尽快", username="zhang_wei88", topic_id=opener["topic_id"]
    )
    bot.take_in()
    assert bot.post(addition["id"]).case_role == "update"
    assert "路灯" in bot.reply(case.id).text or bot.replies(case.id)

    new_case = bot.act(corrections.split, case.id, addition["id"])

    assert new_case != case.id
    assert (bot.post(addition["id"]).case_id, bot.post(addition["id"]).case_role) == (
        new_case,
        "opener",
    )
    assert (bot.post(later["id"]).case_id, bot.post(later["id"]).case_role) == (new_case, "update")
    assert bot.post(opener["id"]).case_id == case.id
    reply = bot.reply(new_case)
    assert reply.post_id == bot.post(addition["id"]).id
    assert (
        reply.text.startswith('[quote="zhang_wei88, post:2') and "\n\n@zhang_wei88 " in reply.text
    )
    assert "路灯" not in bot.reply(case.id).text
    rows = bot.corrections()
    assert [(r.role_before, r.role_after) for r in rows] == [
        ("update", "opener"),
        ("update", "update"),
    ]
    assert {(r.case_before, r.case_after) for r in rows} == {(case.id, new_case)}
    assert_one_reply_and_request(bot, case.id, new_case)


def test_merge_one_owners_two_topics_into_one_case(bot, sandbox, sessions):
    first = sandbox.add_post(LEAK, username="zhang_wei88", title="卫生间漏水没人管")
    again = sandbox.add_post(LEAK_AGAIN, username="zhang_wei88", title="漏水到底管不管")
    bot.take_in()
    keep, other = bot.case_of(first["id"]), bot.case_of(again["id"])
    assert keep.topic_id != other.topic_id
    before = len(bot.open_requests(keep.id)) + len(bot.open_requests(other.id))

    kept = bot.act(corrections.merge, keep.id, other.id)

    assert kept == keep.id
    moved = bot.post(again["id"])
    assert (moved.case_id, moved.case_role) == (keep.id, "update")
    with sessions() as s:
        assert s.get(Case, other.id).state == "closed"
        retired = s.scalars(select(Draft).where(Draft.case_id == other.id)).all()
        assert retired and {d.state for d in retired} == {"superseded"}
        reasons = s.scalars(
            select(AuditEntry.reason).where(
                AuditEntry.entity_type == "draft",
                AuditEntry.entity_id.in_([d.id for d in retired]),
                AuditEntry.to_state == "superseded",
            )
        ).all()
        assert reasons and all(f"#{other.id} 并入案件 #{keep.id}" in r for r in reasons)
    assert bot.replies(other.id) == [] and bot.open_requests(other.id) == []
    assert len(bot.open_requests(keep.id)) == min(before, 1)
    [row] = bot.corrections()
    assert (row.role_before, row.role_after, row.case_after) == ("opener", "update", keep.id)
    assert_one_reply_and_request(bot, keep.id)


def test_refusals_say_why_and_change_nothing(bot, sandbox):
    a = sandbox.add_post(LEAK, username="zhang_wei88", title="卫生间漏水没人管")
    b = sandbox.add_post(SECOND_OWNER, username="wang_fang", title="12栋也漏水")
    bot.take_in()
    case_a, case_b = bot.case_of(a["id"]), bot.case_of(b["id"])
    assert "不能把案件" in bot.refused(corrections.merge, case_a.id, case_a.id)
    assert "不是同一位业主" in bot.refused(corrections.merge, case_a.id, case_b.id)
    assert "案件 #99999 不存在" in bot.refused(corrections.merge, case_a.id, 99999)
    assert "话题" in bot.refused(corrections.split, case_a.id, b["id"])
    assert "开帖" in bot.refused(corrections.split, case_a.id, a["id"])
    post_b = bot.post(b["id"]).id
    assert "同一话题" in bot.refused(corrections.move_post, post_b, case_a.id, "supporter")
    assert "未知的角色" in bot.refused(corrections.move_post, post_b, None, "boss")
    assert "已经是" in bot.refused(corrections.move_post, post_b, None, "opener")
    with bot.sessions() as s, pytest.raises(ReviewError, match="具体的人"):
        corrections.merge(s, case_a.id, case_b.id, "system:cases", drafter=bot.drafter)
    assert bot.corrections() == []
    assert bot.case_of(b["id"]).id == case_b.id


def test_split_after_an_answer_takes_the_reopening_reply_with_the_new_matter(bot, sandbox):
    opener = sandbox.add_post(LEAK, username="zhang_wei88", title="卫生间漏水没人管")
    bot.take_in()
    case = bot.case_of(opener["id"])
    [request] = bot.open_requests(case.id)
    with bot.sessions() as s:
        answer_request(s, request.id, ANSWER, actor="工程部刘工", drafter=bot.drafter)
        s.commit()
    bot.publish(bot.reply(case.id).id)
    assert bot.case_of(opener["id"]).state == "answered"
    addition = sandbox.add_post(OWN_NEW_MATTER, username="zhang_wei88", topic_id=opener["topic_id"])
    bot.take_in()
    assert bot.post(addition["id"]).case_role == "update"
    reopened = bot.case_of(opener["id"])
    assert reopened.state != "answered" and reopened.reopened == 1
    [reply] = bot.replies(case.id)
    assert reply.post_id == bot.post(addition["id"]).id  # the reopening reply quotes the post

    new_case = bot.act(corrections.split, case.id, addition["id"])

    assert bot.case_of(opener["id"]).state == "answered"  # what reopened it has left
    assert bot.replies(case.id) == []
    [moved] = bot.replies(new_case)
    assert moved.post_id == bot.post(addition["id"]).id and "\n\n@zhang_wei88 " in moved.text
    # it opens its own case now, further down the thread: the reply quotes it once
    assert moved.text.startswith('[quote="zhang_wei88, post:3') and moved.text.count("[quote") == 1
    assert_one_reply_and_request(bot, case.id, new_case)


def test_merge_carries_the_other_cases_department_request(bot, sandbox):
    first = sandbox.add_post(LEAK, username="zhang_wei88", title="卫生间漏水没人管")
    again = sandbox.add_post(LEAK_AGAIN, username="zhang_wei88", title="漏水到底管不管")
    bot.take_in()
    keep, other = bot.case_of(first["id"]), bot.case_of(again["id"])
    [request] = bot.open_requests(other.id)
    waiting = bot.reply(keep.id)
    assert waiting.state == "awaiting_specialist"
    with bot.sessions() as s:  # an agent answers this one directly: no department request
        restyle(s, DraftRef(waiting.id), "interactive", actor=AGENT, drafter=bot.drafter)
        s.commit()
    assert bot.open_requests(keep.id) == [] and bot.reply(keep.id).state == "pending_approval"

    bot.act(corrections.merge, keep.id, other.id)

    [carried] = bot.open_requests(keep.id)
    assert carried.id == request.id  # the department keeps its place and its due time
    assert carried.due_at == request.due_at
    reply = bot.reply(keep.id)
    assert reply.state == "awaiting_specialist" and carried.draft_id == reply.id
    assert bot.open_requests(other.id) == []
    assert_one_reply_and_request(bot, keep.id)
