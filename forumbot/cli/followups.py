"""forumbot followups: promises made in published replies that are due or overdue."""

from __future__ import annotations

from datetime import timedelta

import click
from sqlalchemy import select

from forumbot.cli.queue import _session
from forumbot.storage.models import FollowUp, utcnow


@click.command("followups")
@click.option(
    "--days",
    default=1,
    show_default=True,
    help="Also list promises falling due within this many days.",
)
@click.option("--all", "show_all", is_flag=True, help="Every open promise, however far off.")
@click.pass_context
def followups_cmd(ctx: click.Context, days: int, show_all: bool) -> None:
    """List promises due or overdue, so none is forgotten."""
    with _session(ctx) as session:
        now = utcnow()
        query = select(FollowUp).where(FollowUp.state != "closed").order_by(FollowUp.due_at)
        if not show_all:
            query = query.where(FollowUp.due_at <= now + timedelta(days=days))
        rows = session.scalars(query).all()
        if not rows:
            click.echo("没有到期的承诺 (no promises due)")
            return
        for f in rows:
            status = "已超时" if f.due_at < now else "即将到期"
            made = "已生成跟进草稿" if f.state == "drafted" else "待跟进"
            click.echo(
                f"#{f.id} {status} {made}  截止 {f.due_at:%Y-%m-%d %H:%M} UTC  "
                f"帖子 {f.post.forum_post_id}  “{f.excerpt}”"
            )
            click.echo(f"  承诺：{f.promise}")
