"""forumbot queue: the review queue on the command line (until the console exists)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from forumbot.cases import drafts as case_drafts
from forumbot.cases.drafts import DraftRef, ReviewError
from forumbot.cli import settings_from
from forumbot.review.states import STATE_NAMES_ZH, STATES
from forumbot.runtime import open_database
from forumbot.storage import audit
from forumbot.storage.models import Draft, Post

actor_option = click.option(
    "--as",
    "actor",
    envvar="FORUMBOT_REVIEWER",
    required=True,
    help="Your name, recorded in the audit log (or set FORUMBOT_REVIEWER).",
)
revision_option = click.option(
    "--revision",
    type=int,
    default=None,
    help="The draft revision you reviewed; refused if someone changed it since.",
)


@contextmanager
def _session(ctx: click.Context) -> Iterator[Session]:
    engine, sessions = open_database(settings_from(ctx))
    try:
        with sessions() as session:
            yield session
    finally:
        engine.dispose()


def _read_text(text: str | None) -> str:
    if text is not None:
        return text
    if sys.stdin.isatty():
        raise ReviewError(
            "请用 --text 给出回复内容，或从标准输入传入 (give --text or pipe the text)"
        )
    return sys.stdin.read()


def _one_line(text: str, width: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


@click.group("queue")
def queue_group() -> None:
    """Review drafts: list, show, write, edit, approve, reject, reopen."""


@queue_group.command("list")
@click.option("--state", type=click.Choice(STATES), default=None, help="Only drafts in this state.")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=None,
    help="At most this many drafts [default: 50; every draft with --json].",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object per draft and line, for tools (fields in the README).",
)
@click.pass_context
def list_cmd(ctx: click.Context, state: str | None, limit: int | None, as_json: bool) -> None:
    """List drafts, oldest first."""
    if as_json:
        from forumbot.cli.records import draft_records, write_json_lines

        with _session(ctx) as session:
            write_json_lines(draft_records(session, state, limit))
        return
    with _session(ctx) as session:
        query = select(Draft).order_by(Draft.id).limit(50 if limit is None else limit)
        if state:
            query = query.where(Draft.state == state)
        drafts = list(session.scalars(query))
        if not drafts:
            click.echo("队列为空 (no drafts)")
            return
        for d in drafts:
            click.echo(
                f"#{d.id:<5} {STATE_NAMES_ZH[d.state]:<8} 帖子 {d.post.forum_post_id:<7} "
                f"rev {d.revision:<3} {_one_line(d.post.topic_title or '', 24):<24}  "
                f"{_one_line(d.text)}"
            )


@queue_group.command("show")
@click.argument("draft_id", type=int)
@click.pass_context
def show_cmd(ctx: click.Context, draft_id: int) -> None:
    """Show a draft with the post it answers and its history."""
    with _session(ctx) as session:
        d = case_drafts.get_draft(session, draft_id)
        p = d.post
        click.echo(
            f"草稿 #{d.id}  状态：{STATE_NAMES_ZH[d.state]} ({d.state})  版本 rev {d.revision}"
        )
        click.echo(f"话题：{p.topic_title or '（无标题）'}  (topic {p.topic_id}, #{p.post_number})")
        click.echo(f"作者：{p.username}  帖子 {p.forum_post_id} 第 {p.version} 版")
        if d.post_version < p.version:
            click.echo(f"注意：原帖在草稿写成后被编辑（草稿针对第 {d.post_version} 版）")
        click.echo("—— 原帖 ——")
        click.echo(p.raw or "（无内容）")
        _show_context(d)
        click.echo("—— 回复草稿 ——" if d.kind == "reply" else "—— 版主处理建议 ——")
        click.echo(d.text)
        _echo_findings(d)
        if d.failure_reason:
            click.echo(f"—— 失败原因 ——\n{d.failure_reason}")
        click.echo("—— 记录 ——")
        for e in audit.history(session, d.id):
            moved = f"{e.from_state or '-'} → {e.to_state or '-'}"
            click.echo(
                f"{e.at:%Y-%m-%d %H:%M:%S} {e.actor:<18} {e.action:<22} {moved}"
                f"{'  ' + e.reason if e.reason else ''}"
            )


def _echo_findings(d: Draft) -> None:
    for f in case_drafts.reply_findings(d):
        level = "阻止" if f.severity == "block" else "提醒"
        click.echo(f"检查[{level}] {f.message}：“{f.excerpt}”")


def _show_context(d: Draft) -> None:
    """What the bot decided, so the reviewer can judge it: label, style, knowledge base."""
    import json

    from forumbot.classify.labels import LABEL_NAMES_ZH

    if not d.context:
        return
    c = json.loads(d.context)
    label = c.get("label")
    conf = c.get("confidence")
    line = f"标签：{LABEL_NAMES_ZH.get(label, label)}"
    if conf is not None:
        line += f"（置信度 {conf:.2f}{'，需复核' if c.get('needs_review') else ''}）"
    click.echo(line)
    if c.get("style_rule"):
        click.echo(f"回复方式：{d.style}（规则 {c['style_rule']}：{c.get('style_reason')}）")
    if c.get("kb_entry"):
        state = "匹配" if c.get("kb_matched") else "未达阈值"
        click.echo(f"知识库：{c['kb_title']}（相似度 {c['kb_score']:.2f}，{state}）")
    for note in c.get("notes", []):
        click.echo(f"说明：{note}")


@queue_group.command("write")
@click.argument("forum_post_id", type=int)
@click.option("--text", default=None, help="Reply text (default: read standard input).")
@actor_option
@click.pass_context
def write_cmd(ctx: click.Context, forum_post_id: int, text: str | None, actor: str) -> None:
    """Write a reply to a forum post by hand; it waits for approval like any draft."""
    with _session(ctx) as session:
        post = session.scalar(select(Post).where(Post.forum_post_id == forum_post_id))
        if post is None:
            raise ReviewError(f"帖子 {forum_post_id} 尚未收录 (post not taken in yet)")
        draft = case_drafts.write_draft(
            session, post, _read_text(text), actor=actor, case_id=post.case_id
        )
        session.commit()
        click.echo(f"已创建草稿 #{draft.id}，待审批")


@queue_group.command("edit")
@click.argument("draft_id", type=int)
@click.option("--text", default=None, help="New text (default: read standard input).")
@actor_option
@revision_option
@click.pass_context
def edit_cmd(
    ctx: click.Context, draft_id: int, text: str | None, actor: str, revision: int | None
) -> None:
    """Replace a draft's text; it then waits for approval again."""
    with _session(ctx) as session:
        d = case_drafts.edit(session, DraftRef(draft_id, revision), _read_text(text), actor=actor)
        session.commit()
        click.echo(f"草稿 #{d.id} 已修改（rev {d.revision}），待审批")
        _echo_findings(d)


