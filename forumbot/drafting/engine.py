"""Turn a labelled post into a draft plan: the style, the department, the knowledge-base
match, the reply text (or the moderator proposal), and a holding reply while a department
prepares its answer. Pure: data in, plan out; the drafter job stores it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from forumbot.classify.normalize import clean
from forumbot.drafting.knowledge import KnowledgeBase, KnowledgeMatch
from forumbot.drafting.policy import StyleDecision, choose_style
from forumbot.drafting.reading import Reading, department_brief, read_post, restatement
from forumbot.drafting.resources import Department, DraftingResources, load_resources
from forumbot.drafting.styles import search_text
from forumbot.drafting.templates import ReplyTemplates
from forumbot.textsafety import neutralise

PLACEHOLDER = "【待{department}补充：此处填写{department}的专业答复】"
LABEL_TOPIC_ZH = {
    "engineering": "工程",
    "planning": "规划",
    "sales": "销售",
    "property_management": "物业管理",
    "service": "客户服务",
    "inquiry": "咨询",
}
# A dispute about a price is not a trouble we caused: no apology for "the inconvenience".
PRICE_DISPUTE = re.compile(r"房价|降价|差价|单价|总价|优惠|打折|涨价|价格|团购价|特价")
MIN_ROUTING_SCORE = 0.15  # below the answer threshold, still good enough to pick a department
ABUSE_PROPOSAL = (
    "建议将此帖标记为不当内容（恶意漫骂，无可处理的具体事项），由版主确认后隐藏。"
    "帖子内容不作公开回复。"
)


@dataclass(frozen=True)
class PostView:
    forum_post_id: int
    raw: str
    title: str | None
    post_number: int
    username: str
    # The kind of danger the post reports (forumbot.classify.danger_rules), or None.
    urgent_kind: str | None = None


@dataclass(frozen=True)
class DraftPlan:
    label: str
    style: str | None
    kind: str  # "reply", "flag" (a proposal to moderators) or "none"
    text: str | None
    state: str | None
    decision: StyleDecision | None = None
    department: Department | None = None
    kb: KnowledgeMatch | None = None  # the closest entry, matched or not
    kb_matched: bool = False
    holding: str | None = None
    notes: list[str] = field(default_factory=list)
    # An urgent plan's first reply (the holding reply, or the reply itself) is due within
    # this many hours instead of the usual first-reply target.
    urgent_hours: float | None = None
    # ... and the department's request within this many hours.
    urgent_department_hours: float | None = None
    # What the department is told of the matter (forumbot.drafting.reading), for its request.
    brief: str | None = None


class Drafter:
    def __init__(
        self,
        resources: DraftingResources | None = None,
        templates: ReplyTemplates | None = None,
        kb_threshold: float = 0.4,
        urgent_hours: float = 2.0,
        urgent_department_hours: float = 8.0,
    ):
        self.urgent_hours = urgent_hours
        self.urgent_department_hours = urgent_department_hours
        self.resources = resources or load_resources()
        self.templates = templates or ReplyTemplates()
        self.kb = KnowledgeBase(self.resources.knowledge, kb_threshold)
        # Built now, not at the first question: a running bot (and a restart after a crash)
        # should pay the second or so while starting, not in the middle of its first round.
        self.kb.index  # noqa: B018
        # Which version of the files this drafter was built from (set by ResourceStore).
        self.revision: str | None = None

    def context(self, post: PostView, label: str, department: Department | None) -> dict[str, Any]:
        contact = self.resources.contact
        # Forum names and titles go into a published reply: no bidirectional controls.
        title = neutralise(post.title or "").strip()
        return {
            "author": neutralise(post.username),
            "topic": title,
            "topic_ref": f"“{title}”" if title else "",
            "label_zh": LABEL_TOPIC_ZH.get(label, ""),
            "apologise": label != "inquiry" and not PRICE_DISPUTE.search(clean(post.raw)),
            "department": department.name if department else "",
            "response_days": department.response_days if department else 0,
            "due_phrase": f"{department.response_days}个工作日内" if department else "",
            "kb_answer": "",
            "department_answer": "",
            "hotline": contact.hotline,
            "service_hours": contact.service_hours,
            "email": contact.email,
            "office": contact.office,
            "private_message_hint": contact.private_message_hint,
            "promise": "",
            "promised_on": "",
            "emergency_line": contact.emergency_line or contact.hotline,
            "matter": "",
            "safety_advice": "",
            "opening": "",
            "action": "",
            "restated": "",
            "questions_line": "",
        }

    def urgent_reply(self, post: PostView, label: str, department: Department | None) -> str:
        """The first reply to a report of danger: acting now, how to stay safe, a call-back
        today, the 24-hour line. No cause, fault or compensation: the facts are not in."""
        ctx = self.context(post, label, department)
        title = neutralise(post.title or "").strip()
        own = " ".join(neutralise(clean(post.raw)).split())
        ctx["matter"] = title if title and post.post_number <= 1 else own[:40]
        tables = self.templates.tables.get("urgent", {})
        kind = post.urgent_kind or ""
        advice = tables.get("advice", {})
        ctx["safety_advice"] = advice.get(kind, advice.get("default", ""))
        ctx["opening"] = tables.get("opening", {}).get(kind, "")
        ctx["action"] = tables.get("action", {}).get(kind, "")
        return self.templates.render("urgent", ctx, f"{post.forum_post_id}:urgent")

    def _department(self, label: str, best: KnowledgeMatch | None) -> Department:
        if label == "inquiry" and best is not None and best.score >= MIN_ROUTING_SCORE:
            return self.resources.departments.get(
                best.entry.department, self.resources.department_for(label)
            )
        return self.resources.department_for(label)

    def plan(
        self, post: PostView, label: str, style: str | None = None, department: str | None = None
    ) -> DraftPlan:
        """Plan the draft for a post; ``style`` and ``department`` (a code) force a reviewer's
        choice of style and of the department that owns the matter."""
        if label == "abuse":
            return DraftPlan(label, None, "flag", ABUSE_PROPOSAL, "pending_approval")
        if label in ("empty", "unrelated"):
            return DraftPlan(label, None, "none", None, None)
        text = clean(post.raw)
        best = self.kb.best(search_text(post.raw, post.title, post.post_number))
        matched = self.kb.answers(best)
        decision = choose_style(
            label,
            text,
            kb_matched=matched,
            defaults=self.resources.defaults,
            rules=self.resources.rules,
        )
        assert decision is not None
        if style is not None:
            decision = StyleDecision(style, "reviewer", "审核人选择的回复方式")
        owner = self._department(label, best)
        if department is not None:
            owner = self.resources.departments[department]
        ctx = self.context(post, label, owner)
        reading = self.read(post, ctx, decision.style)
        seed = str(post.forum_post_id)
        notes = [] if matched else ["知识库中没有足够接近的条目"]
        if decision.style == "direct_answer":
            if not matched or best is None:
                notes.append("直接回答需要知识库条目；请补充答复内容或改为专业类回复")
                ctx["kb_answer"] = PLACEHOLDER.format(department=owner.name)
            else:
                ctx["kb_answer"] = best.entry.answer
            reply = self.templates.render("direct_answer", ctx, seed)
            state = "pending_approval"
            holding = None
        elif decision.style == "specialist":
            ctx["department_answer"] = PLACEHOLDER.format(department=owner.name)
            reply = self.templates.render("specialist", ctx, seed)
            state = "awaiting_specialist"
            holding = self.templates.render("holding", ctx, seed)
        else:
            reply = self.templates.render(decision.style, ctx, seed)
            state = "pending_approval"
            holding = None
        urgent_hours = None
        if post.urgent_kind:
            # Danger first: the reply the agent sees at once is the urgent one (for a
            # specialist matter it replaces the holding reply; the department still answers).
            urgent_hours = self.urgent_hours
            notes.insert(0, "紧急：涉及人身安全，先发出紧急回复并当天回电")
            if state == "awaiting_specialist":
                holding = self.urgent_reply(post, label, owner)
            else:
                reply = self.urgent_reply(post, label, owner)
        return DraftPlan(
            label,
            decision.style,
            "reply",
            reply,
            state,
            decision,
            owner,
            best,
            matched,
            holding,
            notes,
            urgent_hours,
            self.urgent_department_hours if urgent_hours is not None else None,
            department_brief(reading) if state == "awaiting_specialist" else None,
        )

    @staticmethod
    def read(post: PostView, ctx: dict[str, Any], style: str | None) -> Reading:
        """Fill the template values that make the reply this owner's: ``restated`` (their
        matter, where, since when, in their words) and ``questions_line`` (each question
        they asked, with who answers it and when)."""
        reading = read_post(post.raw, post.title, post.post_number)
        ctx["restated"] = restatement(reading, question=ctx["label_zh"] == "咨询")
        if reading.questions and style != "direct_answer":
            asked = "、".join(f"“{q}”" for q in reading.questions)
            who = ctx["department"] or "我们"
            when = ctx["due_phrase"] or "尽快"
            where = "在一对一沟通时答复您" if style == "redirect_private" else "一并在本帖答复"
            ctx["questions_line"] = f"您问到的{asked}，{who}核实后会在{when}{where}。"
        return reading

    def with_department_answer(
        self, post: PostView, label: str, answer: str, department: Department
    ) -> str:
        """The unified specialist reply once the department has supplied its answer."""
        ctx = self.context(post, label, department)
        ctx["department_answer"] = answer.strip()
        self.read(post, ctx, "answered")
        ctx["questions_line"] = ""  # the department's answer is the answer
        return self.templates.render("specialist", ctx, str(post.forum_post_id))

    def followup(self, post: PostView, label: str, promise: str, promised_on: str) -> str:
        ctx = self.context(post, label, self.resources.department_for(label))
        ctx["promise"], ctx["promised_on"] = promise, promised_on
        return self.templates.render("followup", ctx, f"{post.forum_post_id}:followup")

    def satisfaction(self, post: PostView, label: str, answered_on: str) -> str:
        """The question "is it solved, are you satisfied?" some days after our answer."""
        ctx = self.context(post, label, self.resources.department_for(label))
        ctx["answered_on"] = answered_on
        return self.templates.render("satisfaction", ctx, f"{post.forum_post_id}:satisfaction")
