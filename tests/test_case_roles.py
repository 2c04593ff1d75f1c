"""What a post is to its topic's cases (forumbot.cases.roles), on a table of phrasings taken
from real property forums, simplified and traditional (Cantonese too). Each label is the one
the shipped classifier gives the text (a bare "顶" is ``empty``)."""

from __future__ import annotations

import pytest

from forumbot.cases import roles
from forumbot.cases.roles import ABUSE, CHATTER, OPENER, SUPPORTER, UPDATE

OWNER = "lin_xiaoyu"
CASE = roles.TopicCase(1, OWNER, 1)
SECOND = roles.TopicCase(2, "sun_lei", 6)

NEIGHBOURS = [
    # bumps and plain "me too"
    ("顶", "empty", SUPPORTER),
    ("顶顶顶", "empty", SUPPORTER),
    ("顶一下，希望物业早点处理", "service", SUPPORTER),
    ("+1", "empty", SUPPORTER),
    ("+1+1+1", "empty", SUPPORTER),
    ("＋１", "empty", SUPPORTER),
    ("dd", "empty", SUPPORTER),
    ("up", "empty", SUPPORTER),
    ("👍👍", "empty", SUPPORTER),
    ("同问", "empty", SUPPORTER),
    ("同求", "empty", SUPPORTER),
    ("同问，我家车也在地库", "planning", SUPPORTER),
    ("附议", "empty", SUPPORTER),
    ("蹲一个结果", "empty", SUPPORTER),
    ("坐等物业回复", "empty", SUPPORTER),
    ("我也遇到了", "empty", SUPPORTER),
    ("一样一样", "empty", SUPPORTER),
    ("我家也是，打了好几次都没人接", "engineering", SUPPORTER),
    ("我家也是，车库B区全是水", "engineering", SUPPORTER),
    ("同样的情况，我们楼也是", "engineering", SUPPORTER),
    ("+1 我家也一样", "empty", SUPPORTER),
    # bare agreement
    ("说的对，物业太不负责任了", "service", SUPPORTER),
    ("楼上说得对", "empty", SUPPORTER),
    ("楼主说得对，支持", "empty", SUPPORTER),
    ("赞同", "empty", SUPPORTER),
    ("同意楼主", "empty", SUPPORTER),
    # traditional Chinese and Cantonese
    ("同問", "empty", SUPPORTER),
    ("頂", "empty", SUPPORTER),
    ("我家都係咁", "empty", SUPPORTER),
    ("我哋都係咁", "empty", SUPPORTER),
    ("我家也係", "empty", SUPPORTER),
    ("我們家也是", "empty", SUPPORTER),
    ("樓主說得對", "empty", SUPPORTER),
    # advice and talk from bystanders
    ("楼主可以去物业前台当面找经理，比打电话快", "property_management", CHATTER),
    ("楼主可以直接打12345投诉，比找物业管用", "service", CHATTER),
    ("建议直接找住建局，物业根本不管", "service", CHATTER),
    ("物业经理换人了吧，之前那个还行", "property_management", CHATTER),
    ("听说是排水泵坏了，去年也淹过一次", "unrelated", CHATTER),
    ("樓主可以打12345投訴", "service", CHATTER),
    # another owner's own, different matter
    (
        "我是5栋的，我家门口的路灯坏了两个月了，晚上回家黑漆漆的，报修也没人管",
        "property_management",
        OPENER,
    ),
    ("另外我想问一下，我们5栋的物业费今年怎么涨了这么多？每平米多少钱？", "inquiry", OPENER),
    ("插个楼：我家2栋901的暖气不热，报修一周了没人来", "engineering", OPENER),
    ("我家8棟1203的廚房天花板滲水，報修兩次都沒人來看", "engineering", OPENER),
    # abuse from anyone
    ("你们客服都是饭桶，一群废物", "abuse", ABUSE),
]


