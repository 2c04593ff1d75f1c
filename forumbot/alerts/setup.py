"""The alert channels the settings describe."""

from __future__ import annotations

from forumbot.alerts.channels import Channel, MailChannel, RobotChannel
from forumbot.config import Settings


def channels_from(settings: Settings) -> list[Channel]:
    """Mail to the duty manager (every urgent case) and to security (threats, violence,
    self-harm) when a mail server and addresses are set; the robot when its URL is set."""
    channels: list[Channel] = []
    host = settings["alerts.smtp_host"].strip()
    common = {
        "host": host,
        "port": settings["alerts.smtp_port"],
        "sender": settings["alerts.mail_from"],
        "starttls": settings["alerts.smtp_starttls"],
        "user": settings["alerts.smtp_user"],
        "password": settings.secrets.get("FORUMBOT_SMTP_PASSWORD", ""),
    }
    duty = tuple(settings["alerts.duty_manager"])
    security = tuple(settings["alerts.security"])
    if host and duty:
        channels.append(MailChannel("mail:duty_manager", "值班经理邮件", recipients=duty, **common))
    if host and security:
        channels.append(
            MailChannel(
                "mail:security", "安保邮件", recipients=security, only_security=True, **common
            )
        )
    url = settings.secrets.get("FORUMBOT_ROBOT_WEBHOOK_URL", "")
    if url:
        channels.append(
            RobotChannel(
                url,
                kind=settings["alerts.robot_kind"],
                secret=settings.secrets.get("FORUMBOT_ROBOT_SECRET", ""),
            )
        )
    return channels
