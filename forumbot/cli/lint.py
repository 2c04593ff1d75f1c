"""forumbot lint-reply: check reply drafts before approval (JSONL contract in DESIGN.md)."""

from __future__ import annotations

from typing import Any

import click

from forumbot.cli.jsonl import LineError, finish, jsonl_option, read_jsonl, write_answers
from forumbot.drafting.checker import Finding, blocking, check_reply, finding_json

SEVERITY_ZH = {"block": "阻止", "warn": "提醒"}


def reply_input(item: dict[str, Any]) -> tuple[str, str | None]:
    """One JSONL line as (reply text, the owner's post or None)."""
    text = item.get("text")
    if not isinstance(text, str):
        raise LineError("缺少 text，或 text 不是字符串 ('text' is required and must be a string)")
    post_raw = item.get("post_raw")
    if post_raw is not None and not isinstance(post_raw, str):
        raise LineError("post_raw 应为字符串 ('post_raw' must be a string)")
    return text, post_raw


def lint_answer(reply: tuple[str, str | None]) -> dict[str, Any]:
    findings = check_reply(reply[0], post_raw=reply[1])
    return {"ok": not blocking(findings), "findings": [finding_json(f) for f in findings]}


def describe(f: Finding) -> str:
    """A finding as an agent reads it: what is wrong, why, and the words concerned."""
    start, end = f.span
    return (
        f"{SEVERITY_ZH.get(f.severity, f.severity)} [{f.rule}] {f.message}\n"
        f"    原文（第{start + 1}–{end}字）：「{f.excerpt}」"
    )


@click.command("lint-reply")
@click.argument("text", required=False)
@jsonl_option("text required; post_raw optional")
@click.option(
    "--post",
    "post_raw",
    default=None,
    help="The owner's post, with TEXT, to catch personal data repeated from it.",
)
@click.pass_context
def lint_reply_cmd(
    ctx: click.Context, text: str | None, jsonl: str | None, post_raw: str | None
) -> None:
    """Check reply drafts for arguing, pushing elsewhere, excuses, judging, vagueness,
    over-promising and personal data: TEXT for a person (exit 1 when blocked), --jsonl FILE
    for tools (one JSON line out per line in; a bad line is answered with its error, exit 1)."""
    if (text is None) == (jsonl is None):
        raise click.UsageError("give either TEXT or --jsonl FILE")
    if jsonl is not None:
        replies = read_jsonl(jsonl, reply_input)
        finish(ctx, write_answers(replies, lambda batch: [lint_answer(r) for r in batch]))
        return
    assert text is not None
    findings = check_reply(text, post_raw=post_raw)
    if not findings:
        click.echo("未发现问题。")
        return
    for f in findings:
        click.echo(describe(f))
    if blocking(findings):
        click.echo(f"共 {len(findings)} 处问题，其中有必须修改的内容，修改后才能提交审批。")
        ctx.exit(1)
    click.echo(f"共 {len(findings)} 处提醒，请斟酌后再提交。")