@pytest.mark.parametrize(("raw", "label", "role"), NEIGHBOURS)
def test_a_neighbours_post_gets_the_role_a_person_would_give_it(raw, label, role):
    filing = roles.decide(roles.PostFacts("zhao_gang", raw, 5), label, [CASE])
    assert filing.role == role, f"{raw!r} ({label}) filed as {filing.role}: {filing.reason}"
    if role in (SUPPORTER, CHATTER, ABUSE):
        assert filing.case_id == CASE.id
    else:
        assert filing.case_id is None, "a different matter opens a case of its own"


OWNER_AGAIN = [
    ("补充一下，今天又打了五次，还是没人接", "service"),
    ("又漏了，这次连客厅都湿了", "engineering"),
    ("什么时候来修？", "empty"),
    ("顶", "empty"),  # the owner bumping their own topic is still their case
    ("已经解决了，谢谢", "property_management"),
    ("什麼時候來修？", "inquiry"),
]


@pytest.mark.parametrize(("raw", "label"), OWNER_AGAIN)
def test_the_owners_later_posts_update_their_case(raw, label):
    filing = roles.decide(roles.PostFacts(OWNER, raw, 7), label, [CASE, SECOND])
    assert (filing.role, filing.case_id) == (UPDATE, CASE.id)


def test_the_owners_name_matches_whatever_its_case():
    filing = roles.decide(roles.PostFacts("Lin_XiaoYu", "补充：照片在楼下", 7), "empty", [CASE])
    assert (filing.role, filing.case_id) == (UPDATE, CASE.id)


def test_a_second_owner_writing_again_updates_their_own_case():
    facts = roles.PostFacts("sun_lei", "补充：是2单元门口那两盏", 13)
    filing = roles.decide(facts, "property_management", [CASE, SECOND])
    assert (filing.role, filing.case_id) == (UPDATE, SECOND.id)


def test_a_reply_to_the_second_owner_supports_their_case():
    numbers = {1: CASE.id, 6: SECOND.id, 7: SECOND.id}
    for reply_to in (6, 7):
        filing = roles.decide(
            roles.PostFacts("he_ping", "+1", 9, reply_to), "empty", [CASE, SECOND], numbers
        )
        assert (filing.role, filing.case_id) == (SUPPORTER, SECOND.id)
    plain = roles.decide(roles.PostFacts("he_ping", "+1", 9), "empty", [CASE, SECOND], numbers)
    assert plain.case_id == CASE.id, "a +1 to nobody in particular supports the topic's case"


def test_a_topic_without_a_case_waits_for_a_valid_post():
    assert roles.decide(roles.PostFacts("a", "顶", 1), "empty", []).role == CHATTER
    first = roles.decide(roles.PostFacts("a", "卫生间漏水一个月了", 2), "engineering", [])
    assert (first.role, first.case_id) == (OPENER, None)
    assert roles.decide(roles.PostFacts("a", "垃圾物业", 1), "abuse", []).role == ABUSE


def test_quoting_the_opener_is_not_a_matter_of_ones_own():
    quoted = (
        '[quote="lin_xiaoyu, post:1, topic:9"]\n物业客服电话一直打不通，打了一上午都没人接，'
        "有事根本找不到人\n[/quote]\n+1"
    )
    filing = roles.decide(roles.PostFacts("zhao_gang", quoted, 4), "service", [CASE])
    assert filing.role == SUPPORTER


def test_quoting_the_second_owner_supports_their_case():
    """Discourse's "quote reply" names the post in the quote, not in reply_to_post_number."""
    numbers = {1: CASE.id, 6: SECOND.id}
    raw = '[quote="sun_lei, post:6, topic:9"]\n我家门口的路灯坏了两个月了\n[/quote]\n同问'
    filing = roles.decide(roles.PostFacts("he_ping", raw, 9), "empty", [CASE, SECOND], numbers)
    assert (filing.role, filing.case_id) == (SUPPORTER, SECOND.id)


