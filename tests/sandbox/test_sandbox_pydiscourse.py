"""An independent client, pydiscourse, reads and writes the sandbox with no adapter.

pydiscourse insists on ``Content-Type: application/json; charset=utf-8`` exactly and raises on
any JSON body with ``errors``, so this proves the sandbox speaks Discourse, not our dialect.
"""

from __future__ import annotations

import pytest
from pydiscourse import DiscourseClient
from pydiscourse.exceptions import DiscourseClientError
from sandbox_helpers import BOT, KEY


@pytest.fixture
def pyd(server) -> DiscourseClient:
    return DiscourseClient(server.url, api_username=BOT, api_key=KEY, timeout=5)


def test_pydiscourse_reads_latest_posts_and_a_topic(pyd, ctl) -> None:
    first = ctl.add_post(
        "小区南门的道闸坏了一周，车辆进出都要人工登记，很不方便。", title="南门道闸坏了"
    )
    reply = ctl.add_post(
        "是的，早上高峰排队排到马路上了，希望尽快修好。", topic_id=first["topic_id"]
    )

    latest = pyd.latest_posts()["latest_posts"]
    assert [p["id"] for p in latest] == [reply["id"], first["id"]]
    assert latest[1]["raw"].startswith("小区南门的道闸")

    topic = pyd.topic("topic", first["topic_id"])
    assert topic["title"] == "南门道闸坏了"
    assert topic["post_stream"]["stream"] == [first["id"], reply["id"]]
    assert pyd.post_by_id(first["id"])["topic_id"] == first["topic_id"]


def test_pydiscourse_creates_a_reply(pyd, ctl) -> None:
    first = ctl.add_post("地下车库B2层的灯坏了一半，晚上停车什么都看不清。", title="车库灯坏了")
    text = "您好，感谢您的反馈，物业已安排电工今天下午更换车库照明。"

    created = pyd.create_post(text, topic_id=first["topic_id"])

    assert created["topic_id"] == first["topic_id"] and created["post_number"] == 2
    [mine] = ctl.posts_by(BOT)
    assert mine["id"] == created["id"] and mine["raw"] == text


def test_pydiscourse_sees_a_bad_key_as_a_client_error(server) -> None:
    wrong = DiscourseClient(server.url, api_username=BOT, api_key="not-the-key", timeout=5)
    with pytest.raises(DiscourseClientError, match="API username or key is invalid"):
        wrong.latest_posts()
