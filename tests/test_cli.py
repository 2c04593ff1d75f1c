"""The command line as an agent uses it: migrate, take posts in, write, approve, publish."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

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


def test_draft_jsonl_contract(run):
    lines = [
        {
            "raw": "发现最近账单上扣的维修金越来越多了，这个是怎么算的？",
            "title": "维修金",
            "post_number": 1,
        },
        {"raw": "12栋1502卫生间渗水到楼下了，报修两次没人来", "title": "渗水", "post_number": 1},
        {"raw": "垃圾公司！！！", "title": "垃圾", "post_number": 1},
        {"raw": "顶", "title": "渗水", "post_number": 3},
    ]
    jsonl = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines)
    result = run("draft", "--jsonl", "-", input=jsonl)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o["style"] for o in out] == ["direct_answer", "specialist", None, None]
    assert out[0]["knowledge_base"]["matched"] and "维修" in out[0]["draft"]
    assert "【待工程部补充" in out[1]["draft"] and "3个工作日内" in out[1]["holding_reply"]
    assert out[2]["draft"] is None and out[2]["moderation"]
    assert out[3]["label"] == "empty" and out[3]["draft"] is None
    bad = run("draft", "--jsonl", "-", input='{"raw": "x"}\n{oops\n')
    assert bad.exit_code == 1 and "not JSON" in json.loads(bad.stdout.splitlines()[1])["error"]


def test_department_answer_and_followups_on_the_command_line(run, sandbox):
    run("migrate")
    created = sandbox.add_post("3栋2单元1502卫生间天花板渗水，报修两次没人来！", title="渗水没人管")
    run("run", "--once")
    run("run", "--once")
    pending = run("dept", "pending", "--department", "engineering")
    assert "工程部" in pending.output and str(created["id"]) in pending.output
    request = pending.output.split("请求 #")[1].split()[0]
    answered = run(
        "dept",
        "answer",
        request,
        "--as",
        "工程部刘工",
        input="经现场查看，渗水来自楼上防水层，维修班组将于本周四上门修复。",
    )
    assert answered.exit_code == 0 and "统一回复草稿" in answered.output
    draft = answered.output.split("#")[1].split()[0]
    assert run("queue", "approve", draft, "--as", "王小明").exit_code == 0
    assert "published 1" in run("run", "--once").output
    listed = run("followups", "--all")
    assert "工程部" in listed.output or "个工作日内" in listed.output, listed.output
    again = run("dept", "answer", request, "--as", "工程部刘工", input="再答一次")
    assert again.exit_code == 1 and "已经答复过了" in again.output


def test_abuse_proposal_flags_and_hides_after_approval(run, sandbox):
    run("migrate")
    created = sandbox.add_post("一群骗子，垃圾公司，滚！！！", title="垃圾")
    run("run", "--once")
    run("run", "--once")
    listed = run("queue", "list", "--state", "pending_approval", "--limit", "1000")
    line = next(x for x in listed.output.splitlines() if f"帖子 {created['id']} " in x)
    draft = line.split()[0].lstrip("#")
    assert "版主处理建议" in run("queue", "show", draft).output
    assert run("queue", "approve", draft, "--as", "版主老陈").exit_code == 0
    run("run", "--once")
    flags = sandbox.call("GET", "flags")
    flags = flags["flags"] if isinstance(flags, dict) else flags
    assert any(f.get("post_id") == created["id"] for f in flags), flags
    assert sandbox.posts_by("forumbot") == [] or all(
        p["topic_id"] != created["topic_id"] for p in sandbox.posts_by("forumbot")
    )


def test_users_add_reads_the_password_from_stdin(run):
    run("migrate")
    made = run("users", "add", "kefu", "--role", "agent", input="a long enough password\n")
    assert made.exit_code == 0 and "已创建账号 kefu" in made.output
    again = run("users", "add", "kefu", "--role", "agent", input="a long enough password\n")
    assert again.exit_code == 1 and "已存在" in again.output
    short = run("users", "add", "x", "--role", "agent", input="short\n")
    assert short.exit_code == 1 and "至少" in short.output
    dept = run(
        "users",
        "add",
        "gc",
        "--role",
        "specialist",
        "--department",
        "nowhere",
        input="a long enough password\n",
    )
    assert dept.exit_code == 1 and "不存在" in dept.output
    ok = run(
        "users",
        "add",
        "gc",
        "--role",
        "specialist",
        "--department",
        "engineering",
        input="a long enough password\n",
    )
    assert ok.exit_code == 0


QUEUE_FIELDS = {
    "id",
    "case_id",
    "forum_post_id",
    "topic_id",
    "post_number",
    "kind",
    "style",
    "state",
    "revision",
    "department",
    "text",
    "created_at",
    "due_at",
    "urgent",
    "sensitive",
    "needs_second_approval",
    "first_approved_by",
}


def json_lines(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def assert_documented(command: str, record: dict) -> None:
    """Every field a --json command writes is named in its row of the README's command table."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    [row] = [line for line in readme.splitlines() if line.startswith(f"| `{command}` |")]
    missing = [key for key in record if f"`{key}`" not in row]
    assert not missing, f"{command}: fields missing from the README: {missing}"


