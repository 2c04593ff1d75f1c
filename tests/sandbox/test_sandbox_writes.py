"""Writing to the sandbox: replies, topics, PMs, whispers, validation, memoization, flags."""

from __future__ import annotations

import pytest
from sandbox_helpers import BOT, OWNER, Api, Control

REPLY = "您好，感谢您的反馈，我们已通知工程部明天上门查看渗水情况。"
COMPLAINT = "12栋1801卫生间天花板渗水，已经报修两次还没人来看！！"


@pytest.fixture
def topic(ctl) -> dict:
    return ctl.add_post(COMPLAINT, title="渗水没人管")


def bot_posts(ctl: Control) -> list[dict]:
    return ctl.posts_by(BOT)


def test_reply_answers_200_with_the_bare_post(api, ctl, topic) -> None:
    response = api.post("/posts.json", data={"topic_id": topic["topic_id"], "raw": f"  {REPLY}  "})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert body["topic_id"] == topic["topic_id"] and body["post_number"] == 2
    assert body["yours"] is True and body["draft_sequence"] == 0
    assert [p["raw"] for p in bot_posts(ctl)] == [REPLY]  # stored stripped


def test_json_body_works_like_a_form(api, ctl, topic) -> None:
    response = api.post("/posts", json={"topic_id": topic["topic_id"], "raw": REPLY})
    assert response.status_code == 200
    assert len(bot_posts(ctl)) == 1


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"raw": "谢谢反馈"}, "Body is too short (minimum is 20 characters)"),
        (
            {"raw": "   谢谢反馈，我们会处理的。           "},
            "Body is too short (minimum is 20 characters)",
        ),
    ],
)
def test_short_raw_is_422_without_error_type(api, ctl, topic, body, error) -> None:
    response = api.post("/posts.json", data={"topic_id": topic["topic_id"], **body})
    assert response.status_code == 422
    assert response.json() == {"action": "create_post", "errors": [error]}
    assert bot_posts(ctl) == []


def test_missing_raw_is_400(api, topic) -> None:
    response = api.post("/posts.json", data={"topic_id": topic["topic_id"]})
    assert response.status_code == 400
    assert response.json()["error_type"] == "invalid_parameters"


def test_closed_topic_refuses_owners_but_not_admins(api, owner_api, ctl, topic) -> None:
    ctl.call("POST", f"topics/{topic['topic_id']}/close")
    refused = owner_api.post("/posts.json", data={"topic_id": topic["topic_id"], "raw": COMPLAINT})
    assert refused.status_code == 422
    assert "closed" in refused.json()["errors"][0]
    # Guardian#can_create_post_on_topic? lets admins (and moderators, TL4) reply anyway.
    allowed = api.post("/posts.json", data={"topic_id": topic["topic_id"], "raw": REPLY})
    assert allowed.status_code == 200


def test_deleted_or_unknown_topic_refuses_everyone(api, ctl, topic) -> None:
    ctl.call("POST", f"posts/{topic['id']}/delete")
    for topic_id in (topic["topic_id"], 424242):
        response = api.post("/posts.json", data={"topic_id": topic_id, "raw": REPLY})
        assert response.status_code == 422
        assert response.json()["action"] == "create_post"
    assert bot_posts(ctl) == []


def test_new_topic_and_bad_category(owner_api) -> None:
    created = owner_api.post(
        "/posts.json", data={"title": "南门道闸坏了", "raw": COMPLAINT, "category": 1}
    )
    assert created.status_code == 200 and created.json()["post_number"] == 1
    bad = owner_api.post(
        "/posts.json", data={"title": "南门道闸", "raw": COMPLAINT, "category": 77}
    )
    assert bad.status_code == 400


def test_private_message_goes_to_its_own_topic(api, ctl) -> None:
    response = api.post(
        "/posts.json",
        data={
            "archetype": "private_message",
            "title": "关于渗水的跟进",
            "raw": "您好，请留下联系电话，我们安排专人处理。",
            "target_recipients": OWNER,
        },
    )
    assert response.status_code == 200
    [pm] = bot_posts(ctl)
    assert pm["archetype"] == "private_message" and pm["topic_id"] == response.json()["topic_id"]
    assert api.latest_ids() == []


@pytest.mark.parametrize(
    "extra",
    [{"target_usernames": OWNER}, {"target_recipients": OWNER, "topic_id": 1}],
    ids=["deprecated-target_usernames", "pm-into-existing-topic"],
)
def test_private_message_mistakes_are_422(api, ctl, topic, extra) -> None:
    body = {
        "archetype": "private_message",
        "title": "跟进",
        "raw": "您好，请留下联系电话。",
        **extra,
    }
    response = api.post("/posts.json", data=body)
    assert response.status_code == 422
    assert bot_posts(ctl) == []


