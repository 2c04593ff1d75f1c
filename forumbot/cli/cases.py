"""forumbot cases / forumbot incidents: the centre's cases and incidents on the command line,
and the corrections a reviewer makes to them (merge one owner's two cases, split a new matter
out of a case)."""

from __future__ import annotations

from datetime import datetime

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from forumbot.cases.roles import ROLE_NAMES_ZH
from forumbot.cases.states import CASE_STATE_NAMES_ZH
from forumbot.cli import settings_from
from forumbot.cli.case_records import STATE_CHOICES, case_records, incident_records
from forumbot.cli.queue import _one_line, _session, actor_option
from forumbot.review.errors import ReviewError
from forumbot.review.states import STATE_NAMES_ZH
from forumbot.storage.models import AuditEntry, Case, CaseCorrection, Draft, Post
from forumbot.workcalendar import format_beijing

HEADER = "案件    状态        楼主             帖子 附议 草稿 事件   截止(北京)  诉求"
INCIDENT_NAMES = {"suggested": "待确认", "confirmed": "已确认", "closed": "已关闭"}
REQUEST_NAMES = {"open": "待答复", "answered": "已答复", "closed": "已关闭"}
json_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object per line, for tools (fields in the README).",
)


def _beijing(moment: datetime | None) -> str:
    return "—" if moment is None else format_beijing(moment, "%m-%d %H:%M")


def _drafter(ctx: click.Context):  # type: ignore[no-untyped-def]
    """The drafter a correction writes its new drafts with, and the configured calendar and
    incident window (a split opens a case, which may join an incident)."""
    from forumbot.drafting.engine import Drafter
    from forumbot.runtime import configure_calendar

    settings = settings_from(ctx)
    configure_calendar(settings)
    return Drafter(kb_threshold=settings["drafting.kb_threshold"])


def _case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise ReviewError(f"案件 #{case_id} 不存在")
    return case


@click.group("cases")
def cases_group() -> None:
    """Cases: one owner's matter in one topic. List, show, merge, split."""


@cases_group.command("list")
@click.option(
    "--state",
    type=click.Choice(STATE_CHOICES),
    default="open",
    show_default=True,
    help="open: still the centre's work (open, waiting for a department); all: every case.",
)
@json_option
@click.pass_context
def list_cmd(ctx: click.Context, state: str, as_json: bool) -> None:
    """List cases, oldest first."""
    with _session(ctx) as session:
        records = case_records(session, state)
        if as_json:
            from forumbot.cli.records import write_json_lines

            write_json_lines(records)
            return
        shown = 0
        for r in records:
            if not shown:
                click.echo(HEADER)
            incident = f"#{r['incident_id']}" if r["incident_id"] else "—"
            due = _beijing(datetime.fromisoformat(r["due_at"]) if r["due_at"] else None)
            click.echo(
                f"#{r['id']:<6} {CASE_STATE_NAMES_ZH.get(r['state'], r['state']):<10} "
                f"{_one_line(r['owner'], 16):<16} {r['posts']:>4} {r['supporters']:>4} "
                f"{r['open_drafts']:>4} {incident:<6} {due:<16} "
                f"{'【急】' if r['urgent'] else ''}{_one_line(r['matter'] or '', 30)}"
            )
            shown += 1
        if not shown:
            click.echo(
                "没有待处理的案件 (no open cases)" if state == "open" else "没有案件 (no cases)"
            )


