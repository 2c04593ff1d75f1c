"""forumbot classify: label posts with the current model (JSONL contract in DESIGN.md)."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from typing import IO

import click

from forumbot.classify.classifier import Classifier, PostInput
from forumbot.classify.labels import LABEL_NAMES_ZH
from forumbot.classify.persist import ModelError
from forumbot.cli import settings_from
from forumbot.cli.errors import InputError, json_lines
from forumbot.drafting.engine import Drafter, PostView

BATCH = 512


def read_posts(stream: IO[str], name: str) -> list[PostInput]:
    """Read and check every line first, so a bad line stops the run before any output."""
    posts = []
    for number, item in json_lines(stream, name):
        raw = item.get("raw")
        if not isinstance(raw, str):
            raise InputError(f"{name}, line {number}: 'raw' is required and must be a string")
        title = item.get("title")
        number_field = item.get("post_number")
        if title is not None and not isinstance(title, str):
            raise InputError(f"{name}, line {number}: 'title' must be a string")
        if number_field is not None and (
            not isinstance(number_field, int) or isinstance(number_field, bool)
        ):
            raise InputError(f"{name}, line {number}: 'post_number' must be a whole number")
        posts.append(PostInput(raw, title, number_field))
    return posts


def load_drafter(ctx: click.Context) -> Drafter:
    return Drafter(kb_threshold=settings_from(ctx)["drafting.kb_threshold"])


def policy_style(drafter: Drafter, post: PostInput, label: str) -> str | None:
    """The reply style the drafting policy gives (config/style_policy.toml)."""
    view = PostView(0, post.raw, post.title, post.post_number or 1, "")
    decision = drafter.style_for(view, label)
    return decision.style if decision else None


def load_classifier(ctx: click.Context) -> Classifier:
    threshold = settings_from(ctx)["classifier.review_threshold"]
    try:
        return Classifier.load(review_threshold=threshold)
    except ModelError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("classify")
@click.argument("text", required=False)
@click.option(
    "--jsonl",
    "jsonl",
    type=click.File("r", encoding="utf-8"),
    help="One JSON object per line (raw required; title, post_number optional); "
    "'-' for standard input.",
)
@click.option("--title", default=None, help="Topic title, with TEXT.")
@click.option("--post-number", type=int, default=None, help="1 for an opening post, with TEXT.")
@click.pass_context
def classify_cmd(
    ctx: click.Context,
    text: str | None,
    jsonl: IO[str] | None,
    title: str | None,
    post_number: int | None,
) -> None:
    """Label posts: TEXT for a person, --jsonl FILE for tools (one JSON line out per line in)."""
    if (text is None) == (jsonl is None):
        raise click.UsageError("give either TEXT or --jsonl FILE")
    if jsonl is not None:
        posts = read_posts(jsonl, jsonl.name)
        classifier = load_classifier(ctx)
        drafter = load_drafter(ctx)
        out = sys.stdout
        for start in range(0, len(posts), BATCH):
            batch = posts[start : start + BATCH]
            for post, prediction in zip(batch, classifier.classify_many(batch), strict=True):
                item = prediction.as_json()
                item["style"] = policy_style(drafter, post, prediction.label)
                out.write(json.dumps(item, ensure_ascii=False) + "\n")
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
    if p.alternatives:
        others = "，".join(f"{LABEL_NAMES_ZH[lab]} {conf:.2f}" for lab, conf in p.alternatives)
        click.echo(f"其他可能 alternatives: {others}")
