"""The dashboard: incident spikes and open incidents, posts by label and day, drafts by state,
response times against the targets, how each department's answered cases ended, overdue
promises and the share of replies that sent the owner to a one-to-one channel."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template
from flask_babel import gettext as _

from forumbot.classify.labels import LABEL_NAMES_ZH
from forumbot.review import case_stats, stats
from forumbot.review.states import STATE_NAMES_ZH, STATES
from forumbot.storage.models import utcnow
from forumbot.web import charts
from forumbot.web.auth import db, login_required, settings
from forumbot.web.incident_pages import incident_state_names, request_state_names

bp = Blueprint("dashboard", __name__)

UNLABELLED_ZH = "未分类"


def label_name(key: str) -> str:
    return _(LABEL_NAMES_ZH.get(key, UNLABELLED_ZH if key == stats.UNLABELLED else key))


def duration(value: timedelta | None) -> str:
    """A delay as people say it: minutes, hours, or days and hours."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return _("%(n)s 分钟", n=minutes)
    hours = minutes / 60
    if hours < 48:
        return _("%(n)s 小时", n=f"{hours:.1f}")
    return _("%(d)s 天 %(h)s 小时", d=int(hours // 24), h=int(hours % 24))


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


@bp.get("/dashboard")
@login_required("agent")
def index():  # type: ignore[no-untyped-def]
    now = utcnow()
    session = db()
    by_day = stats.posts_by_label_and_day(session, now)
    day_names = [f"{d:%m-%d}" for d in by_day.days]
    posts_chart = charts.stacked_bars(
        "posts-by-day",
        title=_("近 14 天每日帖子数（按分类）"),
        desc=_(
            "每天一根柱，按每个帖子最新的分类分段；共 %(n)s 个帖子，下表列出相同的数字。",
            n=by_day.total,
        ),
        categories=day_names,
        series=[
            charts.Series(key, label_name(key), values) for key, values in by_day.counts.items()
        ],
        empty_text=_("近 14 天没有帖子"),
    )
    drafts = stats.drafts_by_state(session, now)
    drafts_chart = charts.horizontal_bars(
        "drafts-by-state",
        title=_("回复草稿按状态"),
        desc=_("每个状态一行，条的长度是回复草稿数；版主提案不计入，见下表。"),
        rows=[(_(STATE_NAMES_ZH[s]), drafts.replies[s]) for s in STATES],
        empty_text=_("没有回复草稿"),
    )
    redirect = stats.redirect_private_share(session, now)
    warn_share = float(settings()["console.redirect_private_warn_share"])
    return render_template(
        "dashboard.html",
        now=now,
        by_day=by_day,
        day_names=day_names,
        posts_chart=posts_chart,
        drafts=drafts,
        drafts_chart=drafts_chart,
        states=STATES,
        state_names=STATE_NAMES_ZH,
        times=stats.response_times(session, now),
        departments=stats.department_times(session, now),
        promises=stats.overdue_promises(session, now),
        redirect=redirect,
        warn_share=warn_share,
        redirect_warning=redirect.above(warn_share),
        incidents=case_stats.open_incidents(session),
        spikes=case_stats.spike_alerts(session, now),
        outcomes=case_stats.department_outcomes(session, now),
        incident_states=incident_state_names(),
        request_states=request_state_names(),
        label_name=label_name,
        duration=duration,
        percent=percent,
    )