@cases_group.command("show")
@click.argument("case_id", type=int)
@click.pass_context
def show_cmd(ctx: click.Context, case_id: int) -> None:
    """Show a case: its posts with their roles, its drafts and its history."""
    with _session(ctx) as session:
        case = _case(session, case_id)
        state = CASE_STATE_NAMES_ZH.get(case.state, case.state)
        click.echo(f"案件 #{case.id}  状态：{state} ({case.state})  楼主：{case.owner}")
        click.echo(
            f"话题 {case.topic_id}  标签：{case.label or '—'}  地点：{case.place or '—'}  "
            f"截止：{_beijing(case.due_at)}（北京时间）"
            + (f"  事件 #{case.incident_id}" if case.incident_id else "")
            + ("  紧急" if case.urgent else "")
            + (f"  重开 {case.reopened} 次" if case.reopened else "")
        )
        click.echo("—— 帖子 ——")
        posts = session.scalars(
            select(Post).where(Post.case_id == case.id).order_by(Post.topic_id, Post.post_number)
        )
        for p in posts:
            role = ROLE_NAMES_ZH.get(p.case_role or "", p.case_role or "—")
            gone = "（已删除）" if p.deleted else ""
            where = "" if p.topic_id == case.topic_id else f"话题 {p.topic_id} "
            click.echo(
                f"{where}#{p.post_number:<3} {role:<6} {p.username}  帖子 {p.forum_post_id}{gone}  "
                f"{_one_line(p.raw, 50)}"
            )
        click.echo("—— 草稿 ——")
        drafts = session.scalars(select(Draft).where(Draft.case_id == case.id).order_by(Draft.id))
        for d in drafts:
            click.echo(
                f"#{d.id:<5} {STATE_NAMES_ZH.get(d.state, d.state):<6} {d.style or d.kind:<16} "
                f"{_one_line(d.text)}"
            )
        click.echo("—— 记录 ——")
        entries = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == "case", AuditEntry.entity_id == case.id)
            .order_by(AuditEntry.id)
        )
        for e in entries:
            click.echo(
                f"{format_beijing(e.at, '%Y-%m-%d %H:%M')} {e.actor:<16} {e.action:<18}"
                f"{'  ' + e.reason if e.reason else ''}"
            )
        for c in session.scalars(
            select(CaseCorrection)
            .where((CaseCorrection.case_before == case.id) | (CaseCorrection.case_after == case.id))
            .order_by(CaseCorrection.id)
        ):
            moved = f"#{c.case_before or '—'} → #{c.case_after or '—'}"
            roles = f"{ROLE_NAMES_ZH.get(c.role_before or '', '—')} → {ROLE_NAMES_ZH[c.role_after]}"
            click.echo(f"更正：{c.actor} 移动帖子（内部编号 {c.post_id}）{moved}，{roles}")


@cases_group.command("merge")
@click.argument("keep_id", type=int)
@click.argument("other_id", type=int)
@actor_option
@click.pass_context
def merge_cmd(ctx: click.Context, keep_id: int, other_id: int, actor: str) -> None:
    """Merge case OTHER_ID into KEEP_ID: one owner's one matter told twice."""
    from forumbot.cases.corrections import merge

    drafter = _drafter(ctx)
    with _session(ctx) as session:
        merge(session, keep_id, other_id, actor, drafter=drafter)
        session.commit()
        click.echo(f"案件 #{other_id} 已并入案件 #{keep_id}；#{other_id} 的未发布草稿已作废")


@cases_group.command("split")
@click.argument("case_id", type=int)
@click.option(
    "--post",
    "forum_post_id",
    type=int,
    required=True,
    help="The forum post id where the new matter starts.",
)
@actor_option
@click.pass_context
def split_cmd(ctx: click.Context, case_id: int, forum_post_id: int, actor: str) -> None:
    """Split a case: the post and its author's later posts become a case of their own."""
    from forumbot.cases.corrections import split

    drafter = _drafter(ctx)
    with _session(ctx) as session:
        new = split(session, case_id, forum_post_id, actor, drafter=drafter)
        session.commit()
        click.echo(f"帖子 {forum_post_id} 起的诉求已拆分为新案件 #{new.id}，并已起草回复")


@click.group("incidents")
def incidents_group() -> None:
    """Incidents: several owners' cases on one matter at one place."""


@incidents_group.command("list")
@click.option(
    "--state",
    type=click.Choice(STATE_CHOICES),
    default="open",
    show_default=True,
    help="open: not closed; all: every incident.",
)
@json_option
@click.pass_context
def incidents_list_cmd(ctx: click.Context, state: str, as_json: bool) -> None:
    """List incidents, the largest first (oldest first with --json)."""
    with _session(ctx) as session:
        records = list(incident_records(session, state))
        if as_json:
            from forumbot.cli.records import write_json_lines

            write_json_lines(records)
            return
        if not records:
            click.echo("没有事件 (no incidents)")
            return
        for r in sorted(records, key=lambda r: (-r["cases"], r["created_at"] or "")):
            request = "无部门请求"
            if r["request_id"]:
                request = f"请求 #{r['request_id']}（{REQUEST_NAMES.get(r['request_state'])}）"
            state_name = INCIDENT_NAMES.get(r["state"], r["state"])
            click.echo(
                f"事件 #{r['id']:<4} {state_name} {r['cases']} 个案件  "
                f"{r['place'] or '—'}  {r['department'] or '—'}  {request}"
                f"{'  【激增】' if r['spike'] else ''}  {_one_line(r['title'] or '', 30)}"
            )
