"""The alert channels an admin sets up, tried with `forumbot alerts test` against a real SMTP
server and a real robot endpoint; and the example contacts the publisher refuses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse

import pytest
from alertsinks import Mailbox, RobotInbox, free_port
from click.testing import CliRunner

from forumbot.alerts.channels import AlertMessage, RobotChannel
from forumbot.cli import cli
from forumbot.drafting.resources import Contact
from forumbot.publish.contacts import contact_guard, example_contact_in

EXAMPLE = Contact("400-800-6688", "每天 8:30–20:00", "kefu@example.com", "客服中心", "", "", True)
REAL = Contact("0755-8888 1234", "每天 8:30–20:00", "kefu@centre.cn", "客服中心", "", "", False)


def run_alerts_test(env: dict[str, str]):
    runner = CliRunner()
    return runner.invoke(cli, ["alerts", "test"], env=env, catch_exceptions=False)


def test_alerts_test_says_which_channels_worked():
    box, robot = Mailbox().start(), RobotInbox().start()
    try:
        result = run_alerts_test(
            {
                "FORUMBOT_ALERTS_SMTP_HOST": "127.0.0.1",
                "FORUMBOT_ALERTS_SMTP_PORT": str(box.port),
                "FORUMBOT_ALERTS_DUTY_MANAGER": "duty@centre.test",
                "FORUMBOT_ROBOT_WEBHOOK_URL": robot.url,
            }
        )
    finally:
        box.stop()
        robot.stop()
    assert result.exit_code == 0, result.output
    assert "✓ 值班经理邮件" in result.output and "✓ 群机器人" in result.output
    [mail] = box.messages
    assert "测试" in mail["Subject"] and "北京时间" in mail.get_content()
    assert robot.bodies[0]["msgtype"] == "text"


def test_a_channel_that_fails_is_named_and_the_exit_status_says_so():
    closed = free_port()  # nothing listens there
    result = run_alerts_test(
        {
            "FORUMBOT_ALERTS_SMTP_HOST": "127.0.0.1",
            "FORUMBOT_ALERTS_SMTP_PORT": str(closed),
            "FORUMBOT_ALERTS_DUTY_MANAGER": "duty@centre.test",
        }
    )
    assert result.exit_code == 1
    assert "✗ 值班经理邮件" in result.output and "alerts.smtp_" in result.output


def test_no_channel_configured_is_one_clear_line():
    result = CliRunner().invoke(cli, ["alerts", "test"], env={})
    assert result.exit_code == 2
    assert "没有配置任何提醒渠道" in result.output


def test_dingtalk_robot_message_is_signed():
    channel = RobotChannel("https://oapi.dingtalk.com/robot/send?access_token=t", "dingtalk", "s3")
    url = channel.signed_url(now_ms=1700000000000)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    digest = hmac.new(b"s3", b"1700000000000\ns3", hashlib.sha256).digest()
    assert query["timestamp"] == ["1700000000000"]
    assert query["sign"] == [base64.b64encode(digest).decode()]
    body = channel.payload(AlertMessage("【紧急】案件 #1", "燃气"))
    assert body["msgtype"] == "text" and "燃气" in body["text"]["content"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("请拨打客服热线**400-800-6688**", "400-800-6688"),
        ("热线 4008006688 随时可拨", "400-800-6688"),
        ("邮件请发到 help@example.org", "help@example.org"),
        ("请拨打 0755-8888 1234", None),
    ],
)
def test_example_contacts_are_found_in_a_reply(text, found):
    assert example_contact_in(text, EXAMPLE) == found


def test_real_contacts_pass_and_the_guard_can_be_off():
    assert example_contact_in("请拨打 400-800-6688", REAL) is None
    refuse = contact_guard(lambda: EXAMPLE, allowed=False)
    assert refuse is not None
    assert "config/departments.toml" in (refuse("热线400-800-6688") or "")
    assert contact_guard(lambda: EXAMPLE, allowed=True) is None
