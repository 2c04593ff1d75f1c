"""Reading the sandbox like a poller: paging, what /posts.json hides, late commits, auth."""

from __future__ import annotations

import pytest
import requests
from sandbox_helpers import BOT, KEY, OWNER, Api

INVALID = {
    "errors": [
        "You are not permitted to view the requested resource. The API username or key is invalid."
    ],
    "error_type": "invalid_access",
}
TEXT = "小区{}号楼电梯又坏了，困在里面二十分钟才有人来。"


def test_before_is_strict_and_pages_hold_50(api, ctl) -> None:
    ctl.call("POST", "backlog", count=120)
    newest = api.latest_ids()
    assert len(newest) == 50 and newest == sorted(newest, reverse=True)

    second = api.latest_ids(before=newest[-1])
    assert second[0] < newest[-1]  # id < before, never equal
    assert api.latest_ids(before=newest[0])[0] == newest[1]
    assert api.latest_ids(before=0) == newest

    seen, before = [], None
    while page := api.latest_ids(before):
        seen += page
        before = page[-1]
    assert len(seen) == len(set(seen)) == 120


def test_ids_skip_what_posts_json_never_shows(api, ctl) -> None:
    topic = ctl.add_post(TEXT.format(3), title="电梯又坏了")
    tid = topic["topic_id"]
    pm = ctl.add_post("私信：我的电话是138xxxx，请联系我。", archetype="private_message")
    whisper = ctl.add_post(
        "内部备注：这位业主已经投诉三次。", username="system", topic_id=tid, post_type=4
    )
    hidden = ctl.add_post("全是广告，加微信买便宜装修材料！", topic_id=tid, hidden=True)
    deleted = ctl.add_post("这条我发错了，删掉。发错了发错了发错了", topic_id=tid)
    ctl.call("POST", f"posts/{deleted['id']}/delete")
    closed = ctl.call("POST", f"topics/{tid}/close")  # adds a small-action post
    last = ctl.add_post(TEXT.format(5), title="5号楼电梯")

    assert api.latest_ids() == [last["id"], topic["id"]]
    invisible = {pm["id"], whisper["id"], hidden["id"], deleted["id"], closed["small_action_id"]}
    assert invisible == set(range(topic["id"] + 1, last["id"]))  # the ids exist: gaps


def test_a_late_commit_appears_below_the_newest_id(api, ctl) -> None:
    early = ctl.add_post(TEXT.format(1), title="1号楼电梯")
    late = ctl.add_post(TEXT.format(2), title="2号楼电梯", visible_after_seconds=600)
    newer = ctl.add_post(TEXT.format(3), title="3号楼电梯")
    assert api.latest_ids() == [newer["id"], early["id"]]
    assert api.get(f"/posts/{late['id']}.json").status_code == 404
    assert api.get(f"/t/{late['topic_id']}.json").status_code == 404

    assert ctl.call("POST", "reveal") == {"revealed": 1}

    assert api.latest_ids() == [newer["id"], late["id"], early["id"]]
    assert late["id"] < newer["id"]


def test_topic_stream_and_posts_by_id(api, ctl) -> None:
    first = ctl.add_post(TEXT.format(8), title="8号楼电梯")
    replies = [
        ctl.add_post(f"第{i}次反映了，还是没人管，请物业给个说法！", topic_id=first["topic_id"])
        for i in range(25)
    ]
    topic = api.get(f"/t/{first['topic_id']}.json").json()
    stream = topic["post_stream"]["stream"]
    assert stream == [first["id"], *(r["id"] for r in replies)]
    assert len(topic["post_stream"]["posts"]) == topic["chunk_size"] == 20
    assert topic["posts_count"] == 26 and topic["highest_post_number"] == 26
    assert not topic["closed"] and topic["archetype"] == "regular"

    rest = api.get(f"/t/{first['topic_id']}/posts.json", params={"post_ids[]": stream[20:]}).json()
    assert rest["id"] == first["topic_id"]
    assert [p["id"] for p in rest["post_stream"]["posts"]] == stream[20:]
    assert all("raw" not in p for p in rest["post_stream"]["posts"])


def test_deleted_post_is_404_for_owners_but_shown_to_staff(api, owner_api, ctl) -> None:
    post = ctl.add_post(TEXT.format(9), title="9号楼电梯")
    ctl.call("POST", f"posts/{post['id']}/delete")

    assert owner_api.get(f"/posts/{post['id']}.json").status_code == 404
    assert owner_api.get(f"/t/{post['topic_id']}.json").status_code == 404
    staff_view = api.get(f"/posts/{post['id']}.json")
    assert staff_view.status_code == 200 and staff_view.json()["deleted_at"].endswith("Z")
    assert api.get(f"/t/{post['topic_id']}.json").json()["deleted_at"] is not None


def test_timestamps_and_reply_numbers_have_discourse_types(api, ctl) -> None:
    first = ctl.add_post(TEXT.format(4), title="4号楼电梯")
    ctl.add_post(
        "楼上说得对，我也被困过一次！！", topic_id=first["topic_id"], reply_to_post_number=1
    )
    newest, oldest = api.get("/posts.json").json()["latest_posts"]
    assert newest["reply_to_post_number"] == 1 and oldest["reply_to_post_number"] is None
    assert len(newest["created_at"]) == len("2020-01-25T02:10:07.971Z")
    assert newest["created_at"].endswith("Z") and newest["created_at"][19] == "."


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Api-Key": "wrong", "Api-Username": BOT},
        {"Api-Key": KEY, "Api-Username": "nobody_here"},
        {"Api-Key": KEY},
    ],
    ids=["no-credentials", "wrong-key", "unknown-user", "no-username"],
)
def test_auth_failures_get_the_exact_403(server, headers) -> None:
    with requests.Session() as http:
        response = http.get(f"{server.url}/posts.json", headers=headers, timeout=5)
    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == INVALID


def test_any_user_can_be_impersonated_case_insensitively(server) -> None:
    shouting = Api(server.url, username=OWNER.upper())
    try:
        assert shouting.get("/posts.json").status_code == 200
    finally:
        shouting.close()


def test_unknown_routes_are_json_404(api) -> None:
    response = api.get("/no/such/thing.json")
    assert response.status_code == 404
    assert response.json()["error_type"] == "not_found"
    assert api.get("/posts/999999.json").json()["error_type"] == "not_found"
