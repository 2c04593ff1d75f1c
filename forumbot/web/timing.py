"""How long until (or since) a reply is due, in words a reviewer reads at a glance."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _


def span(seconds: float) -> str:
    """A rough duration: minutes under an hour, hours under two days, then days."""
    minutes = int(abs(seconds) // 60)
    if minutes < 60:
        return _("%(n)s 分钟", n=max(minutes, 1))
    hours = minutes // 60
    if hours < 48:
        return _("%(n)s 小时", n=hours)
    return _("%(n)s 天", n=hours // 24)


def time_left(due: datetime | None, now: datetime) -> str:
    if due is None:
        return _("无时限")
    seconds = (due - now).total_seconds()
    if seconds < 0:
        return _("已超时 %(span)s", span=span(seconds))
    return _("还剩 %(span)s", span=span(seconds))


def ago(then: datetime, now: datetime) -> str:
    return _("%(span)s前", span=span((now - then).total_seconds()))
