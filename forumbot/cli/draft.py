"""forumbot draft: what the queue would get for each post, without touching the database."""

from __future__ import annotations

import json
import sys
from typing import IO

import click

from forumbot.cli import settings_from
from forumbot.cli.classify import read_posts


@click.command("draft")
@click.option(
    "--jsonl",
    "jsonl",
    type=click.File("r", encoding="utf-8"),
    required=True,
    help="One JSON object per line (raw required; title, post_number optional); "
    "'-' for standard input.",
)
@click.pass_context
def draft_cmd(ctx: click.Context, jsonl: IO[str]) -> None:
    """Label and draft posts: one JSON line out per line in (label, style, draft, …)."""
    from forumbot.cli.classify import load_classifier
    from forumbot.drafting.engine import Drafter, PostView

    posts = read_posts(jsonl, jsonl.name)
    classifier = load_classifier(ctx)
    drafter = Drafter(kb_threshold=settings_from(ctx)["drafting.kb_threshold"])
    predictions = classifier.classify_many(posts)
    for number, (post, prediction) in enumerate(zip(posts, predictions, strict=True), 1):
        view = PostView(number, post.raw, post.title, post.post_number or 1, "owner")
        plan = drafter.plan(view, prediction.label)
        out = {
            **prediction.as_json(),
            "style": plan.style,
            "draft": plan.text if plan.kind == "reply" else None,
            "state": plan.state,
            "moderation": plan.text if plan.kind == "flag" else None,
            "holding_reply": plan.holding,
            "department": plan.department.code if plan.department else None,
            "knowledge_base": (
                {
                    "id": plan.kb.entry.id,
                    "title": plan.kb.entry.title,
                    "score": plan.kb.score,
                    "matched": plan.kb_matched,
                }
                if plan.kb
                else None
            ),
            "style_rule": plan.decision.rule if plan.decision else None,
        }
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
