"""A person corrects how posts were filed into cases: move a post, split a case, merge two.

The filing rules (``forumbot.cases.roles``) are simple on purpose and sometimes wrong: a "+1"
that was really a new matter, a second case that was really a neighbour agreeing, one owner's
matter told in two topics. This module is the only code that moves posts between cases by
hand. Each correction keeps the rules of filing: at most one reply in progress and at most
one open department request per case afterwards; the drafts are written by the same
functions the pipeline uses. Every post moved is one ``CaseCorrection`` row (the training
data for the filing rules) and the cases touched get audit rows. What makes no sense is
refused with a Chinese message before anything changes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from forumbot.cases import incidents
from forumbot.cases.correction_steps import (
    MOVABLE_ROLES,
    Work,
    as_update,
    carry_drafts,
    check_open_for_posts,
    get_case,
    label_for,
    note,
    open_request,
    posts_of,
    redraft,
    shift,
    start,
)
from forumbot.cases.filing import open_case, person_wrote_in, readdress
from forumbot.cases.forum_changes import supersede_case_drafts
from forumbot.cases.roles import (
    CHATTER,
    OPENER,
    ROLE_NAMES_ZH,
    SUPPORTER,
    UPDATE,
)
from forumbot.cases.states import ACTIVE, ANSWERED, CLOSED
from forumbot.cases.writing import (
    case_view,
    open_reply,
    post_view,
    replace_drafts,
    store_plan,
)
from forumbot.drafting.engine import Drafter
from forumbot.review.errors import ReviewError
from forumbot.review.states import FAILED, PENDING_APPROVAL
from forumbot.storage.models import (
    Case,
    Post,
)


def _dissolve(work: Work, case: Case, into: Case | None, moved: Post) -> None:
    """``case`` was opened by a post that is no matter of its own: its other posts follow
    that post (the case owner's as ``into``'s updates or supporters, the rest as they were;
    chatter when there is no case to go to), its unpublished drafts are superseded (their
    department request closed) and the case is closed."""
    reason = f"{work.actor} 更正：{moved.post_number} 楼不是单独的诉求，案件撤销"
    for post in posts_of(work.session, case.id):
        if into is None:
            role = CHATTER
        elif post.username.casefold() == into.owner.casefold():
            role = UPDATE
        elif post.case_role in (OPENER, UPDATE):
            role = moved.case_role or SUPPORTER
        else:
            role = post.case_role or CHATTER
        shift(work, post, role, into)
    supersede_case_drafts(work.session, case.id, reason, actor=work.actor, action="case_dissolved")
    if case.state in (*ACTIVE, ANSWERED):
        case.state, case.closed_at = CLOSED, work.now
    if case.incident_id is not None:
        incidents.split_case(work.session, case.id, actor=work.actor)
    note(work, case, "case_dissolved", reason, into=into.id if into else None)


def move_post(
    session: Session,
    post_id: int,
    case_id: int | None,
    role: str,
    actor: str,
    *,
    drafter: Drafter,
    now: datetime | None = None,
) -> Case | None:
    """Give post ``post_id`` (our id) the ``role`` in case ``case_id`` of its own topic; an
    ``opener`` (no case given) opens a case of its own with its own draft. Returns the case
    the post is in now."""
    work = start(session, actor, drafter, now)
    if role not in MOVABLE_ROLES:
        names = "、".join(f"{r}（{ROLE_NAMES_ZH[r]}）" for r in MOVABLE_ROLES)
        raise ReviewError(f"未知的角色 {role!r}，可选：{names}")
    post = session.get(Post, post_id)
    if post is None:
        raise ReviewError(f"帖子 #{post_id} 不存在")
    if post.deleted:
        raise ReviewError(f"帖子 {post.forum_post_id} 已在论坛上删除，不能再更正")
    target = get_case(session, case_id) if case_id is not None else None
    _check_move(post, target, role)
    before = session.get(Case, post.case_id) if post.case_id is not None else None
    before_role = post.case_role
    change = f"{ROLE_NAMES_ZH.get(before_role or '', '未归档')} → {ROLE_NAMES_ZH[role]}"
    if role == OPENER and before is not None and before_role == UPDATE:
        target = _split_out(work, before, post, [])  # the owner's addition was a new matter
    else:
        target = _refile(work, post, role, target, before)
    details = {"post": post.forum_post_id, "from": before.id if before else None}
    for case in {c.id: c for c in (before, target) if c is not None}.values():
        note(work, case, "post_moved", f"{post.post_number} 楼：{change}", **details)
    session.flush()
    return target


def _refile(
    work: Work, post: Post, role: str, target: Case | None, before: Case | None
) -> Case | None:
    """Move the post, then redo what its old and new case say: a case opened by it is
    dissolved, a new opener gets its case and draft, an owner's post redoes the reply, a
    supporter is named in (or taken out of) the reply."""
    before_role = post.case_role
    if role == OPENER:  # refused before anything moves when the post is no valid matter
        label, classification = label_for(work.session, post, before.label if before else None)
    row = shift(work, post, role, target)
    if before is not None and before_role == OPENER:
        _dissolve(work, before, target, post)
    if role == OPENER:
        target = open_case(work.session, post, label, work.now, f"{work.actor} 更正：单独的诉求")
        row.case_after = target.id
        plan = work.drafter.plan(post_view(post), label)
        store_plan(work.session, post, plan, classification, work.departments, work.now)
    elif role == UPDATE and target is not None:
        as_update(work, target, post)
    elif role == SUPPORTER and target is not None:
        readdress(work.session, target, work.drafter)
    if before is not None and before_role == UPDATE:
        why = f"{work.actor} 把 {post.post_number} 楼移出本案件，回复已按余下内容重写"
        redraft(work, before, why)
    elif before is not None and before_role == SUPPORTER and before is not target:
        readdress(work.session, before, work.drafter)
    return target


def _check_move(post: Post, target: Case | None, role: str) -> None:
    """Refuse a move that makes no sense, saying what would."""
    if role == OPENER and target is not None:
        raise ReviewError("提出诉求的帖子会自成一个新案件，不能同时指定要移入的案件")
    if role in (UPDATE, SUPPORTER) and target is None:
        raise ReviewError(f"{ROLE_NAMES_ZH[role]}需要指定所属的案件")
    if target is None:
        if role == post.case_role and (role == OPENER or post.case_id is None):
            raise ReviewError(f"帖子 {post.forum_post_id} 已经是{ROLE_NAMES_ZH[role]}，无需更正")
        return
    if target.topic_id != post.topic_id:
        raise ReviewError(
            f"帖子 {post.forum_post_id} 在话题 {post.topic_id}，案件 #{target.id} 在话题 "
            f"{target.topic_id}：帖子只能移到同一话题的案件；同一业主在两个话题的诉求请合并案件"
        )
    check_open_for_posts(target)
    if post.case_id == target.id and post.case_role == role:
        raise ReviewError(
            f"帖子 {post.forum_post_id} 已经是案件 #{target.id} 的{ROLE_NAMES_ZH[role]}"
        )
    if post.id == target.opening_post_id:
        raise ReviewError(
            f"帖子 {post.forum_post_id} 是案件 #{target.id} 的开帖，不能移入它自己的案件"
        )
    same_owner = post.username.casefold() == target.owner.casefold()
    if role == UPDATE and not same_owner:
        raise ReviewError(f"只有楼主 {target.owner} 本人的帖子才能作为案件 #{target.id} 的楼主补充")
    if role == SUPPORTER and same_owner:
        raise ReviewError("楼主不能附议自己的案件；楼主的后续帖子请选“楼主补充”")


def split(
    session: Session,
    case_id: int,
    forum_post_id: int,
    actor: str,
    *,
    drafter: Drafter,
    now: datetime | None = None,
) -> Case:
    """The post and its author's later posts in the case were a matter of their own: they
    become a new case with its own reply; the old case's reply is redone without them."""
    work = start(session, actor, drafter, now)
    case = get_case(session, case_id)
    post = session.scalar(select(Post).where(Post.forum_post_id == forum_post_id))
    if post is None:
        raise ReviewError(f"帖子 {forum_post_id} 尚未收录")
    if post.case_id != case.id:
        if post.topic_id != case.topic_id:
            raise ReviewError(
                f"帖子 {forum_post_id} 属于话题 {post.topic_id}，"
                f"不在案件 #{case.id} 的话题 {case.topic_id} 中"
            )
        raise ReviewError(f"帖子 {forum_post_id} 不属于案件 #{case.id}，不能从中拆分")
    if post.id == case.opening_post_id:
        raise ReviewError(
            f"帖子 {forum_post_id} 是案件 #{case.id} 的开帖，不能拆分；"
            "如果整个案件归错了，请移动帖子或合并案件"
        )
    if post.deleted:
        raise ReviewError(f"帖子 {forum_post_id} 已在论坛上删除，不能再拆分为新案件")
    author = post.username.casefold()
    later = [
        p
        for p in posts_of(session, case.id)
        if p.topic_id == post.topic_id
        and p.post_number > post.post_number
        and p.username.casefold() == author
    ]
    return _split_out(work, case, post, later)


