"""Drafting: the style policy on the seed's examples, templates as data, the knowledge base,
the department round trip, and the drafts the templates make passing the reply checker."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forumbot.cases import drafts as case_drafts
from forumbot.cases.drafts import DraftRef, ReviewError
from forumbot.cases.jobs import DraftingJob, FollowUpJob
from forumbot.cases.redraft import answer_request, relabel, restyle
from forumbot.classify.labels import VALID_LABELS
from forumbot.drafting.checker import blocking, check_reply
from forumbot.drafting.engine import PLACEHOLDER, Drafter, PostView
from forumbot.storage.models import Classification, DepartmentRequest, Draft, FollowUp, utcnow


@pytest.fixture(scope="module")
def drafter():
    return Drafter()


def view(raw, title="", number=1, pid=101):
    return PostView(pid, raw, title, number, "zhang_wei88")


SEED_CASES = [
    # The four example posts of the forum's own scheme (seed 004), and each in other words.
    (
        "inquiry",
        "发现最近账单上扣的维修金越来越多了",
        "发现最近账单上扣的维修金越来越多了，这个维修金是按什么算的？",
        "direct_answer",
    ),
    (
        "inquiry",
        "物业账单里的维修基金",
        "请问每个月物业账单里那笔维修基金是怎么计算的，为什么跟去年不一样？",
        "direct_answer",
    ),
    (
        "engineering",
        "花城海棠苑水压太小的问题",
        "花城海棠苑12栋高层水压太小了，早上洗澡水都上不来。",
        "specialist",
    ),
    (
        "engineering",
        "高层水压不够",
        "我们18楼一到晚上水龙头就只有细细一股水，热水器都打不着火。",
        "specialist",
    ),
    (
        "property_management",
        "保安无故殴打业主，强烈要求严惩？",
        "昨晚回小区，保安无故殴打业主，我爸被推倒在地，强烈要求严惩！",
        "interactive",
    ),
    (
        "property_management",
        "门岗保安动手打人",
        "今天下午东门的保安跟我邻居起争执，直接动手把人打伤了，这还有王法吗",
        "interactive",
    ),
    (
        "sales",
        "关于领取车位销售发票的投诉？",
        "车位去年就付清了，到现在还领不到车位销售发票，问了几次都说等通知。",
        "redirect_private",
    ),
    (
        "sales",
        "买车位的发票一直不给",
        "我买的地下车位款早就交了，发票拖了半年还没开给我，合同上写得清清楚楚。",
        "redirect_private",
    ),
]


@pytest.mark.parametrize(("label", "title", "raw", "style"), SEED_CASES)
def test_seed_examples_get_the_seeds_style(drafter, label, title, raw, style):
    plan = drafter.plan(view(raw, title), label)
    assert plan.style == style, (plan.decision, plan.kb)


def test_direct_answer_uses_the_knowledge_base(drafter):
    plan = drafter.plan(view("请问物业账单上的维修金是怎么计算的？", "维修金怎么算"), "inquiry")
    assert plan.kb_matched and plan.kb.score >= drafter.kb.threshold
    assert plan.kb.entry.answer[:20] in plan.text
    assert plan.state == "pending_approval"


def test_no_knowledge_base_match_is_said_plainly(drafter):
    plan = drafter.plan(view("小区东边那条河晚上能不能钓鱼呀", "钓鱼"), "inquiry")
    assert not plan.kb_matched
    assert "知识库中没有足够接近的条目" in plan.notes


def test_specialist_waits_for_department_with_a_holding_reply(drafter):
    plan = drafter.plan(
        view("3栋2单元1502卫生间渗水到楼下了，报修两次没人来", "渗水"), "engineering"
    )
    assert plan.state == "awaiting_specialist" and plan.department.code == "engineering"
    assert PLACEHOLDER.format(department=plan.department.name) in plan.text
    assert plan.holding and plan.department.name in plan.holding
    assert f"{plan.department.response_days}个工作日" in plan.holding


def test_invalid_posts(drafter):
    assert drafter.plan(view("垃圾公司！！！"), "abuse").kind == "flag"
    for label in ("empty", "unrelated"):
        plan = drafter.plan(view("顶"), label)
        assert plan.kind == "none" and plan.text is None


@pytest.mark.parametrize(
    "attack", ["{{ 7*7 }}", "{% for x in y %}{% endfor %}", "{{ ''.__class__.__mro__ }}"]
)
def test_forum_text_is_data_not_template(drafter, attack):
    texts = []
    for pid in range(30):
        plan = drafter.plan(PostView(pid, f"漏水 {attack}", attack, 1, attack), "engineering")
        texts += [plan.text, plan.holding]
    assert not any("49" in t or "object" in t for t in texts)
    assert any(attack in t for t in texts), "the title is quoted somewhere, literally"


def test_title_with_template_code_is_shown_literally(drafter):
    title = "{{ 7*7 }} 电梯坏了"
    texts = [
        drafter.plan(PostView(i, "电梯又坏了", title, 1, "u"), "property_management").text
        for i in range(30)
    ]
    shown = [t for t in texts if "电梯坏了" in t]
    assert all("{{ 7*7 }}" in t for t in shown)


def test_replies_in_one_topic_do_not_read_alike(drafter):
    texts = {
        drafter.plan(view("楼上漏水", "漏水", 2, pid), "engineering").holding
        for pid in range(200, 210)
    }
    assert len(texts) >= 6


@pytest.mark.parametrize("label", VALID_LABELS)
def test_template_drafts_pass_the_checker(drafter, label):
    answer = "经核实，相关设施已列入本周维修计划，维修班组将于周四上午到场处理。"
    for pid in range(40):
        post = view("小区里的问题已经拖了很久了", "问题", 1, pid)
        plan = drafter.plan(post, label)
        texts = [plan.holding]
        if plan.state == "awaiting_specialist":
            texts.append(drafter.with_department_answer(post, label, answer, plan.department))
        else:
            texts.append(plan.text)
        for text in filter(None, texts):
            findings = check_reply(text)
            assert not blocking(findings), (text, findings)


def test_department_round_trip(sessions, make_post, drafter):
    with sessions() as s:
        post = make_post(s)
        s.add(Classification(post_id=post.id, label="engineering", source="model", confidence=0.9))
        post.stage = "labelled"
        s.commit()
    assert DraftingJob(sessions, drafter).run_once() == 1
    with sessions() as s:
        drafts = s.scalars(select(Draft).order_by(Draft.id)).all()
        assert [(d.state, d.style) for d in drafts] == [
            ("awaiting_specialist", "specialist"),
            ("pending_approval", "holding"),
        ]
        request = s.scalars(select(DepartmentRequest)).one()
        assert request.department.code == "engineering" and request.due_at > utcnow()
        with pytest.raises(ReviewError):
            case_drafts.approve(s, DraftRef(drafts[0].id), actor="王小明")
        answer = "经现场查看，渗水来自楼上卫生间防水层破损，工程部已安排维修班组于本周四上门修复。"
        draft = answer_request(s, request.id, answer, actor="工程部-刘工", drafter=drafter)
        assert draft.state == "pending_approval" and answer in draft.text
        assert "【待" not in draft.text
        s.commit()


def test_relabel_records_a_correction_and_redrafts(sessions, make_post, drafter):
    with sessions() as s:
        post = make_post(s, raw="请问车位月租是怎么定价的？", topic_title="车位月租")
        s.add(Classification(post_id=post.id, label="sales", source="model", confidence=0.5))
        post.stage = "labelled"
        s.commit()
    DraftingJob(sessions, drafter).run_once()
    with sessions() as s:
        post = s.scalars(select(Draft)).first().post
        relabel(s, post, "inquiry", actor="王小明", drafter=drafter, reason="只是咨询")
        s.commit()
        labels = s.scalars(select(Classification).where(Classification.source == "reviewer"))
        assert [c.label for c in labels] == ["inquiry"]
        states = [d.state for d in s.scalars(select(Draft).order_by(Draft.id))]
        assert states.count("superseded") >= 1 and states[-1] in (
            "pending_approval",
            "awaiting_specialist",
        )


def test_restyle_redoes_the_draft(sessions, make_post, drafter):
    with sessions() as s:
        post = make_post(s, raw="电梯困人半小时，物业迟迟不来", topic_title="电梯困人")
        s.add(
            Classification(
                post_id=post.id, label="property_management", source="model", confidence=0.9
            )
        )
        post.stage = "labelled"
        s.commit()
    DraftingJob(sessions, drafter).run_once()
    with sessions() as s:
        first = s.scalars(select(Draft).order_by(Draft.id)).first()
        [new_id] = restyle(s, DraftRef(first.id), "interactive", actor="王小明", drafter=drafter)
        s.commit()
        assert case_drafts.get_draft(s, first.id).state == "superseded"
        assert case_drafts.get_draft(s, new_id).style == "interactive"


def test_checker_blocks_approval_unless_overridden(sessions, make_post):
    with sessions() as s:
        post = make_post(s)
        d = case_drafts.write_draft(s, post, "这不归我们管，请您自己去找开发商。", actor="李娜")
        with pytest.raises(ReviewError, match="回复检查未通过"):
            case_drafts.approve(s, DraftRef(d.id), actor="王小明")
        case_drafts.approve(
            s, DraftRef(d.id), actor="王小明", override="业主要求的原话引用，经主管同意"
        )
        from forumbot.storage import audit

        last = audit.history(s, d.id)[-1]
        assert last.action == "approve_override" and "主管同意" in last.reason


def test_published_promise_becomes_a_followup_draft_when_due(sessions, make_post, drafter):
    from datetime import timedelta

    from forumbot.publish.publisher import record_promises

    with sessions() as s:
        post = make_post(s)
        d = case_drafts.write_draft(
            s, post, "感谢反馈，工程部将于3个工作日内上门查看渗水情况。", actor="李娜"
        )
        assert record_promises(s, d) == 1
        s.commit()
        f = s.scalars(select(FollowUp)).one()
        assert f.due_at > utcnow() and "3个工作日内" in f.excerpt
        f.due_at = utcnow() - timedelta(minutes=1)
        s.commit()
    assert FollowUpJob(sessions, drafter).run_once() == 1
    with sessions() as s:
        f = s.scalars(select(FollowUp)).one()
        assert f.state == "drafted"
        follow = case_drafts.get_draft(s, f.followup_draft_id)
        assert follow.state == "pending_approval" and follow.style == "followup"


def test_edited_post_is_redrafted_and_old_drafts_superseded(sessions, make_post, drafter):
    from forumbot.intake.parse import parse_post
    from forumbot.intake.store import store_posts

    with sessions() as s:
        post = make_post(s, raw="电梯困人半小时，物业迟迟不来", topic_title="电梯困人")
        s.add(
            Classification(
                post_id=post.id, label="property_management", source="model", confidence=0.9
            )
        )
        post.stage = "labelled"
        s.commit()
    DraftingJob(sessions, drafter).run_once()
    edited = parse_post(
        {
            "id": 1001,
            "username": "zhang_wei88",
            "raw": "电梯困人半小时，我家老人吓坏了，物业迟迟不来",
            "topic_id": 77,
            "post_number": 1,
            "version": 2,
            "topic_title": "电梯困人",
        },
        bot_username="forumbot",
    )
    with sessions() as s:
        store_posts(s, [edited])
        post = s.scalars(select(Draft)).first().post
        assert post.stage == "received"
        s.add(
            Classification(
                post_id=post.id, label="property_management", source="model", confidence=0.9
            )
        )
        post.stage = "labelled"
        s.commit()
    DraftingJob(sessions, drafter).run_once()
    with sessions() as s:
        drafts = s.scalars(select(Draft).order_by(Draft.id)).all()
        open_drafts = [d for d in drafts if d.state not in ("superseded",)]
        assert all(d.post_version == 2 for d in open_drafts) and open_drafts
        assert any(d.state == "superseded" for d in drafts)


def test_kept_promise_closes_its_followup(sessions, make_post, drafter):
    from datetime import timedelta

    from forumbot.publish.publisher import record_promises

    with sessions() as s:
        post = make_post(s)
        holding = case_drafts.write_draft(
            s, post, "我们已请工程部核实，他们会在3个工作日内给您答复。", actor="李娜"
        )
        record_promises(s, holding)
        answer = case_drafts.write_draft(s, post, "经工程部核实，渗水已于今日修复。", actor="李娜")
        answer.state, answer.published_at = "published", utcnow() + timedelta(seconds=1)
        f = s.scalars(select(FollowUp)).one()
        f.due_at = utcnow() - timedelta(minutes=1)
        s.commit()
    assert FollowUpJob(sessions, drafter).run_once() == 0  # nothing to draft: it was kept
    with sessions() as s:
        assert s.scalars(select(FollowUp)).one().state == "closed"
        assert s.scalars(select(Draft).where(Draft.style == "followup")).first() is None
