"""The command line as an agent uses it: migrate, take posts in, write, approve, publish."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from forumbot.cli import cli
from forumbot.publish.marker import strip_marker


@pytest.fixture
def run(database_url, sandbox, monkeypatch):
    for name, value in {
        "FORUMBOT_DATABASE_URL": database_url,
        "FORUMBOT_FORUM_BASE_URL": sandbox.url,
        "FORUMBOT_FORUM_REQUESTS_PER_MINUTE": "0",
        "DISCOURSE_API_KEY": "sandbox-admin-key",
        "DISCOURSE_API_USERNAME": "forumbot",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("FORUMBOT_REVIEWER", raising=False)

    def invoke(*args, input=None):
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


def test_whole_flow_on_the_command_line(run, sandbox):
    assert run("migrate").exit_code == 0
    assert "at schema" in run("migrate").output  # safe to repeat
    created = sandbox.add_post("物业费凭什么一年涨两次？业主大会都没开！", title="物业费又涨了")
    took = run("run", "--once")
    assert took.exit_code == 0 and "new" in took.output

    wrote = run(
        "queue",
        "write",
        str(created["id"]),
        "--as",
        "李娜",
        input="感谢您的反馈。关于物业费调整，物业公司将于本周五前在小区公告栏公示依据。",
    )
    assert wrote.exit_code == 0 and "已创建草稿 #" in wrote.output
    draft = wrote.output.split("#")[1].split("，")[0]
    listed = run("queue", "list", "--state", "pending_approval", "--limit", "1000")
    assert f"#{draft} " in listed.output and "待审批" in listed.output
    shown = run("queue", "show", draft)
    assert "物业费凭什么一年涨两次" in shown.output and "李娜" in shown.output

    stale = run("queue", "approve", draft, "--as", "王小明", "--revision", "99")
    assert stale.exit_code == 1 and "已被他人修改" in stale.output
    approved = run("queue", "approve", draft, "--as", "王小明", "--revision", "1")
    assert approved.exit_code == 0, approved.output

    published = run("run", "--once")
    assert "published 1" in published.output
    [reply] = sandbox.posts_by("forumbot")
    assert strip_marker(reply["raw"]).startswith("感谢您的反馈。关于物业费调整")
    assert reply["topic_id"] == created["topic_id"]
    history = run("queue", "show", draft).output
    for action in ("create", "approve", "publish_attempt", "publish_result"):
        assert action in history


def test_errors_are_one_line(run):
    run("migrate")
    missing = run("queue", "approve", "42", "--as", "王小明")
    assert missing.exit_code == 1
    assert missing.output.strip() == "forumbot: 草稿 #42 不存在 (draft 42 not found)"
    no_name = run("queue", "approve", "42")
    assert no_name.exit_code == 2 and "--as" in no_name.output
    no_reason = run("queue", "reject", "42", "--as", "王小明")
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output


def test_unmigrated_database_says_what_to_do(run):
    result = run("queue", "list")
    assert result.exit_code == 2
    assert "run 'forumbot migrate' first" in result.output


def test_forum_unreachable_is_one_line(run, monkeypatch):
    run("migrate")
    monkeypatch.setenv("FORUMBOT_FORUM_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("FORUMBOT_FORUM_RETRIES", "0")
    result = run("run", "--once")
    assert result.exit_code == 1
    assert result.output.startswith("forumbot: forum error:")
    assert len(result.output.strip().splitlines()) == 1
    assert "sandbox-admin-key" not in result.output


def test_posts_without_reply_stay_visible_and_correctable(run, sandbox):
    run("migrate")
    topic = sandbox.add_post("12栋1502漏水三个月了，报修三次没人管", title="12栋漏水三个月没人管")
    created = sandbox.add_post("顶顶顶顶！", topic_id=topic["topic_id"])
    run("run", "--once")
    run("run", "--once")  # drafting takes 100 posts a run
    listed = run("queue", "posts", "--no-reply", "--limit", "1000")
    assert f"帖子 {created['id']}" in listed.output and "无内容" in listed.output
    fixed = run(
        "queue",
        "relabel",
        str(created["id"]),
        "engineering",
        "--as",
        "王小明",
        "--reason",
        "其实在催修",
    )
    assert fixed.exit_code == 0 and "新草稿" in fixed.output
    again = run("queue", "posts", "--label", "engineering", "--limit", "1000")
    assert f"帖子 {created['id']}" in again.output and "人工" in again.output