def _split_out(work: Work, case: Case, post: Post, later: list[Post]) -> Case:
    """``post`` (and ``later``, its author's later posts) leave ``case`` as a new case."""
    session = work.session
    label, classification = label_for(session, post, case.label)
    updated = post.case_role == UPDATE or any(p.case_role == UPDATE for p in later)
    first = shift(work, post, OPENER, None)
    new = open_case(session, post, label, work.now, f"{work.actor} 从案件 #{case.id} 拆分")
    first.case_after = new.id
    for p in later:
        shift(work, p, UPDATE, new)
    carried = carry_drafts(session, case, new, {post.id, *(p.id for p in later)})
    reason = f"{work.actor} 把 {post.post_number} 楼起的诉求拆分为案件 #{new.id}"
    plan = work.drafter.plan(case_view(session, new), label)
    replace_drafts(
        session,
        post,
        plan,
        classification,
        work.departments,
        drafter=work.drafter,
        reason=reason,
        now=work.now,
    )
    if carried and open_reply(session, case) is None:
        if case.answered_at is not None and case.state in ACTIVE:
            case.state = ANSWERED  # what reopened it has left; the rest was answered
    elif updated:
        redraft(work, case, f"{reason}，回复已按余下内容重写")
    else:
        readdress(session, case, work.drafter)
    note(work, case, "case_split", reason, post=post.forum_post_id, new_case=new.id)
    note(work, new, "case_split_from", reason, post=post.forum_post_id, from_case=case.id)
    session.flush()
    return new


