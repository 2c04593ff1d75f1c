"""Drafts that read the post: the opening restates the owner's own matter, each question is
named with who answers it and when, and the department gets a brief instead of an empty note.
The checker reads meaning, not only phrases."""

from __future__ import annotations

import pytest
from casebot import CaseBot, post

from forumbot.drafting.checker import blocking, check_reply
from forumbot.drafting.engine import PostView
from forumbot.drafting.reading import department_brief, read_post, restatement

LEAK = (
    "楼上漏水到底谁负责",
    "我家卫生间天花板一直滴水，物业说是楼上防水的问题，已经报修三次了，打了五次电话也没人来，"
    "已经一个月了，到底谁负责？什么时候能修好？",
)


def test_the_reading_keeps_the_owners_matter_place_time_questions_and_tries():
    found = read_post(
        "3栋2单元楼梯间从今天早上开始有很重的燃气味，到底什么时候来人？", "楼道有燃气味"
    )
    assert found.matter == "楼道有燃气味"
    assert found.place == "3栋2单元楼梯间"
    assert found.since and "今天早上" in found.since
    assert found.questions == ("到底什么时候来人",)
    leak = read_post(LEAK[1], LEAK[0])
    assert leak.matter == LEAK[0]
    assert leak.questions == ("到底谁负责", "什么时候能修好")
    assert any("报修三次" in t for t in leak.tried)


def test_phone_numbers_and_flat_numbers_are_never_restated():
    found = read_post("我是2103室的业主，电话13812345678，楼道灯坏了", None)
    text = restatement(found) + department_brief(found)
    assert "13812345678" not in text and "2103" not in text


def test_every_reply_opens_with_the_owners_own_matter(drafter):
    first_lines = set()
    for number, (title, raw) in enumerate(
        [
            LEAK,
            ("地库积水", "B2车库每次下雨都积水，已经半年了"),
            ("电梯异响", "8栋电梯运行时咣当响"),
        ]
    ):
        plan = drafter.plan(PostView(number, raw, title, 1, "owner"), "engineering")
        opening = (plan.holding or plan.text or "").split("\n\n")[0]
        assert title in opening
        first_lines.add(opening)
    assert len(first_lines) == 3
    holding = drafter.plan(PostView(9, LEAK[1], LEAK[0], 1, "owner"), "engineering").holding
    asked = next(p for p in holding.split("\n\n") if p.startswith("您问到的"))
    assert "“到底谁负责”" in asked and "工程部" in asked and "3个工作日内" in asked


def test_a_price_dispute_gets_no_apology_for_inconvenience(drafter):
    plan = drafter.plan(
        PostView(1, "去年买的单价一万八，现在同户型特价便宜二十万，老业主怎么算？", "差价", 1, "o"),
        "sales",
    )
    assert "不便" not in (plan.holding or "") and "抱歉" not in (plan.holding or "")


def test_the_department_request_carries_a_brief(sessions, client, classifier, drafter, sandbox):
    bot = CaseBot(sessions, client, classifier, drafter)
    topic = post(sandbox, LEAK[1], "liu_yang", title=LEAK[0])
    bot.take_in()
    case_id = bot.case(topic["topic_id"]).id
    [request] = [r for r in bot.requests("open") if r.case_id == case_id]
    assert "业主反映：楼上漏水到底谁负责" in request.note
    assert "报修三次" in request.note and "到底谁负责" in request.note


@pytest.mark.parametrize(
    "reply",
    [
        "您好，您这双火眼金睛可真厉害，连这点小划痕都能发现，我们佩服佩服。",
        "感谢反馈。不是我们不想修，主要是您家装修时动了防水层，这个您心里应该有数。",
        "您好，经了解，这块瓷砖确实是我们外墙掉下来的，车辆的维修费用我们全额承担。",
    ],
)
def test_the_checker_flags_bad_replies_in_words_no_rule_lists(reply):
    """Sarcasm, judging the owner, admitting fault before the facts: no phrase rule lists
    these wordings; the model names the taboo and the sentence (blocking when it is sure)."""
    taboos = {"meaning_sarcasm", "meaning_judging_owner", "meaning_admit_liability_early"}
    [found] = [f for f in check_reply(reply) if f.rule in taboos]
    assert reply[found.span[0] : found.span[1]] == found.excerpt


@pytest.mark.parametrize(
    "reply",
    [
        "您好，电梯的备件要等厂家发货，我们没法保证下周一定修好，但今天下午五点前会告诉您确切日期。",
        "燃气管道由燃气公司维护，我们已替您报修，今天18点前在本帖回复进展。",
        "经工程部现场检查，确认是外墙防水施工缺陷导致渗水，这是我们的责任，维修将于本周五完成。",
    ],
)
def test_honest_replies_pass(reply):
    assert not blocking(check_reply(reply))


def test_a_suggestion_is_thanked_as_one():
    found = read_post("快递柜总是满的，建议在小区里设一个快递驿站", "建议设个快递驿站")
    assert restatement(found, question=True).startswith("您好，您提出的“建议设个快递驿站”")
    assert "谢谢您的建议" in restatement(found, question=True)
