"""Writing to the forum: replies, private messages and flags, sent exactly as Discourse wants."""

from __future__ import annotations

import pytest

from forumbot.discourse import DiscourseError, InvalidResponse, PostEnqueued

REPLY = "您好，感谢您的反馈。3栋2单元卫生间漏水的问题，维修师傅明天上午上门查看，请保持电话畅通。"


def test_create_reply_returns_the_bare_post(client, forum, recorded):
    expected = forum.play("create_reply")

    post = client.create_reply(21, REPLY, reply_to_post_number=1)

    assert post == recorded("create_topic_with_tags.json")
    assert post["id"] == 29 and post["topic_id"] == 21
    forum.assert_received(expected)  # a plain JSON body: no whisper, no post_type


def test_create_reply_without_reply_to_leaves_it_out(client, forum):
    forum.queue({"status": 200, "body_file": "create_topic_with_tags.json"})

    client.create_reply(21, REPLY)

    assert forum.received[0].json == {"topic_id": 21, "raw": REPLY}


def test_private_message_uses_target_recipients(client, forum, recorded):
    expected = forum.play("private_message")

    post = client.send_private_message(
        ["zhang_wei88", "service_team"], "关于您反映的漏水问题", REPLY
    )

    assert post == recorded("new_topic_response.json")
    sent = forum.received[0].json
    assert "target_usernames" not in sent
    forum.assert_received(expected)


@pytest.mark.parametrize("recipients", [[], [" "], ["a,b"]])
def test_private_message_needs_plain_recipients(client, forum, recipients):
    with pytest.raises(ValueError, match="recipients"):
        client.send_private_message(recipients, "标题", REPLY)
    assert forum.received == []


def test_flag_post_returns_the_post_without_raw(client, forum, recorded):
    expected = forum.play("flag_post")

    post = client.flag_post(33)

    assert post["id"] == 33
    assert "raw" not in post
    assert post["cooked"] == recorded("get_post_response.json")["cooked"]
    forum.assert_received(expected)


def test_flag_post_with_message_and_take_action(client, forum):
    forum.queue({"status": 200, "body_file": "get_post_response.json", "drop_keys": ["raw"]})

    client.flag_post(33, 7, message="含有业主手机号，请版主处理", take_action=True)

    assert forum.received[0].json == {
        "id": 33,
        "post_action_type_id": 7,
        "flag_topic": False,
        "message": "含有业主手机号，请版主处理",
        "take_action": True,
    }


def test_flag_types_that_need_a_message_are_refused_before_sending(client, forum):
    with pytest.raises(ValueError, match="needs a message"):
        client.flag_post(33, 7)
    assert forum.received == []


def test_reply_held_for_approval_is_reported_not_returned(client, forum):
    forum.play("reply_enqueued")

    with pytest.raises(PostEnqueued, match="must not be sent again") as caught:
        client.create_reply(21, REPLY, reply_to_post_number=1)

    assert isinstance(caught.value, InvalidResponse)
    assert caught.value.pending_post["id"] == 42
    assert len(forum.received) == 1


def test_ok_answer_listing_errors_is_a_failure(client, forum):
    expected = forum.play("errors_in_ok")

    with pytest.raises(DiscourseError, match="Topic is closed") as caught:
        client.create_reply(21, REPLY, reply_to_post_number=1)

    assert caught.value.errors == ["Topic is closed"]
    assert caught.value.status == 200
    forum.assert_received(expected)
