"""The text of an alert: what, where, who, by when, and where to act. Plain text (mail
and chat robots), in Chinese, times in Beijing time."""

from __future__ import annotations

from datetime import datetime

from forumbot.alerts.channels import AlertMessage
from forumbot.storage.models import Case, Post
from forumbot.textsafety import neutralise
from forumbot.workcalendar import format_beijing

EXCERPT_CHARS = 200


def _when(moment: datetime | None) -> str:
    return format_beijing(moment) if moment is not None else "—"


def alert_message(
    case: Case, post: Post | None, forum_url: str, console_url: str, security: bool
) -> AlertMessage:
    """One urgent case as an alert; forum text is quoted as data, never interpreted."""
    title = neutralise((post.topic_title if post else None) or case.matter or "").strip()
    excerpt = " ".join(neutralise(post.raw if post else "").split())
    if len(excerpt) > EXCERPT_CHARS:
        excerpt = excerpt[:EXCERPT_CHARS] + "…"
    subject = f"【紧急】案件 #{case.id}：{title or '论坛帖子报告危险情况'}"
    lines = [
        f"危险情况：{case.urgent_reason or '可能危及人身安全'}",
        f"楼主：{neutralise(case.owner)}",
        f"地点：{case.place or '帖子未写明，请联系楼主确认'}",
        f"发帖时间：{_when(post.forum_created_at if post else case.opened_at)}（北京时间）",
        f"首次回复期限：{_when(case.due_at)}（北京时间），并请当天回电楼主",
    ]
    if security:
        lines.append("已同时通知安保：涉及威胁、暴力或轻生，请安保同事立即跟进。")
    if forum_url and post is not None:
        lines.append(f"论坛原帖：{forum_url.rstrip('/')}/t/{post.topic_id}/{post.post_number}")
    if console_url:
        lines.append(f"控制台：{console_url.rstrip('/')}/cases/{case.id}")
    lines += ["", f"原帖摘录：{excerpt}"]
    return AlertMessage(subject, "\n".join(lines))