@queue_group.command("approve")
@click.argument("draft_id", type=int)
@actor_option
@revision_option
@click.option("--reason", default=None, help="Optional note for the audit log.")
@click.option(
    "--override",
    default=None,
    help="Approve despite blocking checker findings; your reason goes in the audit log.",
)
@click.pass_context
def approve_cmd(
    ctx: click.Context,
    draft_id: int,
    actor: str,
    revision: int | None,
    reason: str | None,
    override: str | None,
) -> None:
    """Approve a draft; the publisher posts it on its next run."""
    with _session(ctx) as session:
        d = case_drafts.approve(
            session, DraftRef(draft_id, revision), actor=actor, reason=reason, override=override
        )
        session.commit()
        click.echo(f"草稿 #{d.id} 已由 {actor} 批准，将在下次发布时发出")


@queue_group.command("reject")
@click.argument("draft_id", type=int)
@actor_option
@revision_option
@click.option("--reason", required=True, help="Why (recorded, and used to improve drafts).")
@click.pass_context
def reject_cmd(
    ctx: click.Context, draft_id: int, actor: str, revision: int | None, reason: str
) -> None:
    """Reject a draft; it is never published."""
    with _session(ctx) as session:
        d = case_drafts.reject(session, DraftRef(draft_id, revision), actor=actor, reason=reason)
        session.commit()
        click.echo(f"草稿 #{d.id} 已驳回")


