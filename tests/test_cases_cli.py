"""`forumbot cases` and `forumbot incidents` as tools and agents use them: the JSON contract
(fields, types, --state), the readable listing, merge and split, and one-line errors; and
`queue list --json` naming each draft's case. The bot runs against the sandbox forum."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from forumbot.cli import cli

LEAK = "3栋2单元1502卫生间天花板漏水一个月了，报修三次没人来，墙面都泡坏了"
LEAK_AGAIN = "我家3栋1502卫生间漏水的事到底管不管？天花板一直在滴水"
STREET_LIGHT = "另外我家楼道门口的路灯坏了两个月了，晚上黑漆漆的，也请物业派人修一下"
FLOOD = "阳光花园地库又淹了，积水没过脚踝，车都泡水了，物业赶紧抽水"
FLOOD_TOO = "阳光花园的地库积水太严重了，我的车也被淹了，到底有没有人管"
CASE_FIELDS = {
    "id": int,
    "topic_id": int,
    "owner": str,
    "label": str,
    "state": str,
    "urgent": bool,
    "posts": int,
    "supporters": int,
    "open_drafts": int,
}
INCIDENT_FIELDS = {"id": int, "title": str, "state": str, "cases": int, "spike": bool}


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


def json_lines(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def take_in(run) -> None:
    for _ in range(2):
        assert run("run", "--once").exit_code == 0


def one_line_error(result, wanted: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    [line] = result.output.strip().splitlines()
    assert wanted in line and line.startswith("forumbot: "), line


@pytest.fixture
def thread(run, sandbox):
    """A leak topic with two neighbours agreeing, and the same owner again in a second topic."""
    run("migrate")
    leak = sandbox.add_post(LEAK, username="zhang_wei88", title="卫生间漏水没人管")
    sandbox.add_post("+1 同问", username="li_na", topic_id=leak["topic_id"])
    sandbox.add_post("顶，我家也一样", username="wang_fang", topic_id=leak["topic_id"])
    again = sandbox.add_post(LEAK_AGAIN, username="zhang_wei88", title="漏水到底管不管")
    take_in(run)
    cases = json_lines(run("cases", "list", "--json"))
    first = next(c for c in cases if c["topic_id"] == leak["topic_id"])
    second = next(c for c in cases if c["topic_id"] == again["topic_id"])
    return {"leak": leak, "again": again, "first": first, "second": second}


def test_cases_list_json_fields_and_types(run, thread):
    first = thread["first"]
    for key, kind in CASE_FIELDS.items():
        assert isinstance(first[key], kind), (key, first[key])
    assert first["incident_id"] is None or isinstance(first["incident_id"], int)
    assert first["owner"] == "zhang_wei88" and first["label"] == "engineering"
    assert (first["posts"], first["supporters"]) == (3, 2)
    assert first["state"] in ("open", "waiting_department") and first["open_drafts"] >= 1
    due = datetime.fromisoformat(first["due_at"])
    assert due.utcoffset() == timedelta(0) and due > datetime.now(UTC)
    every = json_lines(run("cases", "list", "--json", "--state", "all"))
    assert [c["id"] for c in every] == sorted(c["id"] for c in every)


def test_state_open_lists_only_the_centres_work(run, thread):
    first, second = thread["first"], thread["second"]
    merged = run("cases", "merge", str(first["id"]), str(second["id"]), "--as", "王小明")
    assert merged.exit_code == 0 and f"#{second['id']}" in merged.output

    still_open = json_lines(run("cases", "list", "--json", "--state", "open"))
    assert {c["state"] for c in still_open} <= {"open", "waiting_department"}
    assert second["id"] not in [c["id"] for c in still_open]
    assert json_lines(run("cases", "list", "--json")) == still_open  # open is the default
    every = {c["id"]: c for c in json_lines(run("cases", "list", "--json", "--state", "all"))}
    assert every[second["id"]]["state"] == "closed" and every[second["id"]]["open_drafts"] == 0
    assert every[first["id"]]["posts"] == 4  # the second topic's post joined the first case
    shown = run("cases", "show", str(first["id"]))
    assert shown.exit_code == 0 and "附议" in shown.output and "li_na" in shown.output
    assert "楼主补充" in shown.output and "case_merged" in shown.output
    readable = run("cases", "list", "--state", "all")
    assert f"#{second['id']}" in readable.output and "已关闭" in readable.output


def test_split_on_the_command_line(run, sandbox, thread):
    leak, first = thread["leak"], thread["first"]
    light = sandbox.add_post(STREET_LIGHT, username="zhang_wei88", topic_id=leak["topic_id"])
    take_in(run)
    split = run("cases", "split", str(first["id"]), "--post", str(light["id"]), "--as", "王小明")
    assert split.exit_code == 0, split.output
    new_id = int(split.output.split("新案件 #")[1].split("，")[0])
    cases = {c["id"]: c for c in json_lines(run("cases", "list", "--json"))}
    assert cases[new_id]["owner"] == "zhang_wei88" and cases[new_id]["posts"] == 1
    assert cases[new_id]["open_drafts"] >= 1 and cases[first["id"]]["posts"] == 3
    drafts = json_lines(run("queue", "list", "--json"))
    assert new_id in {d["case_id"] for d in drafts}
    mine = [d for d in drafts if d["forum_post_id"] == light["id"] and d["state"] != "superseded"]
    assert mine and {d["case_id"] for d in mine} == {new_id}


def test_queue_list_json_names_the_case(run, thread):
    drafts = json_lines(run("queue", "list", "--json"))
    leak = [d for d in drafts if d["forum_post_id"] == thread["leak"]["id"]]
    assert leak and {d["case_id"] for d in leak} == {thread["first"]["id"]}
    assert all("text" in d and "revision" in d for d in drafts)  # the fields it always had


def test_unknown_ids_and_nonsense_are_one_line_errors(run, thread):
    first, second = thread["first"], thread["second"]
    one_line_error(run("cases", "show", "99999"), "案件 #99999 不存在")
    one_line_error(run("cases", "merge", "99999", str(first["id"]), "--as", "王"), "不存在")
    one_line_error(run("cases", "merge", str(first["id"]), str(first["id"]), "--as", "王"), "自己")
    one_line_error(
        run("cases", "split", str(first["id"]), "--post", "99999999", "--as", "王"), "尚未收录"
    )
    one_line_error(
        run("cases", "split", str(first["id"]), "--post", str(thread["again"]["id"]), "--as", "王"),
        "话题",
    )
    one_line_error(
        run("cases", "split", "99999", "--post", str(thread["leak"]["id"]), "--as", "王"),
        "案件 #99999 不存在",
    )
    assert run("cases", "list", "--state", "later").exit_code == 2  # click names the choices
    after = {c["id"] for c in json_lines(run("cases", "list", "--json"))}
    assert {first["id"], second["id"]} <= after  # nothing changed


def test_incidents_list_json(run, sandbox):
    run("migrate")
    assert run("incidents", "list", "--json").stdout == ""  # none yet: no lines
    sandbox.add_post(FLOOD, username="zhao_lei", title="阳光花园地库又淹了")
    sandbox.add_post(FLOOD_TOO, username="sun_li", title="阳光花园地库积水")
    take_in(run)
    listed = json_lines(run("incidents", "list", "--json"))
    [incident] = [i for i in listed if i["place"] == "阳光花园"]  # the seeded forum has others
    for key, kind in INCIDENT_FIELDS.items():
        assert isinstance(incident[key], kind), (key, incident[key])
    assert incident["cases"] == 2
    assert incident["state"] == "suggested" and incident["spike"] is False
    for key in ("department", "request_id", "request_state"):
        assert key in incident
    if incident["request_id"] is not None:
        assert incident["request_state"] == "open" and isinstance(incident["department"], str)
    members = [
        c for c in json_lines(run("cases", "list", "--json")) if c["incident_id"] == incident["id"]
    ]
    assert {c["owner"] for c in members} == {"zhao_lei", "sun_li"}
    readable = run("incidents", "list")
    assert "阳光花园" in readable.output and "2 个案件" in readable.output
