"""forumbot classify: label posts with the current model (JSONL contract in DESIGN.md)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import click

from forumbot.classify.classifier import Classifier, PostInput
from forumbot.classify.labels import LABEL_NAMES_ZH
from forumbot.classify.persist import ModelError
from forumbot.classify.urgency import assess
from forumbot.cli import settings_from
from forumbot.cli.jsonl import LineError, finish, jsonl_option, read_jsonl, write_answers
from forumbot.drafting.engine import Drafter, PostView

# Discourse numbers posts with a 32-bit integer.
MAX_POST_NUMBER = 2**31 - 1
POST_FIELDS = "raw required; title, post_number optional"


def post_number_of(value: object) -> int:
    """A JSONL ``post_number``: a whole number from 1 or its digits as a string; null is 1."""
    if value is None:
        return 1
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        number = 0
    if not 1 <= number <= MAX_POST_NUMBER:
        raise LineError(
            'post_number 应为从 1 起的整数，或其数字字符串如 "3" '
            "('post_number' must be a whole number from 1)"
        )
    return number


def post_input(item: dict[str, Any]) -> PostInput:
    """One JSONL line as a post to classify; a missing or null title is empty."""
    raw = item.get("raw")
    if not isinstance(raw, str):
        raise LineError("缺少 raw，或 raw 不是字符串 ('raw' is required and must be a string)")
    title = item.get("title")
    if title is not None and not isinstance(title, str):
        raise LineError("title 应为字符串 ('title' must be a string)")
    return PostInput(raw, title or "", post_number_of(item.get("post_number")))


def load_drafter(ctx: click.Context) -> Drafter:
    return Drafter(kb_threshold=settings_from(ctx)["drafting.kb_threshold"])


def policy_style(drafter: Drafter, post: PostInput, label: str) -> str | None:
    """The reply style the drafting policy gives (config/style_policy.toml)."""
    view = PostView(0, post.raw, post.title, post.post_number or 1, "")
    decision = drafter.style_for(view, label)
    return decision.style if decision else None


def load_classifier(ctx: click.Context) -> Classifier:
    settings = settings_from(ctx)
    threshold = settings["classifier.review_threshold"]
    try:
        return Classifier.load(settings.models_dir, review_threshold=threshold)
    except ModelError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("classify")
@click.argument("text", required=False)
@jsonl_option(POST_FIELDS)
@click.option("--title", default=None, help="Topic title, with TEXT.")
@click.option("--post-number", type=int, default=None, help="1 for an opening post, with TEXT.")
@click.pass_context
def classify_cmd(
    ctx: click.Context,
    text: str | None,
    jsonl: str | None,
    title: str | None,
    post_number: int | None,
) -> None:
    """Label posts: TEXT for a person, --jsonl FILE for tools (one JSON line out per line in;
    a bad line is answered with its error and the exit status is 1)."""
    if (text is None) == (jsonl is None):
        raise click.UsageError("give either TEXT or --jsonl FILE")
    if jsonl is not None:
        posts = read_jsonl(jsonl, post_input)
        classifier = load_classifier(ctx)
        drafter = load_drafter(ctx)

        def answer(batch: list[PostInput]) -> list[dict[str, Any]]:
            answers = []
            for post, prediction in zip(batch, classifier.classify_many(batch), strict=True):
                item = prediction.as_json()
                item["style"] = policy_style(drafter, post, prediction.label)
                item.update(assess(post.raw, post.title, post.post_number).as_json())
                answers.append(item)
            return answers

        finish(ctx, write_answers(posts, answer))
        return
    assert text is not None
    post = PostInput(text, title, post_number)
    p = load_classifier(ctx).classify(text, title, post_number)
    p = replace(p, style=policy_style(load_drafter(ctx), post, p.label))
    click.echo(
        f"{LABEL_NAMES_ZH[p.label]} ({p.label})  置信度 {p.confidence:.2f}"
        f"{'  需人工复核' if p.needs_review else ''}"
    )
    if p.style:
        click.echo(f"回复方式 style: {p.style}")
    safety = assess(text, title, post_number)
    if safety.urgent:
        click.echo(f"紧急 urgent: {safety.urgent_reason}")
    if safety.sensitive:
        click.echo(f"敏感 sensitive: {safety.sensitive_reason}")
    if p.alternatives:
        others = "，".join(f"{LABEL_NAMES_ZH[lab]} {conf:.2f}" for lab, conf in p.alternatives)
        click.echo(f"其他可能 alternatives: {others}")