@queue_group.command("reopen")
@click.argument("draft_id", type=int)
@actor_option
@click.option("--reason", required=True, help="What was fixed.")
@click.pass_context
def reopen_cmd(ctx: click.Context, draft_id: int, actor: str, reason: str) -> None:
    """Put a failed draft back in the queue for approval."""
    with _session(ctx) as session:
        d = case_drafts.reopen(session, DraftRef(draft_id), actor=actor, reason=reason)
        session.commit()
        click.echo(f"草稿 #{d.id} 已重新进入待审批")


@queue_group.command("relabel")
@click.argument("forum_post_id", type=int)
@click.argument("label")
@actor_option
@click.option("--reason", default="", help="Why (kept with the correction).")
@click.pass_context
def relabel_cmd(
    ctx: click.Context, forum_post_id: int, label: str, actor: str, reason: str
) -> None:
    """Correct a post's label (used by train.py); its drafts are redone."""
    from forumbot.cases.redraft import relabel
    from forumbot.drafting.engine import Drafter

    with _session(ctx) as session:
        post = session.scalar(select(Post).where(Post.forum_post_id == forum_post_id))
        if post is None:
            raise ReviewError(f"帖子 {forum_post_id} 尚未收录 (post not taken in yet)")
        ids = relabel(
            session,
            post,
            label,
            actor=actor,
            drafter=Drafter(kb_threshold=settings_from(ctx)["drafting.kb_threshold"]),
            reason=reason,
        )
        session.commit()
        made = "、".join(f"#{i}" for i in ids) or "无（该标签不回复）"
        click.echo(f"帖子 {forum_post_id} 已重新分类为 {label}；新草稿：{made}")


@queue_group.command("restyle")
@click.argument("draft_id", type=int)
@click.argument("style")
@actor_option
@revision_option
@click.pass_context
def restyle_cmd(
    ctx: click.Context, draft_id: int, style: str, actor: str, revision: int | None
) -> None:
    """Redo a draft in another reply style."""
    from forumbot.cases.redraft import restyle
    from forumbot.drafting.engine import Drafter

    with _session(ctx) as session:
        ids = restyle(
            session,
            DraftRef(draft_id, revision),
            style,
            actor=actor,
            drafter=Drafter(kb_threshold=settings_from(ctx)["drafting.kb_threshold"]),
        )
        session.commit()
        click.echo(f"草稿 #{draft_id} 已作废，新草稿：{'、'.join(f'#{i}' for i in ids)}")


@queue_group.command("posts")
@click.option("--label", default=None, help="Only posts whose latest label is this.")
@click.option("--no-reply", is_flag=True, help="Only posts that got no draft (empty, unrelated).")
@click.option("--limit", default=50, show_default=True)
@click.pass_context
def posts_cmd(ctx: click.Context, label: str | None, no_reply: bool, limit: int) -> None:
    """Posts with their labels, newest first, including those that get no reply."""
    from forumbot.classify.labels import LABEL_NAMES_ZH
    from forumbot.storage.models import Classification

    with _session(ctx) as session:
        rows = session.execute(
            select(Post, Classification.label, Classification.confidence, Classification.source)
            .join(Classification, Classification.post_id == Post.id)
            .order_by(Post.forum_post_id.desc(), Classification.id.desc())
        ).all()
        shown, seen = 0, set()
        for post, lab, conf, source in rows:
            if post.id in seen:
                continue  # only the latest label of each post
            seen.add(post.id)
            if (label and lab != label) or (no_reply and post.drafts):
                continue
            who = "人工" if source == "reviewer" else f"{conf:.2f}"
            click.echo(
                f"帖子 {post.forum_post_id:<6} {LABEL_NAMES_ZH.get(lab, lab)}（{who}）  "
                f"草稿 {len(post.drafts)}  {_one_line(post.raw)}"
            )
            shown += 1
            if shown >= limit:
                break
        if not shown:
            click.echo("没有符合条件的帖子 (no posts)")