def merge(
    session: Session,
    keep_id: int,
    other_id: int,
    actor: str,
    *,
    drafter: Drafter,
    now: datetime | None = None,
) -> Case:
    """One owner told one matter twice: case ``other_id``'s posts move to ``keep_id``, its
    unpublished drafts are superseded with the reason, and its open department request is
    carried over (when the kept case has none and its reply can wait on it) or closed."""
    work = start(session, actor, drafter, now)
    if keep_id == other_id:
        raise ReviewError(f"不能把案件 #{keep_id} 合并到它自己")
    keep, other = get_case(session, keep_id), get_case(session, other_id)
    if keep.owner.casefold() != other.owner.casefold():
        raise ReviewError(
            f"案件 #{keep.id}（{keep.owner}）和 #{other.id}（{other.owner}）不是同一位业主的，"
            "不能合并；邻居的附议请用“移动帖子”，不同业主的同一问题请归入同一事件"
        )
    check_open_for_posts(keep)
    check_open_for_posts(other)
    theirs, kept = open_request(session, other), open_request(session, keep)
    reply = open_reply(session, keep)
    carry = (
        theirs is not None
        and kept is None
        and theirs.incident_id is None
        and reply is not None
        and reply.state in (PENDING_APPROVAL, FAILED)
        and not person_wrote_in(session, reply)
    )
    opener = other.opening_post
    for post in posts_of(session, other.id):
        mine = post.username.casefold() == keep.owner.casefold()
        shift(work, post, UPDATE if mine else (post.case_role or CHATTER), keep)
    reason = f"{actor} 把案件 #{other.id} 并入案件 #{keep.id}（同一业主的同一诉求）"
    supersede_case_drafts(
        session,
        other.id,
        reason,
        actor=actor,
        action="case_merged",
        keep_request=theirs if carry else None,
    )
    other.state, other.closed_at = CLOSED, work.now
    if other.incident_id is not None:
        incidents.split_case(session, other.id, actor=actor)
    keep.urgent = keep.urgent or other.urgent
    keep.repeat = keep.repeat or other.repeat
    dues = [d for d in (keep.due_at, other.due_at) if d is not None]
    keep.due_at = min(dues) if dues else None
    if carry:
        assert theirs is not None and reply is not None
        theirs.draft_id, theirs.case_id = reply.id, keep.id
        redraft(work, keep, reason, style="specialist", department=theirs.department.code)
    elif reply is not None:
        redraft(work, keep, reason)
    elif not opener.deleted:
        as_update(work, keep, opener)  # an answered case reopens with one reply
    note(work, keep, "case_merged", reason, other=other.id)
    note(work, other, "case_merged_into", reason, keep=keep.id)
    session.flush()
    return keep


__all__ = ["merge", "move_post", "split"]
