"""The JSONL commands as tools drive them: classify, draft and lint-reply answer every line in
place, a bad line with {"line": N, "error": ...}, and an unreadable file with one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from forumbot.cli import cli

ROOT = Path(__file__).parent.parent


def run(*args: str, input: str | bytes | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def jsonl(*items: object) -> str:
    return "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in items)


def answers(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


REPLY_UNDER_LEAK = {"raw": "顶", "title": "12栋漏水三个月没人管"}
WORDING = {"draft", "holding_reply", "moderation"}
OPENING_POST = {"raw": "物业费凭什么一年涨两次？", "title": "物业费又涨了"}


@pytest.mark.parametrize("command", ["classify", "draft"])
def test_post_number_as_string_or_null_and_title_null(command):
    lines = [
        {**REPLY_UNDER_LEAK, "post_number": 3},
        {**REPLY_UNDER_LEAK, "post_number": "3"},
        {**OPENING_POST, "post_number": 1},
        {**OPENING_POST, "post_number": None},
        {**OPENING_POST},
        {"raw": OPENING_POST["raw"], "title": ""},
        {"raw": OPENING_POST["raw"], "title": None},
        {"raw": OPENING_POST["raw"]},
    ]
    result = run(command, "--jsonl", "-", input=jsonl(*lines))
    assert result.exit_code == 0, result.output
    # Draft wording varies with the line (as with the forum post id); the decisions must not.
    out = [{k: v for k, v in o.items() if k not in WORDING} for o in answers(result)]
    assert len(out) == len(lines)
    assert out[0]["label"] == "empty"  # a reply's title is context only
    assert out[1] == out[0]  # "3" is read as 3
    assert out[3] == out[2] and out[4] == out[2]  # null and missing mean 1
    assert out[6] == out[5] and out[7] == out[5]  # title null or missing means empty


BAD_LINES = [
    ("[1, 2]", "JSON 对象"),
    ("42", "JSON 对象"),
    ('"raw"', "JSON 对象"),
    ("null", "JSON 对象"),
    ("{oops", "不是合法的 JSON"),
    ("", "空行"),
    ("   ", "空行"),
    ("[" * 100_000 + "]" * 100_000, "嵌套过深"),
]
POST_BAD_FIELDS = [
    ({"title": "x"}, "raw"),
    ({"raw": 5}, "raw"),
    ({"raw": None}, "raw"),
    ({"raw": "漏水", "post_number": "abc"}, "post_number"),
    ({"raw": "漏水", "post_number": "3.0"}, "post_number"),
    ({"raw": "漏水", "post_number": "-2"}, "post_number"),
    ({"raw": "漏水", "post_number": -1}, "post_number"),
    ({"raw": "漏水", "post_number": 0}, "post_number"),
    ({"raw": "漏水", "post_number": 2.5}, "post_number"),
    ({"raw": "漏水", "post_number": 3.0}, "post_number"),
    ({"raw": "漏水", "post_number": True}, "post_number"),
    ({"raw": "漏水", "post_number": "9" * 5000}, "post_number"),
    ({"raw": "漏水", "title": 5}, "title"),
]


def mixed_file(good: dict, bad_fields: list[tuple[dict, str]]) -> tuple[str, dict[int, str]]:
    """Good lines between every kind of bad line; returns the text and {line: expected error}."""
    rows: list[str] = []
    expected: dict[int, str] = {}
    bad = [*BAD_LINES, *((json.dumps(item, ensure_ascii=False), hint) for item, hint in bad_fields)]
    for text, hint in bad:
        rows.append(json.dumps(good, ensure_ascii=False))
        rows.append(text)
        expected[len(rows)] = hint
    rows.append(json.dumps(good, ensure_ascii=False))
    return "\n".join(rows) + "\n", expected


@pytest.mark.parametrize(
    ("command", "good", "bad_fields", "key"),
    [
        ("classify", {"raw": "12栋1502漏水三个月了", "title": "漏水"}, POST_BAD_FIELDS, "label"),
        ("draft", {"raw": "12栋1502漏水三个月了", "title": "漏水"}, POST_BAD_FIELDS, "draft"),
        (
            "lint-reply",
            {"text": "非常抱歉，工程部明天上午上门。"},
            [
                ({"post_raw": "x"}, "text"),
                ({"text": 5}, "text"),
                ({"text": "好的", "post_raw": 5}, "post_raw"),
            ],
            "ok",
        ),
    ],
)
def test_bad_lines_are_answered_in_place(command, good, bad_fields, key):
    content, expected = mixed_file(good, bad_fields)
    result = run(command, "--jsonl", "-", input=content)
    assert result.exit_code == 1, result.output
    out = answers(result)
    assert len(out) == len(content.splitlines())  # one answer per physical line, in order
    for number, item in enumerate(out, 1):
        if number in expected:
            assert set(item) == {"line", "error"}, item
            assert item["line"] == number
            assert expected[number] in item["error"], (number, item)
            assert "\n" not in item["error"] and len(item["error"]) < 200
        else:
            assert key in item and "error" not in item, (number, item)
    assert "Traceback" not in result.output
    assert f"{len(expected)} 行" in result.stderr


def test_a_huge_line_is_answered_with_the_others():
    lines = [{"raw": "漏水" * 1_000_000}, ["not", "an", "object"], {"raw": "顶"}]
    result = run("classify", "--jsonl", "-", input=jsonl(*lines))
    assert result.exit_code == 1
    out = answers(result)
    assert "label" in out[0] and out[1]["line"] == 2 and out[2]["label"] == "empty"


@pytest.mark.parametrize("command", ["classify", "draft", "lint-reply"])
def test_unreadable_file_is_one_line_and_writes_nothing(command, tmp_path):
    good = {"raw": "漏水", "text": "好的"}
    missing = run(command, "--jsonl", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 2
    assert missing.stdout == ""
    assert len(missing.output.strip().splitlines()) == 1
    assert "nope.jsonl" in missing.output and "找不到" in missing.output

    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(jsonl(good, good).encode("utf-8") + '{"raw": "café"}\n'.encode("latin-1"))
    wrong = run(command, "--jsonl", str(latin))
    assert wrong.exit_code == 2
    assert wrong.stdout == ""
    assert len(wrong.output.strip().splitlines()) == 1
    assert "UTF-8" in wrong.output and "第 3 行" in wrong.output

    folder = run(command, "--jsonl", str(tmp_path))
    assert folder.exit_code == 2 and folder.stdout == ""
    assert len(folder.output.strip().splitlines()) == 1


def test_windows_files_with_bom_and_crlf_are_read(tmp_path):
    path = tmp_path / "windows.jsonl"
    path.write_bytes(
        "\ufeff".encode() + jsonl({"raw": "顶"}, {"raw": "！！！"}).replace("\n", "\r\n").encode()
    )
    result = run("classify", "--jsonl", str(path))
    assert result.exit_code == 0, result.output
    assert [o["label"] for o in answers(result)] == ["empty", "empty"]


def test_empty_file_gives_no_lines_and_success():
    result = run("lint-reply", "--jsonl", "-", input="")
    assert result.exit_code == 0 and result.stdout == ""


def test_exit_status_through_a_real_process(tmp_path):
    path = tmp_path / "posts.jsonl"
    path.write_text(jsonl({"raw": "顶"}, [1], {"raw": "漏水", "post_number": "2"}), "utf-8")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(
        [sys.executable, "-m", "forumbot", "classify", "--jsonl", str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert out[1] == {"line": 2, "error": out[1]["error"]}
    assert out[0]["label"] == "empty" and "label" in out[2]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["classify", "draft"])
def test_urgent_and_sensitive_fields(command, tmp_path):
    path = tmp_path / "posts.jsonl"
    path.write_text(
        jsonl(
            {"title": "楼道燃气味", "raw": "3栋楼道里有很大的煤气味，老人孩子都在家"},
            {"title": "产权证", "raw": "产权证拖了两年了急死了！！！"},
            {"raw": "再不退钱看我不弄死你们，我还要找媒体曝光"},
        ),
        encoding="utf-8",
    )
    gas, deed, threat = answers(run(command, "--jsonl", str(path)))
    assert gas["urgent"] is True and "燃气" in gas["urgent_reason"]
    assert deed["urgent"] is False and deed["urgent_reason"] is None
    assert threat["urgent"] is True and threat["sensitive"] is True
    assert all(isinstance(a["sensitive"], bool) for a in (gas, deed, threat))
    if command == "draft":
        assert "24小时值班电话" in gas["draft"] and "今天" in gas["draft"]
        assert "个工作日" not in gas["draft"]
        assert threat["draft"] and threat["moderation"]  # a reply, and the moderators told


def test_a_long_file_in_worker_processes_gets_the_same_answers_in_order(tmp_path):
    """A backlog of a few thousand posts is answered by several processes; the output must be
    line for line what one process gives, bad lines in their place."""
    posts = [
        OPENING_POST,
        REPLY_UNDER_LEAK,
        {"raw": "3栋电梯困人了，快来人", "title": "电梯"},
        {"raw": "请问物业费可以在手机上交吗", "title": "物业费怎么交"},
        {"raw": "垃圾公司！！！"},
    ]
    lines = []
    for i in range(1300):
        post = dict(posts[i % len(posts)])
        post["raw"] = f"{post['raw']}（{i}）"
        lines.append(json.dumps(post, ensure_ascii=False))
    lines[700] = "{not json"
    lines[1299] = '{"title": "no raw"}'
    path = tmp_path / "backlog.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "forumbot", "classify", "--jsonl", str(path)]
    one = subprocess.run([*command, "--jobs", "1"], capture_output=True, text=True)
    two = subprocess.run([*command, "--jobs", "2"], capture_output=True, text=True)
    assert one.returncode == two.returncode == 1  # two bad lines
    assert two.stdout == one.stdout
    out = [json.loads(line) for line in two.stdout.splitlines()]
    assert len(out) == 1300
    assert out[700]["line"] == 701 and "error" in out[700]
    assert out[1299]["line"] == 1300
    assert out[2]["urgent"] and out[1297]["urgent"]  # line 1298 is the lift again
    assert out[3]["style"] == "direct_answer" and out[1298]["style"] == "direct_answer"


def test_jobs_must_be_a_sensible_number():
    result = run("classify", "--jobs", "0", "--jsonl", "-", input=jsonl(OPENING_POST))
    assert result.exit_code == 2
    assert "--jobs" in result.output