def utc_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    assert moment.utcoffset() == timedelta(0), value
    return moment


def test_queue_list_json_for_tools(run, sandbox, sessions):
    run("migrate")
    assert run("queue", "list", "--json").stdout == ""  # an empty queue is no lines
    leak = sandbox.add_post("3栋2单元1502卫生间天花板渗水，报修两次没人来！", title="渗水没人管")
    reply = sandbox.add_post("同问，我家也一样", topic_id=leak["topic_id"], username="li_na")
    run("run", "--once")
    run("run", "--once")
    before = datetime.now(UTC)
    wrote = run("queue", "write", str(reply["id"]), "--as", "李娜", input="感谢反馈，已转工程部。")
    draft = int(wrote.output.split("#")[1].split("，")[0])

    out = json_lines(run("queue", "list", "--json"))
    assert all(set(o) == QUEUE_FIELDS for o in out), out
    assert [o["id"] for o in out] == sorted(o["id"] for o in out)
    cases = json_lines(run("cases", "list", "--json"))
    [case] = [c for c in cases if c["topic_id"] == leak["topic_id"]]
    specialist = next(o for o in out if o["forum_post_id"] == leak["id"] and o["department"])
    assert specialist["state"] == "awaiting_specialist"
    assert specialist["department"] == "engineering" and specialist["style"] == "specialist"
    assert specialist["forum_post_id"] == leak["id"] and specialist["post_number"] == 1
    assert "【待工程部补充" in specialist["text"]
    assert specialist["case_id"] == case["id"] and case["supporters"] == 1
    mine = next(o for o in out if o["id"] == draft)
    assert mine["forum_post_id"] == reply["id"] and mine["topic_id"] == leak["topic_id"]
    assert mine["post_number"] == 2 and mine["kind"] == "reply" and mine["revision"] == 1
    assert mine["state"] == "pending_approval" and mine["department"] is None
    assert mine["text"] == "感谢反馈，已转工程部。"
    assert mine["case_id"] == case["id"]  # a reply in the owner's topic belongs to their case
    assert before - timedelta(seconds=1) <= utc_time(mine["created_at"]) <= datetime.now(UTC)

    waiting = json_lines(run("queue", "list", "--json", "--state", "awaiting_specialist"))
    assert specialist in waiting and {o["state"] for o in waiting} == {"awaiting_specialist"}
    assert len(waiting) < len(out)
    assert len(json_lines(run("queue", "list", "--json", "--limit", "1"))) == 1
    assert_documented("forumbot queue list --json", mine)


def test_queue_list_json_lists_every_draft_unless_limited(run, sessions, make_post):
    from forumbot.cases.drafts import write_draft

    run("migrate")
    with sessions() as session:
        for n in range(60):
            post = make_post(session, 5000 + n, topic_id=900 + n)
            write_draft(session, post, f"第 {n} 条回复", actor="李娜")
        session.commit()
    assert len(json_lines(run("queue", "list", "--json"))) == 60
    assert len(json_lines(run("queue", "list", "--json", "--limit", "7"))) == 7
    assert len(run("queue", "list").output.splitlines()) == 50  # people still get a page


def test_dept_pending_json_for_tools(run, sandbox, sessions):
    from sqlalchemy import update

    from forumbot.storage.models import DepartmentRequest

    run("migrate")
    assert run("dept", "pending", "--json").stdout == ""
    leak = sandbox.add_post("3栋2单元1502卫生间天花板渗水，报修两次没人来！", title="渗水没人管")
    run("run", "--once")
    run("run", "--once")
    with sessions() as session:
        session.execute(update(DepartmentRequest).values(note="请先查楼上防水层"))
        session.commit()

    every = json_lines(run("dept", "pending", "--json"))
    [request] = [r for r in every if r["forum_post_id"] == leak["id"]]
    assert set(request) >= {"id", "department", "forum_post_id", "topic_id", "due_at", "note"}
    assert request["department"] == "engineering"
    assert request["forum_post_id"] == leak["id"] and request["topic_id"] == leak["topic_id"]
    assert request["note"] == "请先查楼上防水层"
    assert utc_time(request["due_at"]) > datetime.now(UTC)
    engineering = json_lines(run("dept", "pending", "--json", "--department", "engineering"))
    assert request in engineering and {r["department"] for r in engineering} == {"engineering"}
    sales = json_lines(run("dept", "pending", "--json", "--department", "sales"))
    assert request not in sales and all(r["department"] == "sales" for r in sales)
    due = [r["due_at"] for r in every]
    assert due == sorted(due)  # the earliest due first
    assert_documented("forumbot dept pending --json", request)

    answered = run(
        "dept", "answer", str(request["id"]), "--as", "工程部刘工", input="周四上门修复。"
    )
    assert answered.exit_code == 0
    assert request["id"] not in [r["id"] for r in json_lines(run("dept", "pending", "--json"))]
