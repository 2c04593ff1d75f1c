"""The queue's rules: who may approve what, stale versions refused, everything in the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from forumbot.cases import drafts, forum_changes
from forumbot.cases.drafts import DraftRef, ReviewError
from forumbot.review.states import InvalidTransition, check_move
from forumbot.storage import audit

REPLY = "感谢您的反馈，给您带来不便非常抱歉。工程部将于3个工作日内上门查看漏水情况。"


@pytest.fixture
def draft(sessions, make_post):
    with sessions() as s:
        post = make_post(s)
        d = drafts.write_draft(s, post, REPLY, actor="李娜")
        s.commit()
        return d.id


def test_write_then_approve_records_who_and_what(sessions, draft):
    with sessions() as s:
        d = drafts.approve(s, DraftRef(draft), actor="王小明")
        s.commit()
        assert d.state == "approved"
        rows = audit.history(s, draft)
        assert [(r.action, r.from_state, r.to_state, r.actor) for r in rows] == [
            ("create", None, "pending_approval", "李娜"),
            ("approve", "pending_approval", "approved", "王小明"),
        ]
        assert audit.approval_covers(s, d) is not None


def test_approval_no_longer_covers_changed_text(sessions, draft):
    with sessions() as s:
        d = drafts.approve(s, DraftRef(draft), actor="王小明")
        d.text = REPLY + "（改）"
        assert audit.approval_covers(s, d) is None


def test_system_actor_cannot_approve(sessions, draft):
    with sessions() as s, pytest.raises(ReviewError, match="具体的人"):
        drafts.approve(s, DraftRef(draft), actor="system:publisher")


def test_stale_revision_is_refused(sessions, draft):
    with sessions() as s:
        seen = drafts.get_draft(s, draft).revision
        drafts.edit(s, DraftRef(draft, seen), REPLY + "补充：可致电客服。", actor="李娜")
        s.commit()
    with sessions() as s, pytest.raises(ReviewError, match="已被他人修改"):
        drafts.approve(s, DraftRef(draft, seen), actor="王小明")


def test_edited_post_blocks_approval_until_reviewed(sessions, draft):
    with sessions() as s:
        d = drafts.get_draft(s, draft)
        d.post.version = 2
        with pytest.raises(ReviewError, match="原帖在草稿写成后被编辑"):
            drafts.approve(s, DraftRef(draft), actor="王小明")


def seen(post, version: int, *, deleted: bool = False, raw: str = "卫生间还在漏水"):
    from forumbot.intake.parse import IncomingPost

    return IncomingPost(
        post.forum_post_id, post.topic_id, post.post_number, None, post.username, raw,
        post.topic_title, None, None, None, version, False, deleted, None,
    )  # fmt: skip


def test_post_edited_supersedes_approved_draft_and_relabels(sessions, draft):
    with sessions() as s:
        d = drafts.approve(s, DraftRef(draft), actor="王小明")
        d.post.stage = "drafted"
        assert forum_changes.apply(s, d.post, seen(d.post, 2), actor="system:intake")
        assert d.state == "superseded" and d.post.stage == "received"
        assert audit.history(s, draft)[-1].reason.startswith("原帖已被编辑")
        assert not forum_changes.apply(s, d.post, seen(d.post, 2), actor="system:intake")


def test_post_deleted_supersedes(sessions, draft):
    with sessions() as s:
        d = drafts.get_draft(s, draft)
        assert forum_changes.apply(s, d.post, seen(d.post, 1, deleted=True), actor="system:x")
        assert d.state == "superseded" and d.post.deleted


def test_reject_needs_reason(sessions, draft):
    with sessions() as s:
        with pytest.raises(ReviewError, match="原因"):
            drafts.reject(s, DraftRef(draft), actor="王小明", reason="  ")
        d = drafts.reject(s, DraftRef(draft), actor="王小明", reason="语气生硬")
        assert d.state == "rejected"
        with pytest.raises(ReviewError, match="不能修改"):
            drafts.edit(s, DraftRef(draft), "x", actor="王小明")


def test_empty_text_refused(sessions, make_post):
    with sessions() as s, pytest.raises(ReviewError, match="为空"):
        drafts.write_draft(s, make_post(s), "   ", actor="李娜")


def test_terminal_states_never_move():
    for terminal in ("published", "rejected", "superseded"):
        with pytest.raises(InvalidTransition):
            check_move(terminal, "approved")
    with pytest.raises(InvalidTransition):
        check_move("pending_approval", "published")


def test_audit_log_is_append_only_in_the_database(sessions, draft):
    with sessions() as s:
        with pytest.raises(DatabaseError, match="append-only"):
            s.execute(text("UPDATE audit_log SET actor = 'someone else'"))
        s.rollback()
        with pytest.raises(DatabaseError, match="append-only"):
            s.execute(text("DELETE FROM audit_log"))


def test_text_people_write_is_published_without_bidi_controls(sessions, make_post):
    """An edit, an approval with new text or a department answer carrying U+202E would
    reverse the reply's words on the forum; the controls are removed before anyone approves."""
    from forumbot.cases.jobs import DraftingJob
    from forumbot.cases.redraft import answer_request
    from forumbot.drafting.engine import Drafter
    from forumbot.storage.models import Classification, DepartmentRequest
    from forumbot.textsafety import BIDI_CONTROLS

    def clean(text: str) -> bool:
        return not set(text) & BIDI_CONTROLS

    with sessions() as s:
        post = make_post(s)
        written = drafts.write_draft(s, post, "您好\u202e，已安排维修。", actor="李娜")
        assert clean(written.text)
        edited = drafts.edit(s, DraftRef(written.id), "您好，\u2067明天\u2069上门。", actor="李娜")
        assert clean(edited.text) and "明天上门" in edited.text
        approved = drafts.approve(
            s, DraftRef(edited.id), actor="王小明", text="您好，明天\u202d上午上门。"
        )
        assert clean(approved.text) and approved.state == "approved"
        assert audit.approval_covers(s, approved) is not None
        other = make_post(s, forum_post_id=1002)
        s.add(Classification(post_id=other.id, label="engineering", source="model"))
        other.stage = "labelled"
        s.commit()
    drafter = Drafter()
    DraftingJob(sessions, drafter).run_once()
    with sessions() as s:
        [request] = s.query(DepartmentRequest).all()
        unified = answer_request(
            s, request.id, "经现场查看\u202e，防水层破损，周四上门修复。", actor="工程部刘工",
            drafter=drafter,
        )  # fmt: skip
        assert clean(unified.text) and "经现场查看，防水层破损" in unified.text
