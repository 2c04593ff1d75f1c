"""The reply checker: what an approving agent is warned about, and what good replies pass."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from forumbot.cli import cli
from forumbot.drafting.checker import Finding, blocking, check_reply, finding_json


def hits(text: str, rule: str, post_raw: str | None = None) -> list[Finding]:
    return [f for f in check_reply(text, post_raw=post_raw, meaning=False) if f.rule == rule]


def assert_caught(text: str, rule: str, words: str, severity: str = "block") -> None:
    """The rule fires, with its severity, and the span in the text covers the offending words."""
    found = hits(text, rule)
    assert found, f"{rule} missed: {text}"
    for f in found:
        assert f.severity == severity
        assert text[f.span[0] : f.span[1]] == f.excerpt
        assert f.message
    assert any(words in f.excerpt for f in found), [f.excerpt for f in found]


CAUGHT = {
    "blame_writer": [
        ("是您自己装修时破坏了防水层造成的，维修费用需要您承担。", "是您自己装修"),
        ("您应该先到物业登记，再来论坛反映。", "您应该先"),
        ("您没有按规定办理装修备案，所以无法验收。", "您没有按规定"),
        ("经查，业主私自改造阳台导致外墙渗漏。", "业主私自改造阳台导致"),
        ("这是您的责任，和施工质量没有关系。", "这是您的责任"),
        ("停水的事我们早就通知过了，公告栏贴了一周。", "早就通知过"),
        ("合同上写得很清楚，交房时间以通知为准。", "合同上写得很清楚"),
        ("你自己不看合同，怪谁？", "怪谁"),
        ("您说的情况不属实。", "不属实"),
    ],
    "push_elsewhere": [
        ("这不归我们管，您反映的是市政道路。", "不归我们管"),
        ("请您自己去找施工单位协商赔偿。", "自己去找施工单位"),
        ("车位产权问题与我司无关。", "与我司无关"),
        ("此事不属于我们的职责范围。", "不属于我们的职责"),
        ("价格的事您去问销售。", "去问销售"),
        ("請您自行聯繫物業公司。", "自行聯繫物業公司"),
    ],
    "excuse": [
        ("由于人手不足，维修安排得比较晚。", "人手不足"),
        ("因为最近太忙，没来得及回复您。", "最近太忙"),
        ("墙面细小裂缝是正常现象。", "正常现象"),
        ("系统原因所以账单金额有误。", "系统原因"),
        ("天气原因无法施工，请您理解。", "天气原因"),
    ],
    "judge_writer": [
        ("请不要无理取闹。", "无理取闹"),
        ("有人别有用心地在论坛发帖。", "别有用心"),
        ("请注意您的素质。", "素质"),
        ("这是恶意炒作。", "恶意炒作"),
        ("您这样胡搅蛮缠也解决不了问题。", "胡搅蛮缠"),
        ("请不要造谣，小区从未停过电梯。", "不要造谣"),
        ("楼主这种人就是想多要赔偿。", "想多要"),
    ],
    "vague_no_next_step": [
        ("感谢您的反馈，我们会尽快处理。", "尽快处理"),
        ("您的问题我们已经记录，会跟进的。", "会跟进的"),
        ("正在处理中，请您耐心等待。", "正在处理中"),
        ("我们已将您的情况反馈至相关部门。", "相关部门"),
        ("抱歉让您久等，我们后续会跟进。", "后续会跟进"),
    ],
    "overpromise": [
        ("我们保证以后不会再漏水。", "保证"),
        ("这次维修绝对没有问题。", "绝对"),
        ("百分之百让您满意。", "百分之百"),
        ("您的损失我们一定全部赔偿。", "一定全部"),
        ("修好以后肯定不会再出现裂缝。", "肯定不会再出现"),
        ("这种情况永远不会发生了。", "永远不会"),
        ("我们的维修合格率100%。", "100%"),
    ],
    "personal_data": [
        ("已登记您的手机13812345678，工程部明天上门。", "13812345678"),
        ("已登记您的手机138 1234 5678，工程部明天上门。", "138 1234 5678"),
        ("已登记您的手机138-1234-5678，工程部明天上门。", "138-1234-5678"),
        ("您的身份证号110101199003071234已核验，明天可领取房产证。", "110101199003071234"),
        ("3栋2单元1502的张先生，工程部明天上门。", "3栋2单元1502的张先生"),
        ("李女士（5号楼801室），工程部明天上门。", "李女士（5号楼801室"),
        ("3栋1502业主王建国您好，工程部明天上门。", "3栋1502业主王建国"),
        ("王建国先生，1502室的维修明天上午完成。", "王建国先生，1502室"),
        ("结果已发送到zhangsan88@163.com，请查收。", "zhangsan88@163.com"),
    ],
}

PASSED = {
    "blame_writer": [
        "这不是您的责任，给您添麻烦了，工程部明天上午上门维修。",
        "麻烦您明天上午在家，工程部维修师傅9点上门查看渗水情况。",
        "我们已通知施工单位，工程部将在3个工作日内上门复查。",
    ],
    "push_elsewhere": [
        "我们已将您的情况转交工程部，工程部将在3个工作日内答复您。",
        "您可自行联系我们的管家预约上门时间，管家电话贴在单元门公告栏。",
        "车位产权的问题由我们对接不动产登记中心，本周五前在本帖回复进展。",
    ],
    "excuse": [
        "外墙修补因连日降雨推迟，我们已调整工期，计划在6月10日前完成。",
        "经检测，您家的水质各项指标合格，检测报告已张贴在物业服务中心。",
        "回复晚了，非常抱歉，工程部明天上午上门。",
    ],
    "judge_writer": [
        "我们将加强员工素质培训，下周起每周一开展服务规范考核。",
        "非常理解您的心情，工程部明天上门查看。",
        "您反映的情况属实，我们深表歉意，维修将在本周内完成。",
    ],
    "vague_no_next_step": [
        "我们会尽快处理，3个工作日内给您答复。",
        "我们已安排维修师傅上门查看，届时会电话联系您。",
        "如有疑问，请尽快与我们联系，客服热线400-820-1234。",
    ],
    "overpromise": [
        "我们无法保证具体日期，但会在3日内告知进展。",
        "给您带来一定不便，敬请谅解，维修将于明天上午完成。",
        "定金和保证金将在解约后7个工作日内原路退回。",
        "这个问题不一定能马上解决，物业服务中心会在本周内约谈施工单位。",
        # honest refusals to promise, in the ways agents write them
        "入学资格由区教育局认定，我们无法作出保证，政策公布当天会转发到本帖。",
        "是否还会再漏，要等查清原因，我们不能随口保证，工程部明天上午上门。",
        "刮蹭没有人能完全保证不发生，保安从今晚起每小时巡查一次车库。",
        "钢化玻璃有极小的自爆概率，谁都没法绝对保证，换上的玻璃做过均质处理。",
        "说绝对不会再发生，我们做不到，但今晚起夜班会增加一次巡查。",
        "物业费调整要经过业主大会表决，我们无法单方面保证涨或不涨。",
        "面积误差比绝对值超过3%的，您有权退房。",
        "您好，我们绝对没有这个意思，让您有这样的感受，是我们说得不清楚。",
        "装修押金用来保证装修中损坏公共部位时有修复的费用，验收合格后退还。",
    ],
    "personal_data": [
        "已登记您的手机138****5678，工程部明天上门。",
        "如有疑问请拨打客服热线400-820-1234，工作日9:00-18:00有专人接听。",
        "张先生您好，工程部明天上午上门。",
        "3栋2单元的漏水问题，工程部明天上午上门。",
        "也可发送邮件至kefu@example.com，我们会在2个工作日内回复。",
    ],
}

GOOD_REPLIES = [
    "感谢您的反馈，给您带来的不便我们深表歉意。您反映的卫生间渗水问题已转交工程部，"
    "工程部维修人员将在3个工作日内上门查看，并提前电话联系您确认时间。",
    "您好，非常理解您的心情。关于物业费调整，物业服务中心将于本周五前在小区公告栏公示调整依据"
    "和测算明细，如有疑问可拨打客服热线400-820-1234。",
    "感谢您的建议！关于增设儿童游乐设施，我们已提交规划部评估，评估结果将在5月20日前在本帖回复。",
    "您好，经核实，您的房产证已办结，请您携带身份证原件和购房合同，于工作日9:00-17:30到售楼处领取。",
    "很抱歉让您久等了。外墙修补工程推迟，是我们安排不周，现已调整工期，计划在6月10日前完成，"
    "完工后项目部会张贴通知。",
    "给您添麻烦了，非常抱歉。电梯故障已于今天上午修复，维保单位明天将对全部电梯做一次检查，"
    "检查结果会在本帖同步。",
    "您好，车位租赁价格目前为每月300元，租期一年起。详情可在工作时间拨打物业服务中心电话咨询。",
    "非常抱歉，交房时发现的空鼓问题是我们的工作没有做到位。工程部已排期，将于本周六上午9点上门"
    "返修，届时管家会提前一天电话与您确认。",
    "谢谢您及时告诉我们地下车库积水的情况。物业已连夜抽水，排水泵将在48小时内更换，"
    "更换完成后我们会在本帖回复。",
    "您好，关于学校配建的问题，我们理解大家的关切。规划部正在与教育部门沟通，"
    "7月15日前会在本帖公布最新进展。",
    "感谢您的耐心。您的退款申请已审核通过，款项将在7个工作日内原路退回，到账后会有短信提醒。",
    "对于保安人员的态度问题，我们向您诚恳道歉。物业服务中心已对当班人员进行约谈，"
    "下周一起在岗亭张贴服务承诺和监督电话。",
    "您好，非常理解噪音给您带来的困扰。物业已约谈该装修户，施工时间限定在工作日8:00-12:00、"
    "14:00-18:00，如再有违规，请随时拨打物业值班电话，管家会在30分钟内到场处理。",
    "谢谢您的提醒！小区东门的路灯已于昨晚修复，我们也会把夜间巡查频次增加到每晚两次。",
    "您好，这个情况比较复杂，涉及您的个人合同信息，不方便在论坛公开说明。"
    "我们的客服专员会在今天下班前致电您，一对一为您解答。",
    "抱歉给您带来不好的体验。会员积分的问题已核实是我们的统计错误，积分将在3天内补发到您的账户。",
    "收到，非常感谢您的建议。绿化带补种的方案已交物业服务中心，计划本月底前完成补种。",
]


@pytest.mark.parametrize(
    ("rule", "text", "words"),
    [(rule, text, words) for rule, cases in CAUGHT.items() for text, words in cases],
)
def test_each_rule_catches_its_sentences(rule, text, words):
    assert_caught(text, rule, words, "warn" if rule == "excuse" else "block")


@pytest.mark.parametrize(
    ("rule", "text"), [(rule, text) for rule, cases in PASSED.items() for text in cases]
)
def test_each_rule_passes_near_misses(rule, text):
    assert hits(text, rule) == []


@pytest.mark.parametrize("text", GOOD_REPLIES)
def test_good_replies_have_no_findings(text):
    assert check_reply(text, meaning=False) == []


@pytest.mark.parametrize(
    ("text", "rule", "words"),
    [
        ("這不歸我們管。", "push_elsewhere", "不歸我們管"),
        ("您這是無理取鬧。", "judge_writer", "無理取鬧"),
        ("我們保證不會再漏水。", "overpromise", "保證"),
        ("我們會盡快處理。", "vague_no_next_step", "盡快處理"),
    ],
)
def test_traditional_characters_are_caught_with_original_spans(text, rule, words):
    assert_caught(text, rule, words)


def test_spans_point_into_the_text_as_written():
    # "㍿" becomes four characters under NFKC, the zero-width space disappears,
    # full-width digits become ASCII: the reported spans still fit the original text.
    text = "㍿回复：您这是无\u200b理取闹，电话１３８１２３４５６７８。"
    found = {f.rule: f for f in check_reply(text, meaning=False)}
    assert found["judge_writer"].excerpt == "无\u200b理取闹"
    assert found["personal_data"].excerpt == "１３８１２３４５６７８"
    for f in found.values():
        assert text[f.span[0] : f.span[1]] == f.excerpt


def test_findings_are_sorted_by_span():
    text = "我们会尽快处理。这不归我们管，这是您的责任，请不要无理取闹。"
    findings = check_reply(text, meaning=False)
    assert [f.rule for f in findings] == [
        "vague_no_next_step",
        "push_elsewhere",
        "blame_writer",
        "judge_writer",
    ]
    assert [f.span for f in findings] == sorted(f.span for f in findings)


def test_overlapping_phrases_make_one_finding():
    [f] = hits("修好以后肯定不会再出现裂缝。", "overpromise")
    assert f.excerpt == "肯定不会再出现"


def test_quoted_owner_words_are_not_the_agents_but_their_personal_data_is():
    text = '[quote="owner"]你们就是无理取闹，我电话13812345678[/quote]非常抱歉，工程部明天上门。'
    assert [f.rule for f in check_reply(text, meaning=False)] == ["personal_data"]


def test_reply_echoing_the_posts_own_details_is_caught():
    post = "我是3栋1502的业主王建国，座机0755-87654321，客服400-820-1234一直打不通！"
    name = hits("王建国您好，工程部明天上门。", "personal_data", post_raw=post)
    assert [f.excerpt for f in name] == ["王建国"]
    phone = hits("您留的座机0755 87654321已登记，工程部明天上门。", "personal_data", post_raw=post)
    assert [f.excerpt for f in phone] == ["0755 87654321"]
    # The company's own hotline, even when the owner quoted it, is not personal data.
    assert hits("热线400-820-1234已恢复，工程部明天上门。", "personal_data", post_raw=post) == []
    assert hits("王建国您好，工程部明天上门。", "personal_data") == []


def test_unfilled_placeholder_blocks():
    text = "感谢您的反馈。【待工程部补充：此处填写工程部的专业答复】工程部明天上门。"
    [f] = check_reply(text, meaning=False)
    assert (f.rule, f.severity) == ("unfilled_placeholder", "block")


def test_blocking_and_json_shape():
    warn_only = check_reply("由于人手不足回复晚了，非常抱歉，工程部明天上门。", meaning=False)
    assert [f.severity for f in warn_only] == ["warn"] and not blocking(warn_only)
    blocked = check_reply("这不归我们管。", meaning=False)
    assert blocking(blocked)
    assert finding_json(blocked[0]) == {
        "rule": "push_elsewhere",
        "severity": "block",
        "message": blocked[0].message,
        "span": [1, 6],
        "excerpt": "不归我们管",
    }
    assert not blocking([])


# --- the command line ---------------------------------------------------------------------------


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["lint-reply", *args], input=input, catch_exceptions=False)


def test_jsonl_one_line_out_per_line_in():
    lines = [
        {"text": "這不歸我們管"},
        {"text": "非常抱歉，工程部明天上午上门。"},
        {"text": "由于人手不足回复晚了，工程部明天上门。"},
        {"text": "王建国您好，工程部明天上门。", "post_raw": "本人王建国，楼上漏水"},
    ]
    result = run("--jsonl", "-", input="".join(json.dumps(x) + "\n" for x in lines))
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["ok"] for o in out] == [False, True, True, False]
    pushed = {f["rule"]: f for f in out[0]["findings"]}
    assert pushed["push_elsewhere"]["span"] == [1, 6]
    assert out[1]["findings"] == []
    assert out[2]["findings"][0]["severity"] == "warn"
    assert out[3]["findings"][0]["rule"] == "personal_data"
    assert set(out[0]["findings"][0]) >= {"rule", "severity", "message", "span"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"text": "好的，明天上午十点前回复您"}\nnot json\n', "not JSON"),
        ('{"text": "好的，明天上午十点前回复您"}\n{"post_raw": "x"}\n', "'text' is required"),
        ('{"text": "好的，明天上午十点前回复您"}\n["text"]\n', "expected a JSON object"),
        ('{"text": "好的，明天上午十点前回复您"}\n\n', "empty line"),
        (
            '{"text": "好的，明天上午十点前回复您"}\n{"text": "好的", "post_raw": 5}\n',
            "'post_raw' must be a string",
        ),
    ],
)
def test_bad_jsonl_line_is_answered_in_place(content, message):
    result = run("--jsonl", "-", input=content)
    assert result.exit_code == 1
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["ok"] is True
    assert second["line"] == 2 and message in second["error"]


def test_text_for_a_person():
    blocked = run("这不归我们管，请您自己去找施工单位。")
    assert blocked.exit_code == 1
    assert "阻止 [push_elsewhere]" in blocked.output and "「不归我们管」" in blocked.output
    warned = run("由于人手不足回复晚了，非常抱歉，工程部明天上门。")
    assert warned.exit_code == 0 and "提醒 [excuse]" in warned.output
    clean = run("非常抱歉，工程部明天上午上门。")
    assert clean.exit_code == 0 and "未发现问题" in clean.output
    echoed = run("王建国您好，工程部明天上门。", "--post", "本人王建国，楼上漏水")
    assert echoed.exit_code == 1 and "「王建国」" in echoed.output


def test_needs_text_or_jsonl():
    assert run().exit_code == 2


def test_a_rule_from_the_knowledge_base_passes_and_a_made_up_one_is_blocked():
    """A rule stated in the centre's own approved answers is not a made-up policy; an
    unsourced rule used to refuse the owner is."""
    stated = (
        "您好，感谢来信。群租按规定是禁止的。"
        "如发现群租，请拨打客服热线，我们会在两个工作日内上门核实。"
    )
    assert not blocking(check_reply(stated))
    made_up = "您好，感谢来信。按公司规定，超过三个月的墙面空鼓不在维修范围内，请您谅解。"
    findings = check_reply(made_up)
    assert blocking(findings)
    assert any(f.rule == "meaning_made_up_policy" and "规定" in f.excerpt for f in findings)


def test_the_centres_own_template_sentences_are_not_second_guessed(tmp_path):
    """A sentence of the reply templates is approved wording: the model's reading of it does
    not block a draft (it once took "希望以上说明对您有帮助。" for judging the owner), and a
    new template sentence counts as soon as its file is saved."""
    from forumbot.drafting.checker_model import approved_wording

    assert approved_wording("希望以上说明对您有帮助。")
    draft = (
        "您好，物业费可以在业主App的“缴费”页面在线缴纳，也可以到物业服务中心刷卡。"
        "希望以上说明对您有帮助。"
    )
    assert not blocking(check_reply(draft))
    (tmp_path / "closing.toml").write_text(
        '[parts]\nclosing = ["这样解释您看明白了吗？{{ name }}随时找我们。"]\n', encoding="utf-8"
    )
    assert approved_wording("这样解释您看明白了吗？", templates=tmp_path)
    assert not approved_wording("这么简单的事您都看不明白吗？", templates=tmp_path)
