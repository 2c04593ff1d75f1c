"""A post that changes on the forum, over real HTTP against the sandbox: whoever notices the
edit or the deletion (intake or the publisher's re-read), the post is labelled and drafted
again, stale drafts and department requests are retired, the department's work is kept where
it still applies, and the draft a person then sees can be approved and is published once."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from forumbot.cases import drafts as case_drafts
from forumbot.cases.drafts import DraftRef
from forumbot.cases.jobs import DraftingJob
from forumbot.cases.redraft import answer_request, restyle
from forumbot.intake.poller import Poller
from forumbot.labelling.labeller import Labeller
from forumbot.publish.marker import MARKER_PREFIX
from forumbot.publish.publisher import Publisher
from forumbot.review.errors import ReviewError
from forumbot.storage import audit
from forumbot.storage.models import DepartmentRequest, Draft, Post

LEAK = "3栋2单元1502卫生间天花板漏水一个月了，报修三次没人来，墙面都泡坏了"
LEAK_EDITED = LEAK + "。补充：现在客厅吊顶也开始滴水，插座旁边都是水"
ANSWER = "经现场查看，渗水来自楼上卫生间防水层破损，工程部已安排维修班组本周四上门修复。"
FEE = "物业费每平米多少钱？怎么交？"


class Bot:
    """The bot's jobs against the sandbox, run one round at a time."""

    def __init__(self, sessions, client, classifier, drafter):
        self.sessions = sessions
        self.poller = Poller(sessions=sessions, source=client, bot_username="forumbot")
        self.labeller = Labeller(sessions, classifier)
        self.drafting = DraftingJob(sessions, drafter)
        self.publisher = Publisher(
            sessions=sessions, forum=client, bot_username="forumbot", retry_delay=0
        )
        self.drafter = drafter

    def take_in(self) -> None:
        """Intake, labelling and drafting, as one round of `forumbot run` does."""
        self.poller.run_once()
        self.labeller.run_once()
        self.drafting.run_once()

    def drafts(self, forum_post_id: int) -> list[Draft]:
        with self.sessions() as s:
            return list(
                s.scalars(
                    select(Draft)
                    .join(Post)
                    .where(Post.forum_post_id == forum_post_id)
                    .order_by(Draft.id)
                )
            )

    def requests(self, forum_post_id: int, state: str | None = None) -> list[DepartmentRequest]:
        with self.sessions() as s:
            query = (
                select(DepartmentRequest)
                .options(selectinload(DepartmentRequest.department))
                .join(Draft, DepartmentRequest.draft_id == Draft.id)
                .join(Post)
                .where(Post.forum_post_id == forum_post_id)
                .order_by(DepartmentRequest.id)
            )
            if state:
                query = query.where(DepartmentRequest.state == state)
            return list(s.scalars(query))

    def approve(self, draft_id: int) -> None:
        with self.sessions() as s:
            case_drafts.approve(s, DraftRef(draft_id), actor="王小明")
            s.commit()


@pytest.fixture
def bot(sessions, client, classifier, drafter):
    return Bot(sessions, client, classifier, drafter)


def our_replies(sandbox, topic_id: int) -> list[dict]:
    return [p for p in sandbox.posts_by("forumbot") if p["topic_id"] == topic_id]


def pending(drafts: list[Draft], style: str | None = None) -> list[Draft]:
    return [
        d for d in drafts if d.state == "pending_approval" and (style is None or d.style == style)
    ]


def test_edit_seen_only_by_the_publisher_is_redrafted_and_published_once(bot, sandbox):
    post = sandbox.add_post(FEE, title="物业费怎么交")
    bot.take_in()
    [first] = pending(bot.drafts(post["id"]))
    bot.approve(first.id)

    # The owner edits after the approval; the webhook is off and intake does not look again:
    # only the publisher's re-read sees it.
    sandbox.call("POST", f"posts/{post['id']}/edit", raw=FEE + "车位管理费又是多少？")
    result = bot.publisher.run_once()
    assert result.superseded == [first.id] and result.published == []
    assert our_replies(sandbox, post["topic_id"]) == []
    with bot.sessions() as s:
        stored = s.scalars(select(Post).where(Post.forum_post_id == post["id"])).one()
        assert stored.version == 2 and "车位管理费" in stored.raw
        assert stored.stage == "received", "the edited text must be labelled again"

    bot.take_in()
    [fresh] = pending(bot.drafts(post["id"]))
    assert fresh.id != first.id and fresh.post_version == 2
    bot.approve(fresh.id)  # refused for ever before: the post's version was newer
    assert bot.publisher.run_once().published == [fresh.id]
    assert bot.publisher.run_once().published == []
    [reply] = our_replies(sandbox, post["topic_id"])
    assert reply["raw"].endswith(f"{MARKER_PREFIX}{fresh.public_id} -->") or (
        fresh.public_id in reply["raw"]
    )
    with bot.sessions() as s:
        assert audit.approval_covers(s, case_drafts.get_draft(s, fresh.id)) is not None


