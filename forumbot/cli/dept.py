"""forumbot dept: a department's requests and answers (until the console exists)."""

from __future__ import annotations

import click
from sqlalchemy import select

from forumbot.cases.views import urgent_first
from forumbot.cli import settings_from
from forumbot.cli.queue import _read_text, _session, actor_option
from forumbot.storage.models import Department, DepartmentRequest, utcnow


@click.group("dept")
def dept_group() -> None:
    """Department requests: what is waiting for an answer, and answering it."""


@dept_group.command("pending")
@click.option(
    "--department",
    "code",
    default=None,
    help="Department code (engineering, planning, sales, property, service).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object per open request and line, for tools (fields in the README).",
)
@click.pass_context
def pending_cmd(ctx: click.Context, code: str | None, as_json: bool) -> None:
    """List open requests, the most urgent first."""
    if as_json:
        from forumbot.cli.records import request_records, write_json_lines

        with _session(ctx) as session:
            write_json_lines(request_records(session, code))
        return
    with _session(ctx) as session:
        query = (
            select(DepartmentRequest)
            .join(Department)
            .where(DepartmentRequest.state == "open")
            .order_by(*urgent_first(), DepartmentRequest.due_at)
        )
        if code:
            query = query.where(Department.code == code)
        requests = session.scalars(query).all()
        if not requests:
            click.echo("没有待答复的请求 (no open requests)")
            return
        now = utcnow()
        for r in requests:
            post = r.draft.post
            late = "  已超时" if r.due_at < now else ""
            click.echo(
                f"请求 #{r.id}  {r.department.name}  截止 {r.due_at:%Y-%m-%d %H:%M} UTC{late}"
            )
            click.echo(
                f"  话题：{post.topic_title or '（无标题）'}  帖子 {post.forum_post_id}  "
                f"作者 {post.username}"
            )
            click.echo("  " + " ".join(post.raw.split())[:200])


@dept_group.command("answer")
@click.argument("request_id", type=int)
@click.option("--text", default=None, help="The answer (default: read standard input).")
@actor_option
@click.pass_context
def answer_cmd(ctx: click.Context, request_id: int, text: str | None, actor: str) -> None:
    """Answer a request; the unified reply goes to the customer-service queue."""
    from forumbot.cases.redraft import answer_request
    from forumbot.drafting.engine import Drafter

    with _session(ctx) as session:
        draft = answer_request(
            session,
            request_id,
            _read_text(text),
            actor=actor,
            drafter=Drafter(kb_threshold=settings_from(ctx)["drafting.kb_threshold"]),
        )
        session.commit()
        click.echo(f"已答复。统一回复草稿 #{draft.id} 已进入客服中心待审批队列")
