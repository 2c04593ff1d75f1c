"""forumbot alerts: try the alert channels before an urgent case needs them."""

from __future__ import annotations

import click

from forumbot.cli import settings_from


@click.group("alerts")
def alerts_group() -> None:
    """Alerts about urgent cases (mail to the duty manager and security, chat robot)."""


@alerts_group.command("test")
@click.pass_context
def test_cmd(ctx: click.Context) -> None:
    """Send a test alert through every configured channel and say which worked (exit 1 if
    any failed, 2 if none is configured)."""
    from forumbot.alerts.channels import AlertError, AlertMessage
    from forumbot.alerts.setup import channels_from
    from forumbot.storage.models import utcnow
    from forumbot.workcalendar import format_beijing

    channels = channels_from(settings_from(ctx))
    if not channels:
        click.echo(
            "没有配置任何提醒渠道：请在 config/forumbot.toml 的 [alerts] 设置 smtp_host 和 "
            "duty_manager（或 security），或设置环境变量 FORUMBOT_ROBOT_WEBHOOK_URL",
            err=True,
        )
        ctx.exit(2)
    message = AlertMessage(
        "【测试】forumbot 紧急提醒渠道测试",
        f"这是一条测试提醒，发送于 {format_beijing(utcnow())}（北京时间）。"
        "收到即说明此渠道可用，无需处理。",
    )
    failed = 0
    for channel in channels:
        try:
            channel.send(message)
        except AlertError as exc:
            failed += 1
            click.echo(f"✗ {channel.label}（{channel.name}）：失败，{exc}")
        else:
            click.echo(f"✓ {channel.label}（{channel.name}）：已发送")
    ctx.exit(1 if failed else 0)
