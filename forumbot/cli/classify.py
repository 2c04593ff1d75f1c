"""forumbot classify: label posts with the current model (JSONL contract in DESIGN.md)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import click

from forumbot.classify.classifier import Classifier, PostInput, Prediction
from forumbot.classify.labels import LABEL_NAMES_ZH
from forumbot.classify.persist import ModelError
from forumbot.classify.tokenize import setup
from forumbot.classify.urgency import Assessment, assess_many
from forumbot.classify.urgency_model import trained_model
from forumbot.cli import settings_from
from forumbot.cli.jsonl import (
    LineError,
    default_jobs,
    finish,
    jobs_option,
    jsonl_option,
    read_jsonl,
    write_answers,
)
from forumbot.drafting.styles import StyleChooser

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


def load_styles(ctx: click.Context) -> StyleChooser:
    return StyleChooser(kb_threshold=settings_from(ctx)["drafting.kb_threshold"])


def describe(
    classifier: Classifier, styles: StyleChooser, posts: list[PostInput]
) -> list[tuple[Prediction, Assessment]]:
    """Label, style and safety for a batch: each step once for the whole batch."""
    predictions = classifier.classify_many(posts)
    keys = [(p.raw, p.title, p.post_number) for p in posts]
    chosen = styles.styles(keys, [p.label for p in predictions])
    safety = assess_many(keys)
    return [
        (replace(p, style=style), found)
        for p, style, found in zip(predictions, chosen, safety, strict=True)
    ]


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
@jobs_option()
@click.option("--title", default=None, help="Topic title, with TEXT.")
@click.option("--post-number", type=int, default=None, help="1 for an opening post, with TEXT.")
@click.pass_context
def classify_cmd(
    ctx: click.Context,
    text: str | None,
    jsonl: str | None,
    jobs: int | None,
    title: str | None,
    post_number: int | None,
) -> None:
    """Label posts: TEXT for a person, --jsonl FILE for tools (one JSON line out per line in,
    in order; a bad line is answered with its error and the exit status is 1)."""
    if (text is None) == (jsonl is None):
        raise click.UsageError("give either TEXT or --jsonl FILE")
    if jsonl is not None:
        posts = read_jsonl(jsonl, post_input)
        classifier, styles = load_classifier(ctx), load_styles(ctx)

        def answer(batch: list[PostInput]) -> list[dict[str, Any]]:
            return [
                {**prediction.as_json(), **safety.as_json()}
                for prediction, safety in describe(classifier, styles, batch)
            ]

        def warm() -> None:
            """What the first post would load, loaded before the workers fork."""
            setup()
            styles.kb.index  # noqa: B018 - the property builds the index
            trained_model()

        finish(ctx, write_answers(posts, answer, jobs or default_jobs(), warm))
        return
    assert text is not None
    [(p, safety)] = describe(
        load_classifier(ctx), load_styles(ctx), [PostInput(text, title, post_number)]
    )
    click.echo(
        f"{LABEL_NAMES_ZH[p.label]} ({p.label})  置信度 {p.confidence:.2f}"
        f"{'  需人工复核' if p.needs_review else ''}"
    )
    if p.style:
        click.echo(f"回复方式 style: {p.style}")
    if safety.urgent:
        click.echo(f"紧急 urgent: {safety.urgent_reason}")
    if safety.sensitive:
        click.echo(f"敏感 sensitive: {safety.sensitive_reason}")
    if p.alternatives:
        others = "，".join(f"{LABEL_NAMES_ZH[lab]} {conf:.2f}" for lab, conf in p.alternatives)
        click.echo(f"其他可能 alternatives: {others}")
