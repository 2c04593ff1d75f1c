"""Where a person lands after an action: always a page their role may open (an agent never
lands on a moderation proposal, a moderator never on the agents' queue), and how a refused
action is shown without losing what they typed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import flash, redirect, url_for
from werkzeug.wrappers import Response

from forumbot.review.errors import ReviewError
from forumbot.web.auth import db

T = TypeVar("T")

# Each role's own list: where it starts and where it goes back to.
HOME = {
    "agent": "queue.listing",
    "moderator": "moderation.listing",
    "specialist": "departments.listing",
    "admin": "queue.listing",
}


def may_open_draft(role: str, kind: str) -> bool:
    """Moderators decide moderation proposals (kind ``flag``), agents the public replies;
    admins may open both, specialists neither (they answer department requests)."""
    if role == "admin":
        return True
    if role == "moderator":
        return kind == "flag"
    return role == "agent" and kind != "flag"


def home_endpoint(role: str) -> str:
    return HOME.get(role, "queue.listing")


def draft_list_endpoint(role: str, kind: str) -> str:
    """The list a draft of this kind is worked from, when the role may see it; else home."""
    wanted = "moderation.listing" if kind == "flag" else "queue.listing"
    allowed = {"moderation.listing": ("moderator", "admin"), "queue.listing": ("agent", "admin")}
    return wanted if role in allowed[wanted] else home_endpoint(role)


def after_draft_action(role: str, kind: str, made: Iterable[tuple[int, str]] = ()) -> str:
    """After acting on a draft of ``kind``: the first new draft (id, kind) the role may open,
    else the list the acted-on draft came from (or the role's home)."""
    for draft_id, new_kind in made:
        if may_open_draft(role, new_kind):
            return url_for("queue.item", draft_id=draft_id)
    return url_for(draft_list_endpoint(role, kind))


def run_action(
    action: Callable[[], T],
    *,
    done: Callable[[T], str],
    landing: Callable[[T], str],
    refused: Callable[[str], Any],
) -> Any:
    """Run a person's action in the request's session: commit, say what was done and go to
    ``landing(result)``; or roll back and answer with ``refused(message)``, which shows the
    refusal on the page the person came from with what they typed still in the form."""
    try:
        result = action()
        db().commit()
    except ReviewError as exc:
        db().rollback()
        return refused(str(exc))
    flash(done(result), "ok")
    target: Response = redirect(landing(result))
    return target