def test_whisper_needs_staff_and_post_type_is_ignored(api, owner_api, ctl, topic) -> None:
    data = {"topic_id": topic["topic_id"], "raw": REPLY}
    assert owner_api.post("/posts.json", data={**data, "whisper": "true"}).status_code == 403
    assert api.post("/posts.json", data={**data, "whisper": "true"}).json()["post_type"] == 4
    other = {"topic_id": topic["topic_id"], "raw": REPLY + "（补充）", "post_type": 4}
    assert api.post("/posts.json", data=other).json()["post_type"] == 1
    assert api.latest_ids()[0] == bot_posts(ctl)[-1]["id"]  # the whisper is not listed


def test_memoization_returns_the_same_body_and_creates_nothing(make_server) -> None:
    server = make_server(rate_limit_per_minute=0)  # memoize_seconds=120, Discourse's default
    server.forum.add_user(OWNER)
    topic = server.forum.create_topic(OWNER, "渗水没人管", COMPLAINT)
    api, shouting, ctl = Api(server.url), Api(server.url, BOT.upper()), Control(server.url)
    try:
        data = {"topic_id": topic.topic_id, "raw": REPLY}
        first = api.post("/posts.json", data=data)
        again = shouting.post("/posts.json", data={**data, "unpermitted": "x"})
        assert first.status_code == again.status_code == 200
        assert again.content == first.content
        assert len(bot_posts(ctl)) == 1
        failed = api.post("/posts.json", data={"topic_id": topic.topic_id, "raw": "太短"})
        assert api.post(
            "/posts.json", data={"topic_id": topic.topic_id, "raw": "太短"}
        ).content == (failed.content)
        ctl.call("POST", "settings", memoize_seconds=0)
        assert api.post("/posts.json", data=data).json()["id"] != first.json()["id"]
        assert len(bot_posts(ctl)) == 2
    finally:
        for session in (api, shouting, ctl):
            session.close()


def test_owner_repeating_a_body_is_too_similar(owner_api, ctl, topic) -> None:
    data = {"topic_id": topic["topic_id"], "raw": "物业到现在还没有任何人联系我，请尽快处理！"}
    assert owner_api.post("/posts.json", data=data).status_code == 200
    again = owner_api.post("/posts.json", data={**data, "reply_to_post_number": 1})
    assert again.status_code == 422
    assert again.json()["errors"] == ["Body is too similar to what you recently posted"]


def test_flag_hide_and_unhide(api, owner_api, ctl, topic) -> None:
    flag = {"id": topic["id"], "post_action_type_id": 4}
    first = api.post("/post_actions.json", data={**flag, "take_action": "true"})
    assert first.status_code == 200 and "raw" not in first.json()
    assert first.json()["hidden"] is True
    again = api.post("/post_actions.json", data=flag)
    assert again.status_code == 403 and again.json()["errors"]
    assert api.latest_ids() == []
    assert api.get(f"/t/{topic['topic_id']}.json").json()["visible"] is False  # unlisted
    ctl.call("POST", "users", username="neighbour_wang")
    neighbour = api.get(f"/posts/{topic['id']}.json", headers={"Api-Username": "neighbour_wang"})
    assert "raw" not in neighbour.json() and neighbour.json()["cooked_hidden"] is True
    assert "raw" in owner_api.get(f"/posts/{topic['id']}.json").json()  # the author sees it
    assert "raw" in api.get(f"/posts/{topic['id']}.json").json()  # so does staff

    [recorded] = ctl.call("GET", "flags")["flags"]
    assert recorded["post_id"] == topic["id"] and recorded["take_action"] is True

    assert owner_api.put(f"/posts/{topic['id']}/unhide").status_code == 403
    unhidden = api.put(f"/posts/{topic['id']}/unhide")
    assert unhidden.status_code == 200 and unhidden.content == b""
    assert api.latest_ids() == [topic["id"]]
    assert api.get(f"/t/{topic['topic_id']}.json").json()["visible"] is True


def test_flagging_a_missing_post_is_404(api) -> None:
    response = api.post("/post_actions.json", data={"id": 9999, "post_action_type_id": 8})
    assert response.status_code == 404


def test_edit_and_delete_through_the_api(api, owner_api, ctl, topic) -> None:
    reply = api.post("/posts.json", data={"topic_id": topic["topic_id"], "raw": REPLY}).json()
    edited = api.put(f"/posts/{reply['id']}.json", json={"post": {"raw": REPLY + "谢谢！"}})
    assert edited.status_code == 200
    post = edited.json()["post"]
    assert post["version"] == 2 and post["raw"].endswith("谢谢！")
    assert (
        owner_api.put(f"/posts/{reply['id']}.json", data={"post[raw]": COMPLAINT}).status_code
        == 403
    )
    assert api.http.delete(f"{api.url}/posts/{reply['id']}.json", timeout=5).status_code == 200
    assert bot_posts(ctl)[0]["deleted_at"] is not None
