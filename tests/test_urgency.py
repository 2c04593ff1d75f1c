"""Danger to people and sensitive matters, read from posts as owners write them: what an agent
sees as "紧急" / "敏感" and why, whatever the post's label."""

from __future__ import annotations

import pytest

from forumbot.classify.urgency import assess

URGENT = [
    ("3栋楼道燃气味很重", "3栋2单元楼道里从早上开始就有很大的煤气味，老人孩子都在家", "gas"),
    (None, "5号楼电梯停在两层中间，我和孩子被困在里面二十分钟了", "lift_trapped"),
    ("你们等着", "再不给我退房，看我不弄死你们这帮骗子", "threat"),
    ("路面塌了", "小区东门路面塌陷，一个骑电动车的人摔进坑里了", "ground_collapse"),
    (None, "8栋外墙瓷砖掉下来了，差点砸到楼下玩的小孩", "falling_object"),
    (None, "地下室配电房进水了，水已经没过脚踝，配电柜还在嗡嗡响", "flooding_electrical"),
    (None, "楼梯间的安全出口被物业用铁链锁上了，晚上着火怎么跑", "fire_exit"),
    (None, "電梯門沒關就往上走，嚇死人了", "lift_fault"),  # traditional characters
    (None, "我爸在家靠制氧机，明天全天停电你们也不提前说，怎么办", "life_support"),
    (None, "物业再不解决我就从楼上跳下去，活不下去了", "self_harm"),
    (None, "客厅承重墙上的裂缝比上周宽了一倍", "structural"),
    (None, "北门那个井盖丢了好几天了，晚上黑乎乎的", "manhole"),
    # a comma (normalised to ASCII) ends what "未" denies: the guard rail is still missing
    (None, "5号楼天台的门未锁，护栏缺了一大段，有小孩上去玩", "height_fall"),
    # "未回填" is not a pit filled in
    (None, "游乐场边上挖的坑没有围挡，一米多深，到现在还未回填", "ground_collapse"),
    (None, "1单元那部电梯开门运行好几次了，今天我差点被带上去", "lift_fault"),
    (None, "刚才有个人在售楼处扬言明天带汽油过来，保安也听到了", "threat"),
    (None, "房贷压着，房子又漏，活着真没意思，想一了百了", "self_harm"),
    (None, "那个销售再躲着不见，我找到他就打断他的腿", "threat"),
    (None, "单元门口那棵树上有个马蜂窝，好多小孩在下面玩", "other_danger"),
]

NOT_URGENT = [
    ("产权证", "产权证拖了两年了急死了！！！到底什么时候办"),
    ("物业费", "物业费一年比一年贵，气得我冒烟，你们还要不要脸"),
    (None, "隔壁装修天天电钻，吵得要命，我都快疯了"),
    (None, "上个月楼道燃气泄漏的事已经修好了，谢谢物业的师傅"),
    (None, "请问今年的燃气安全检查什么时候上门？"),
    (None, "周六上午小区消防演练，模拟起火疏散，大家记得参加"),
    (None, "这套房子跳楼价卖了，亏大了"),
    (None, "卫生间天花板有点渗水，麻烦安排人来看看"),
    (None, "不好意思打扰一下，请问停车卡怎么续费"),
    (None, "楼道里没有燃气味了，谢谢"),
    (None, "你们这个价格真要命，买了两套都亏"),
    (None, "爆炸新闻：西门要开一家生鲜超市了"),
    (None, "业主群里又着火了，为了停车费吵了一晚上"),
    (None, "看新闻说别的小区电动车充电起火，我们小区能不能装个监控"),
    (None, "暑假了提醒大家防溺水，看好孩子别去河边"),
    (None, "外墙涂料脱落了好几块，很难看，什么时候补刷"),
    (None, "之前说的那个马蜂窝，物业请人来摘掉了，谢谢"),
]


@pytest.mark.parametrize(("title", "raw", "kind"), URGENT)
def test_danger_is_urgent_with_its_reason(title, raw, kind):
    found = assess(raw, title, model=False)
    assert found.urgent, raw
    assert found.urgent_kind == kind
    assert "“" in (found.urgent_reason or "")  # the owner's own words are quoted


@pytest.mark.parametrize(("title", "raw"), NOT_URGENT)
def test_anger_figures_of_speech_and_past_dangers_are_not_urgent(title, raw):
    found = assess(raw, title, model=False)
    assert not found.urgent, found.urgent_reason


def test_a_reply_is_read_by_its_own_words_not_its_topic_title():
    assert not assess("谢谢楼主提醒", "楼道燃气味很重", post_number=2, model=False).urgent
    assert assess("我们单元也闻到了煤气味", "楼道燃气味很重", post_number=2, model=False).urgent


SENSITIVE = [
    ("楼上漏水把我家泡了，损失二十万，再不赔我就找媒体曝光", {"media"}),
    ("房款200万都交了，合同却一直不给", {"money"}),
    ("已经请了律师，准备起诉你们", {"legal"}),
    ("销售收红包才给好楼层，这不是受贿是什么", {"fraud_bribery"}),
    ("我刚买房就接到装修公司电话，我的信息被泄露了", {"personal_data"}),
    ("我发的投诉帖子被删了，你们心虚什么", {"deleted_post"}),
    ("保安推人，我已经报警了，派出所的人来过", {"police_officials"}),
    ("全体业主联名，周六去售楼处拉横幅", {"collective_action"}),
]


@pytest.mark.parametrize(("raw", "kinds"), SENSITIVE)
def test_sensitive_matters_name_their_kind(raw, kinds):
    found = assess(raw, model=False)
    assert found.sensitive
    assert kinds <= set(found.sensitive_kinds)
    assert found.sensitive_reason


@pytest.mark.parametrize(
    "raw",
    [
        "物业费一年三千多，能不能按月交",
        "面积120平，朝南，请问什么时候交房",
        "电话打不通，客服态度很差",
        "请问1100元的维修基金怎么交",
    ],
)
def test_ordinary_money_and_numbers_are_not_sensitive(raw):
    assert not assess(raw, model=False).sensitive


def test_the_learned_model_catches_danger_in_words_no_rule_lists():
    found = assess("插座那里一闪一闪的，还有一股很冲的塑料烧糊的味道，孩子就在旁边睡觉")
    assert found.urgent
    calm = assess("请问小区的快递柜收费标准是多少？")
    assert not calm.urgent


@pytest.mark.parametrize("raw", ["同户型特价便宜了二十万，老业主怎么算", "房子漏水损失三十五万"])
def test_large_sums_written_in_chinese_numerals_are_sensitive(raw):
    found = assess(raw, model=False)
    assert found.sensitive and "money" in found.sensitive_kinds
