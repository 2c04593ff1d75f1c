"""forumbot draft: what the queue would get for each post, without touching the database."""

from __future__ import annotations

from typing import Any

import click

from forumbot.cli import settings_from
from forumbot.cli.classify import POST_FIELDS, post_input
from forumbot.cli.jsonl import BadLine, finish, jsonl_option, read_jsonl, write_answers


@click.command("draft")
@jsonl_option(POST_FIELDS, required=True)
@click.pass_context
def draft_cmd(ctx: click.Context, jsonl: str) -> None:
    """Label and draft posts: one JSON line out per line in (label, style, draft, …); a bad
    line is answered with its error and the exit status is 1."""
    from forumbot.classify.classifier import PostInput
    from forumbot.cli.classify import load_classifier
    from forumbot.drafting.engine import Drafter, PostView

    posts = read_jsonl(jsonl, post_input)
    classifier = load_classifier(ctx)
    drafter = Drafter(kb_threshold=settings_from(ctx)["drafting.kb_threshold"])
    # The line number stands in for the forum post id (it picks the template wording).
    numbers = iter([n for n, post in enumerate(posts, 1) if not isinstance(post, BadLine)])

    def answer(batch: list[PostInput]) -> list[dict[str, Any]]:
        answers = []
        for post, prediction in zip(batch, classifier.classify_many(batch), strict=True):
            view = PostView(next(numbers), post.raw, post.title, post.post_number or 1, "owner")
            plan = drafter.plan(view, prediction.label)
            answers.append(
                {
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
            )
        return answers

    finish(ctx, write_answers(posts, answer))
