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
    from forumbot.cases.roles import VALID_LABELS
    from forumbot.classify.classifier import PostInput
    from forumbot.classify.urgency import assess
    from forumbot.cli.classify import load_classifier
    from forumbot.drafting.engine import ABUSE_PROPOSAL, Drafter, PostView

    posts = read_jsonl(jsonl, post_input)
    classifier = load_classifier(ctx)
    settings = settings_from(ctx)
    drafter = Drafter(
        kb_threshold=settings["drafting.kb_threshold"],
        urgent_hours=settings["cases.urgent_reply_hours"],
        urgent_department_hours=settings["cases.urgent_department_hours"],
    )
    # The line number stands in for the forum post id (it picks the template wording).
    numbers = iter([n for n, post in enumerate(posts, 1) if not isinstance(post, BadLine)])

    def answer(batch: list[PostInput]) -> list[dict[str, Any]]:
        answers = []
        for post, prediction in zip(batch, classifier.classify_many(batch), strict=True):
            safety = assess(post.raw, post.title, post.post_number)
            view = PostView(
                next(numbers),
                post.raw,
                post.title,
                post.post_number or 1,
                "owner",
                safety.urgent_kind,
            )
            # A report of danger is a matter for the centre whatever its label (a threat is
            # also abuse: the moderators get it, and the owner a reply).
            label = prediction.label
            if safety.urgent and label not in VALID_LABELS:
                label = "service"
            plan = drafter.plan(view, label)
            first = plan.holding if safety.urgent and plan.holding else plan.text
            answers.append(
                {
                    **prediction.as_json(),
                    **safety.as_json(),
                    "style": plan.style,
                    # The reply the queue gets first: for a report of danger, the urgent one
                    # (a specialist matter's full reply waits for the department).
                    "draft": first if plan.kind == "reply" else None,
                    "department_draft": plan.text
                    if plan.kind == "reply" and first is not plan.text
                    else None,
                    "due_hours": plan.urgent_hours,
                    "moderation": ABUSE_PROPOSAL if prediction.label == "abuse" else None,
                    "state": plan.state,
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