LEAK = roles.TopicCase(1, OWNER, 1, "卫生间漏水没人管 3栋2单元1502卫生间天花板渗水，报修两次没人来")
WATER = roles.TopicCase(1, OWNER, 1, "水压太小 8栋1802水压特别小，洗澡都洗不了")


@pytest.mark.parametrize(
    ("raw", "case", "role"),
    [
        # the same matter told from the neighbour's own flat: they support the case
        ("我家2栋2503也是一样，卫生间天花板一直渗水", LEAK, SUPPORTER),
        ("我住8棟1801，水壓同樣好細", WATER, SUPPORTER),
        ("我家也漏水，5栋也是", LEAK, SUPPORTER),
        ("10栋好几家都这样", LEAK, SUPPORTER),
        ("我家6栋1单元502也是，卫生间顶上一直滴水", LEAK, SUPPORTER),  # the flat's number
        ("3栋的渗水确实严重，我家楼下也被泡了", LEAK, SUPPORTER),
        # agreement words, then a fault of their own: a case of their own
        ("我家也有问题，厨房墙裂了好大一条缝，谁来管管", LEAK, OPENER),
        ("我也想问一下，车位什么时候开始卖？", LEAK, OPENER),
        # advice that happens to contain 一样 stays advice
        ("楼主可以打12345投诉，一样能解决", LEAK, CHATTER),
        ("+1，楼主可以直接打12345", LEAK, CHATTER),
    ],
)
def test_me_too_with_details_is_told_apart_by_the_cases_matter(raw, case, role):
    filing = roles.decide(roles.PostFacts("li_na", raw, 3), "engineering", [case])
    assert filing.role == role


def test_a_spike_is_any_burst_of_cases_within_the_hours():
    from datetime import UTC, datetime, timedelta

    from forumbot.cases.incident_match import spike

    t0 = datetime(2026, 7, 1, 0, 0, tzinfo=UTC)
    burst = [t0, t0 + timedelta(hours=2), t0 + timedelta(hours=5, minutes=59)]
    assert spike(burst, t0 + timedelta(hours=8), 3, 6)  # taken in late: still a burst
    assert not spike(burst[:2], t0 + timedelta(hours=8), 3, 6)
    spread = [t0, t0 + timedelta(hours=4), t0 + timedelta(hours=9)]
    assert not spike(spread, t0 + timedelta(hours=10), 3, 6)
    assert spike([*spread, t0 + timedelta(hours=10)], t0 + timedelta(hours=12), 3, 6)


@pytest.mark.parametrize(
    ("raw", "role"),
    [
        ("楼主加油，我们都支持你", SUPPORTER),
        ('[quote="lin_xiaoyu, post:1, topic:3"]\n漏水[/quote]\n顶上去', SUPPORTER),
        ("我们8幢也是这样", SUPPORTER),
        ("我們這棟也是", SUPPORTER),
        ("同一个问题，物业一直拖", SUPPORTER),
    ],
)
def test_cheers_and_short_agreement_support_the_case(raw, role):
    filing = roles.decide(roles.PostFacts("li_na", raw, 3), "engineering", [LEAK])
    assert filing.role == role


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("三天两头停电，冰箱里的东西都坏了 幸福里7栋", "幸福里7栋"),  # not "冰箱里"
        ("小区里12栋又停电了", None),
        ("我在医院住了三天，回来家里全是水", None),
        ("碧桂园凤凰城地库淹了", "碧桂园凤凰城"),
        ("天鹅堡电梯坏了", "天鹅堡"),
        ("保利香槟国际漏水", "保利香槟国际"),
    ],
)
def test_words_that_only_end_like_a_community_are_not_a_place(text, place):
    from forumbot.cases.incident_match import place_of

    assert place_of(text) == place


def test_a_short_name_is_the_same_community():
    from forumbot.cases.incident_match import same_community

    assert same_community("碧桂园凤凰城", "凤凰城") and same_community("海棠苑", "花城海棠苑")
    assert not same_community("翠湖花园", "花园") and not same_community("凤凰城", "翠湖花园")
