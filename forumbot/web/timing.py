"""How long until (or since) a reply is due, in words a reviewer reads at a glance."""

from __future__ import annotations

from datetime import datetime

from flask import g
from flask_babel import gettext as _


def _phrases() -> dict[str, str]:
    """The phrases in the reader's language, looked up once per request (a queue page shows
    fifty of them)."""
    if "time_phrases" not in g:
        g.time_phrases = {
            "minutes": _("%(n)s 分钟"),
            "hours": _("%(n)s 小时"),
            "days": _("%(n)s 天"),
            "none": _("无时限"),
            "over": _("已超时 %(span)s"),
            "left": _("还剩 %(span)s"),
            "ago": _("%(span)s前"),
        }
    return g.time_phrases


def span(seconds: float) -> str:
    """A rough duration: minutes under an hour, hours under two days, then days."""
    phrases = _phrases()
    minutes = int(abs(seconds) // 60)
    if minutes < 60:
        return phrases["minutes"] % {"n": max(minutes, 1)}
    hours = minutes // 60
    if hours < 48:
        return phrases["hours"] % {"n": hours}
    return phrases["days"] % {"n": hours // 24}


def time_left(due: datetime | None, now: datetime) -> str:
    phrases = _phrases()
    if due is None:
        return phrases["none"]
    seconds = (due - now).total_seconds()
    return phrases["over" if seconds < 0 else "left"] % {"span": span(seconds)}


def ago(then: datetime, now: datetime) -> str:
    return _phrases()["ago"] % {"span": span((now - then).total_seconds())}
