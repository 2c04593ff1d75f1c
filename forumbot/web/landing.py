"""Where a person lands after an action: always a page their role may open (an agent never
lands on a moderation proposal, a moderator never on the agents' queue)."""

from __future__ import annotations

from collections.abc import Iterable

from flask import url_for

# Each role's own list: where it starts and where it goes back to.
HOME = {
    "agent": "queue.listing",
    "supervisor": "queue.listing",
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
    return role in ("agent", "supervisor") and kind != "flag"


def home_endpoint(role: str) -> str:
    return HOME.get(role, "queue.listing")


def draft_list_endpoint(role: str, kind: str) -> str:
    """The list a draft of this kind is worked from, when the role may see it; else home."""
    wanted = "moderation.listing" if kind == "flag" else "queue.listing"
    allowed = {
        "moderation.listing": ("moderator", "admin"),
        "queue.listing": ("agent", "supervisor", "admin"),
    }
    return wanted if role in allowed[wanted] else home_endpoint(role)


def after_draft_action(role: str, kind: str, made: Iterable[tuple[int, str]] = ()) -> str:
    """After acting on a draft of ``kind``: the first new draft (id, kind) the role may open,
    else the list the acted-on draft came from (or the role's home)."""
    for draft_id, new_kind in made:
        if may_open_draft(role, new_kind):
            return url_for("queue.item", draft_id=draft_id)
    return url_for(draft_list_endpoint(role, kind))
