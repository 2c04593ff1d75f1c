"""forumbot lint-reply: check reply drafts before approval (JSONL contract in DESIGN.md)."""

from __future__ import annotations

import json
import sys
from typing import IO

import click

from forumbot.cli.errors import InputError, json_lines
from forumbot.drafting.checker import Finding, blocking, check_reply, finding_json

SEVERITY_ZH = {"block": "阻止", "warn": "提醒"}


def read_replies(stream: IO[str], name: str) -> list[tuple[str, str | None]]:
    """Read and check every line first, so a bad line stops the run before any output."""
    replies = []
    for number, item in json_lines(stream, name):
        text = item.get("text")
        if not isinstance(text, str):
            raise InputError(f"{name}, line {number}: 'text' is required and must be a string")
        post_raw = item.get("post_raw")
        if post_raw is not None and not isinstance(post_raw, str):
            raise InputError(f"{name}, line {number}: 'post_raw' must be a string")
        replies.append((text, post_raw))
    return replies


def describe(f: Finding) -> str:
    """A finding as an agent reads it: what is wrong, why, and the words concerned."""
    start, end = f.span
    return (
        f"{SEVERITY_ZH.get(f.severity, f.severity)} [{f.rule}] {f.message}\n"
        f"    原文（第{start + 1}–{end}字）：「{f.excerpt}」"
    )


@click.command("lint-reply")
@click.argument("text", required=False)
@click.option(
    "--jsonl",
    "jsonl",
    type=click.File("r", encoding="utf-8"),
    help="One JSON object per line (text required; post_raw optional); '-' for standard input.",
)
@click.option(
    "--post",
    "post_raw",
    default=None,
    help="The owner's post, with TEXT, to catch personal data repeated from it.",
)
@click.pass_context
def lint_reply_cmd(
    ctx: click.Context, text: str | None, jsonl: IO[str] | None, post_raw: str | None
) -> None:
    """Check reply drafts for arguing, pushing elsewhere, excuses, judging, vagueness,
    over-promising and personal data: TEXT for a person (exit 1 when blocked), --jsonl FILE
    for tools (one JSON line out per line in)."""
    if (text is None) == (jsonl is None):
        raise click.UsageError("give either TEXT or --jsonl FILE")
    if jsonl is not None:
        replies = read_replies(jsonl, jsonl.name)
        out = sys.stdout
        for reply, post in replies:
            findings = check_reply(reply, post_raw=post)
            line = {"ok": not blocking(findings), "findings": [finding_json(f) for f in findings]}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
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