def test_department_answer_is_kept_when_the_post_is_edited_after_approval(bot, sandbox):
    post = sandbox.add_post(LEAK, title="卫生间漏水没人管")
    bot.take_in()
    [request] = bot.requests(post["id"], "open")
    assert request.department.code == "engineering"
    with bot.sessions() as s:
        unified = answer_request(s, request.id, ANSWER, actor="工程部刘工", drafter=bot.drafter)
        s.commit()
    bot.approve(unified.id)

    sandbox.call("POST", f"posts/{post['id']}/edit", raw=LEAK_EDITED)
    assert unified.id in bot.publisher.run_once().superseded
    bot.take_in()

    drafts = bot.drafts(post["id"])
    [fresh] = pending(drafts, "specialist")
    assert ANSWER in fresh.text and fresh.post_version == 2
    assert not [d for d in drafts if d.state == "awaiting_specialist"]
    assert bot.requests(post["id"], "open") == [], "the answered request is not asked again"
    [kept] = bot.requests(post["id"], "answered")
    assert kept.draft_id == fresh.id and kept.answer == ANSWER
    bot.approve(fresh.id)
    assert bot.publisher.run_once().published == [fresh.id]
    assert len(our_replies(sandbox, post["topic_id"])) == 1


def test_edit_while_the_department_works_keeps_one_open_request(bot, sandbox):
    post = sandbox.add_post(LEAK, title="卫生间漏水没人管")
    bot.take_in()
    [before] = bot.requests(post["id"], "open")

    sandbox.call("POST", f"posts/{post['id']}/edit", raw=LEAK_EDITED)
    bot.take_in()  # the poller sees the edit this time

    [request] = bot.requests(post["id"], "open")
    assert request.id == before.id and request.due_at == before.due_at
    drafts = bot.drafts(post["id"])
    [waiting] = [d for d in drafts if d.state == "awaiting_specialist"]
    assert request.draft_id == waiting.id and waiting.post_version == 2
    assert len(pending(drafts, "holding")) == 1, "one holding reply, for the new text"
    with bot.sessions() as s:
        unified = answer_request(s, request.id, ANSWER, actor="工程部刘工", drafter=bot.drafter)
        s.commit()
        assert unified.state == "pending_approval" and "插座" not in ANSWER


def test_deleted_post_found_by_the_publisher_retires_all_its_work(bot, sandbox):
    post = sandbox.add_post(LEAK, title="卫生间漏水没人管")
    bot.take_in()
    [holding] = pending(bot.drafts(post["id"]), "holding")
    bot.approve(holding.id)

    sandbox.call("POST", f"posts/{post['id']}/delete")
    assert bot.publisher.run_once().superseded == [holding.id]
    assert our_replies(sandbox, post["topic_id"]) == []
    with bot.sessions() as s:
        stored = s.scalars(select(Post).where(Post.forum_post_id == post["id"])).one()
        assert stored.deleted
    assert {d.state for d in bot.drafts(post["id"])} == {"superseded"}
    [request] = bot.requests(post["id"])
    assert request.state == "closed" and "删除" in request.closed_reason
    with bot.sessions() as s, pytest.raises(ReviewError, match="已关闭"):
        answer_request(s, request.id, ANSWER, actor="工程部刘工", drafter=bot.drafter)


def test_superseding_a_waiting_draft_closes_its_request(bot, sandbox):
    post = sandbox.add_post(LEAK, title="卫生间漏水没人管")
    bot.take_in()
    [waiting] = [d for d in bot.drafts(post["id"]) if d.state == "awaiting_specialist"]
    with bot.sessions() as s:
        restyle(s, DraftRef(waiting.id), "interactive", actor="王小明", drafter=bot.drafter)
        s.commit()
    [request] = bot.requests(post["id"])
    assert request.state == "closed" and "interactive" in request.closed_reason
