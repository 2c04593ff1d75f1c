"""Console load benchmark: the agents' case queue and case pages over 100,000 cases, on SQLite
and on PostgreSQL, under an open-loop load (requests arriving at a fixed rate, as agents'
clicks do) and, for comparison, a closed loop (agents that never pause).

The database holds 100,000 cases as forumbot.cases files them: each opened by an owner's post
in a topic (now and then a second owner's case in the same topic), with neighbours' "+1"
posts (supporters), the owner's own updates and bystanders' chatter; most answered, resolved
or closed long ago (published replies, answered department requests, satisfaction questions),
about 7% open with one reply waiting for approval, about 2% waiting for a department (an open
department request, a holding reply); incidents of 2-6 cases; one label per post and the audit
rows the product writes. Owners come back: many have earlier cases, some of them repeats.

`forumbot serve` (waitress, 4 threads) runs in its own process, as in production; the load
generator runs in another process (multiprocessing, spawn), not in the server's interpreter.
First each kind of page is loaded a few times one at a time (what a page costs with nothing
else running). Open loop: arrivals are a Poisson process at a fixed rate, each request sent
at its scheduled time whatever happened to earlier ones (a pool of 64 worker threads), its
latency counted from the scheduled time; the mix is the queue (45%, now and then filtered or
paged), case pages (40%, mostly cases in the queue) and draft pages (15%, `/drafts/<id>`, the
case page with that draft in front). A step passes when queue and case pages keep p95 under
150 ms with no errors. The rate doubles from 1 req/s until the server saturates (the backlog
runs away, or the median waits a second) or the backend's time is up; the highest passing
rate is reported (null: none passed). Closed loop: N agents request the same mix back to
back; its throughput is the console's capacity, its latency only the queue in front of two
busy cores. Fifty agents approving 200 replies a day each, a queue page and a case page per
approval, make 0.69 req/s over an 8-hour day (about 2 in a peak hour three times as busy):
an open load, so they see the open-loop figures at those rates, not the closed loop's.

    python bench/console_load.py [--backends sqlite,postgresql] [--cases 100000]
        [--rates 1,2,4,8,16,32,64] [--step-seconds 15] [--load-seconds 95] [--max-seconds 270]
        [--agents 20] [--closed-seconds 10] [--threads 4] [--workers 64] [--seed 5]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

SQLite is a fresh file in a temporary folder; PostgreSQL a fresh schema, dropped at the end.
Progress goes to stderr; the last line on stdout is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import multiprocessing
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import Connection, Engine, text

from forumbot.cases.writing import sync_departments
from forumbot.classify.labels import DEFAULT_STYLE, VALID_LABELS
from forumbot.corpus import load_split
from forumbot.drafting.resources import load_departments
from forumbot.paths import CONFIG_DIR, PROJECT_ROOT
from forumbot.storage.database import make_engine, migrate, scratch_schema, session_factory
from forumbot.storage.models import (
    AuditEntry,
    Case,
    Classification,
    DepartmentRequest,
    Draft,
    Incident,
    Post,
    User,
    UTCDateTime,
)
from forumbot.web.users import add_user

GOAL_P95_MS = 150
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BATCH = 5000
PASSWORD = "bench-agent-password-2026"
MODEL_VERSION = "2026.11.23-3"
# The fifty-agent estimate: approvals per agent per working day, pages per approval (the
# queue, then the case page), the working day, and how much busier the busiest hour is.
FIFTY_AGENTS = 50
APPROVALS_PER_DAY = 200
PAGES_PER_APPROVAL = 2
WORKDAY_HOURS = 8
PEAK_FACTOR = 3
# The page mix: what share of arrivals is a queue page, a case page, a draft page.
MIX = (("queue", 0.45), ("case", 0.40), ("draft", 0.15))
LABEL_DEPARTMENT = {
    "engineering": "engineering",
    "planning": "planning",
    "sales": "sales",
    "property_management": "property",
    "service": "service",
    "inquiry": "service",
}
COMMUNITIES = (
    "翠湖花园",
    "金色家园",
    "阳光水岸",
    "锦绣华庭",
    "滨江一号",
    "香榭里花园",
    "龙湖春天",
    "绿城桂语",
    "万科城",
    "保利香槟",
    "碧桂园凤凰城",
    "融创壹号院",
    "中海国际社区",
    "华润二十四城",
)
SUPPORT_TEXTS = (
    "+1",
    "同问",
    "顶",
    "我家也是",
    "我家也是这样，楼主有消息了说一声",
    "同样的问题",
    "坐等回复",
    "附议",
    "同求解决",
    "我们家也一样",
)
UPDATE_TEXTS = (
    "补充一下：今天又漏了，客厅墙面也开始发霉。",
    "已经过去三天了，什么时候来修？",
    "补充照片：裂缝比上周更长了。",
    "物业说要等工程部，工程部说找物业，到底谁管？",
    "今天上午又打了客服电话，还是没有人联系我。",
)
CHATTER_TEXTS = (
    "楼主可以直接打12345投诉。",
    "建议楼主先拍照留证据。",
    "这个小区去年也出过类似的事。",
    "楼主可以找街道办反映一下。",
)
REPLY_PARTS = (
    (
        "您好，感谢您在论坛反映情况，也感谢您对我们工作的监督。",
        "业主您好，您反映的问题我们已经收到，谢谢您的耐心。",
        "您好，看到您的帖子后我们第一时间联系了相关部门。",
    ),
    (
        "给您的生活带来了不便，我们深表歉意。",
        "这件事拖了这么久，确实是我们的工作没有做到位，向您道歉。",
        "对于之前答复不及时的情况，我们诚恳地向您致歉。",
    ),
    (
        "经工程部现场查看，漏水原因是楼上卫生间防水层老化，维修人员将于本周内上门处理，"
        "维修期间如需进入您家中，会提前与您电话预约时间。",
        "关于您提到的物业费问题，收费标准以合同附件及物价部门备案价格为准，"
        "具体明细可以到物业服务中心前台查阅，也可以让管家上门为您逐项说明。",
        "交房时间调整的原因是配套市政管线接入延后，目前施工单位正在加紧推进，"
        "销售部会在确定新的交付日期后第一时间书面通知每一位业主。",
        "小区北门的照明和监控问题已列入本月整改计划，物业公司会在完成后在公告栏公示。",
    ),
    (
        "处理进展我们会在本帖继续更新。",
        "如果三个工作日内还没有人联系您，请直接拨打客服热线 400-800-1234。",
        "您也可以私信我们留下联系方式，我们安排专人跟进。",
    ),
    ("再次感谢您的反馈！", "祝您生活愉快。", "我们会持续关注，直到问题解决。"),
)
HOLDING_TEXT = "您好，您反映的问题已转交{dept}，将于{days}个工作日内答复，请您耐心等待。"
SATISFACTION_TEXT = "您好，之前反映的问题现在解决了吗？您对处理结果是否满意？欢迎在本帖回复。"


# ---------------------------------------------------------------- seeding


@dataclass
class Rows:
    """Every table's rows, ready for Core inserts, and what the load needs to know of them."""

    posts: list[dict[str, Any]] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    drafts: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    queue_cases: list[int] = field(default_factory=list)  # cases with a reply waiting
    queue_drafts: list[int] = field(default_factory=list)  # the replies waiting
    old_cases: list[int] = field(default_factory=list)
    old_drafts: list[int] = field(default_factory=list)

    def tables(self) -> list[tuple[Any, list[dict[str, Any]]]]:
        """Each table with its rows, in an order the foreign keys accept."""
        return [
            (Post.__table__, self.posts),
            (Classification.__table__, self.labels),
            (Incident.__table__, self.incidents),
            (Case.__table__, self.cases),
            (Draft.__table__, self.drafts),
            (DepartmentRequest.__table__, self.requests),
            (AuditEntry.__table__, self.audit),
        ]

    def counts(self) -> dict[str, Any]:
        states: dict[str, int] = {}
        for c in self.cases:
            states[c["state"]] = states.get(c["state"], 0) + 1
        return {
            "cases": len(self.cases),
            "case_states": states,
            "posts": len(self.posts),
            "drafts": len(self.drafts),
            "pending_approval": sum(d["state"] == "pending_approval" for d in self.drafts),
            "department_requests": len(self.requests),
            "incidents": len(self.incidents),
            "in_incidents": sum(c["incident_id"] is not None for c in self.cases),
            "audit": len(self.audit),
        }


def reply_text(rng: random.Random) -> str:
    parts = [rng.choice(REPLY_PARTS[0])]
    if rng.random() < 0.6:
        parts.append(rng.choice(REPLY_PARTS[1]))
    parts.extend(rng.sample(REPLY_PARTS[2], rng.choice((1, 1, 2))))
    parts.extend(rng.choice(p) for p in REPLY_PARTS[3:])
    return "\n\n".join(parts)


def stored_times(table: Any, rows: list[dict[str, Any]]) -> None:
    """Datetimes (naive UTC) as both databases take them from the driver, and as SQLAlchemy
    writes them into SQLite: ``YYYY-MM-DD HH:MM:SS.ffffff``."""
    names = [c.name for c in table.c if isinstance(c.type, UTCDateTime)]
    for row in rows:
        for name in names:
            if row.get(name) is not None:
                row[name] = row[name].isoformat(" ", "microseconds")


def case_age(rng: random.Random, fraction: float) -> timedelta:
    """How long ago the case at ``fraction`` of the id range (0 oldest) was opened: 85% over
    the last year, 7% in the 11 days before the last three, 8% in the last three days."""
    if fraction < 0.85:
        return timedelta(days=14 + 351 * (0.85 - fraction) / 0.85)
    if fraction < 0.92:
        return timedelta(days=3 + 11 * (0.92 - fraction) / 0.07)
    return timedelta(days=3 * (1 - fraction) / 0.08) + timedelta(minutes=rng.uniform(1, 20))


def case_state(rng: random.Random, age: timedelta) -> str:
    roll = rng.random()
    if age < timedelta(days=3):
        return "open" if roll < 0.84 else "waiting_department" if roll < 0.97 else "answered"
    if age < timedelta(days=14):
        if roll < 0.12:
            return "waiting_department"
        if roll < 0.16:
            return "open"  # reopened: the owner wrote again after our answer
        return "answered" if roll < 0.6 else "resolved" if roll < 0.88 else "closed"
    return "resolved" if roll < 0.45 else "unresolved" if roll < 0.5 else "closed"


class Builder:
    """Builds the rows of ``n`` cases in id order (oldest first), deterministically."""

    def __init__(self, n: int, departments: dict[str, tuple[int, str, int]], seed: int) -> None:
        self.n = n
        self.rng = random.Random(seed)
        self.departments = departments  # code -> (id, name, response days)
        # Naive UTC, as stored: the rows go to the driver as they are (see load_rows).
        self.now = datetime.now(UTC).replace(tzinfo=None)
        self.texts = [reply_text(self.rng) for _ in range(300)]
        self.contexts: dict[tuple[str, str | None], list[str]] = {}
        self.rows = Rows()
        with (CONFIG_DIR / "knowledge_base.toml").open("rb") as fh:
            entries = tomllib.load(fh).get("entry", [])
        self.kb = [(e["id"], e["title"]) for e in entries] or [("kb", "")]
        corpus = load_split("train") + load_split("dev")
        self.openers = [e for e in corpus if e.label in VALID_LABELS]
        self.seen: set[tuple[str, str]] = set()  # (owner, label) of earlier cases
        self.topic = 9_000
        self.topic_posts = 0
        self.incident_left = 0  # members still to add to the incident being built
        self.incident: dict[str, Any] | None = None
        self.title: str | None = None
        self.post_columns = set(Post.__table__.c.keys())
        self.draft_columns = set(Draft.__table__.c.keys())

    # ---- rows of one kind

    def post(
        self, case_id: int | None, role: str, username: str, raw: str, at: datetime, label: str
    ) -> dict[str, Any]:
        self.topic_posts += 1
        post_id = len(self.rows.posts) + 1
        row = {
            "id": post_id,
            "forum_post_id": 200_000 + post_id,
            "topic_id": self.topic,
            "post_number": self.topic_posts,
            "reply_to_post_number": None,
            "username": username,
            "raw": raw,
            "topic_title": self.title,
            "category_id": 5,
            "forum_created_at": at,
            "forum_updated_at": at,
            "version": 1,
            "deleted": False,
            "hidden": False,
            "intake_note": None,
            "stage": "drafted",
            "received_at": at + timedelta(seconds=20),
            "updated_at": at + timedelta(seconds=20),
            "case_id": case_id,
            "case_role": role,
        }
        self.rows.posts.append(row)
        conf = round(self.rng.uniform(0.45, 0.99), 3)
        self.rows.labels.append(
            {
                "post_id": post_id,
                "label": label,
                "confidence": conf,
                "needs_review": conf < 0.6,
                "model_version": MODEL_VERSION,
                "alternatives": f'[{{"label": "service", "confidence": {1 - conf:.3f}}}]',
                "source": "model",
                "created_by": None,
                "created_at": at + timedelta(seconds=20),
            }
        )
        return row

    def audit(
        self,
        entity: str,
        entity_id: int,
        action: str,
        at: datetime,
        from_state: str | None,
        to_state: str | None,
        actor: str = "system:cases",
        reason: str | None = None,
        details: str | None = None,
    ) -> None:
        self.rows.audit.append(
            {
                "at": at,
                "actor": actor,
                "entity_type": entity,
                "entity_id": entity_id,
                "action": action,
                "from_state": from_state,
                "to_state": to_state,
                "reason": reason,
                "details": details,
            }
        )

    def context(self, label: str, style: str | None) -> str:
        """What the drafter writes into ``drafts.context``: one of a few variants per label
        and style (rendering JSON per draft is most of the time it takes to build rows)."""
        key = (label, style)
        if key not in self.contexts:
            self.contexts[key] = [
                self.render_context(label, round(self.rng.uniform(0.45, 0.99), 3), style)
                for _ in range(8)
            ]
        return self.rng.choice(self.contexts[key])

    def render_context(self, label: str, conf: float, style: str | None) -> str:
        rng = self.rng
        entry = rng.choice(self.kb) if label == "inquiry" or rng.random() < 0.2 else None
        score = round(rng.uniform(0.1, 0.8), 3) if entry else None
        return json.dumps(
            {
                "label": label,
                "confidence": conf,
                "needs_review": conf < 0.6,
                "style_rule": "defaults" if style else None,
                "style_reason": f"{label} 的默认回复方式" if style else None,
                "department": LABEL_DEPARTMENT.get(label),
                "kb_entry": entry[0] if entry else None,
                "kb_title": entry[1] if entry else None,
                "kb_score": score,
                "kb_matched": bool(score and score >= 0.3),
                "notes": [],
            },
            ensure_ascii=False,
        )

    def draft(
        self,
        case: dict[str, Any],
        post: dict[str, Any],
        style: str,
        state: str,
        created: datetime,
        due: datetime,
        *,
        body: str | None = None,
        department_id: int | None = None,
    ) -> dict[str, Any]:
        rng = self.rng
        draft_id = len(self.rows.drafts) + 1
        later = created + timedelta(hours=rng.uniform(0.3, 20))
        approved = state in ("approved", "publishing", "published", "failed")
        row = {
            "id": draft_id,
            "public_id": f"{rng.getrandbits(128):032x}",
            "post_id": post["id"],
            "case_id": case["id"],
            "kind": "reply",
            "label": case["label"],
            "style": style,
            "text": body or rng.choice(self.texts),
            "state": state,
            "department_id": department_id,
            "post_version": 1,
            "approved_by": f"agent{rng.randint(1, 20):02d}" if approved else None,
            "approved_at": later if approved else None,
            "approved_text_sha256": None,
            "publish_attempts": 1 if approved and state != "approved" else 0,
            "ever_attempted": approved and state != "approved",
            "lease_owner": None,
            "lease_until": None,
            "forum_reply_id": 900_000 + draft_id if state == "published" else None,
            "published_at": later + timedelta(seconds=15) if state == "published" else None,
            "failure_reason": "论坛返回 422：内容过短" if state == "failed" else None,
            "created_by": "system:drafter",
            "created_at": created,
            "updated_at": later if state != "pending_approval" else created,
            "revision": 1,
            "context": self.context(case["label"], style),
            "due_at": due,
            "claimed_by": None,
            "claimed_at": None,
        }
        self.rows.drafts.append(row)
        first = "awaiting_specialist" if state == "awaiting_specialist" else "pending_approval"
        self.audit("draft", draft_id, "create", created, None, first, "system:drafter")
        if approved:
            by = row["approved_by"]
            self.audit("draft", draft_id, "approve", later, first, "approved", by)
        if approved and state != "approved":
            self.audit(
                "draft",
                draft_id,
                "publish_attempt",
                later,
                "approved",
                "publishing",
                "system:publisher",
                details='{"attempt": 1}',
            )
            self.audit(
                "draft",
                draft_id,
                "publish_result",
                later,
                "publishing",
                state,
                "system:publisher",
                details=f'{{"forum_reply_id": {row["forum_reply_id"]}}}',
            )
        elif state == "rejected":
            self.audit(
                "draft",
                draft_id,
                "reject",
                later,
                first,
                state,
                f"agent{rng.randint(1, 20):02d}",
                "与事实不符，重写",
            )
        elif state == "superseded":
            self.audit(
                "draft",
                draft_id,
                "redraft",
                later,
                first,
                state,
                "system:drafter",
                "楼主补充了内容",
            )
        return row

    # ---- one case

    def owner(self) -> str:
        """70% of cases from a long tail of owners, 30% from 3,000 who write often."""
        if self.rng.random() < 0.3:
            return f"owner_{self.rng.randrange(3000):05d}"
        return f"owner_{self.rng.randrange(3000, 63000):05d}"

    def place(self) -> str | None:
        if self.rng.random() < 0.4:
            return None
        community = self.rng.choice(COMMUNITIES)
        return f"{community}{self.rng.randint(1, 30)}栋" if self.rng.random() < 0.6 else community

    def join_incident(self, label: str, opened: datetime, old: bool) -> dict[str, Any] | None:
        """Now and then start an incident that the next 1-5 cases (same label, same place)
        join; incidents are commoner among recent cases (an outage draws many owners)."""
        rng = self.rng
        if self.incident is None and rng.random() < (0.004 if old else 0.02):
            size = rng.randint(2, 6)
            place = f"{rng.choice(COMMUNITIES)}{rng.randint(1, 30)}栋"
            dept = self.departments.get(LABEL_DEPARTMENT[label])
            self.incident = {
                "id": len(self.rows.incidents) + 1,
                "title": f"{place}停水停电，多位业主反映",
                "place": place,
                "label": label,
                "department_id": dept[0] if dept else None,
                "state": "closed" if old else rng.choice(("suggested", "confirmed")),
                "statement": "关于近期停水停电的说明：抢修已完成，给大家带来不便深表歉意。"
                if old
                else None,
                "spike_alerted_at": opened if size >= 3 and rng.random() < 0.5 else None,
                "created_by": "system:cases",
                "created_at": opened,
                "updated_at": opened,
            }
            self.rows.incidents.append(self.incident)
            self.incident_left = size
            self.audit(
                "incident",
                self.incident["id"],
                "incident_suggested",
                opened,
                None,
                "suggested",
                reason="多位业主反映同一地点的同一问题",
            )
        incident = self.incident
        if incident is not None:
            self.incident_left -= 1
            if self.incident_left <= 0:
                self.incident = None
        return incident

    def build(self) -> Rows:
        gc.disable()  # millions of new dicts: the cyclic collector would walk them over and over
        try:
            for number in range(1, self.n + 1):
                self.case(number)
            for table, part in self.rows.tables():
                stored_times(table, part)
        finally:
            gc.enable()
        gc.freeze()  # and leave them out of every later collection
        return self.rows

    def case(self, case_id: int) -> None:
        rng = self.rng
        age = case_age(rng, (case_id - 1) / self.n)
        opened = self.now - age
        state = case_state(rng, age)
        example = rng.choice(self.openers)
        label = example.label if self.incident is None else self.incident["label"]
        if state == "waiting_department" and DEFAULT_STYLE[label] != "specialist":
            label = rng.choice(("engineering", "planning", "sales", "property_management"))
        style = example.style or DEFAULT_STYLE[label] or "interactive"
        if state == "waiting_department":
            style = "specialist"
        if self.topic_posts == 0 or rng.random() > 0.07:  # else: a second owner, same topic
            self.topic, self.topic_posts = self.topic + 1, 0
            self.title = example.title or example.raw[:20]
        owner = self.owner()
        repeat = (owner, label) in self.seen or rng.random() < 0.02
        self.seen.add((owner, label))
        incident = self.join_incident(label, opened, age > timedelta(days=14))
        dept = self.departments.get(LABEL_DEPARTMENT[label])
        reopened = state == "open" and age > timedelta(days=3)
        case = {
            "id": case_id,
            "topic_id": self.topic,
            "owner": owner,
            "opening_post_id": 0,
            "label": label,
            "state": state,
            "urgent": rng.random() < 0.02,
            "incident_id": incident["id"] if incident else None,
            "department_id": dept[0] if dept and style == "specialist" else None,
            "place": incident["place"] if incident else self.place(),
            "matter": (self.title or example.raw)[:60],
            "repeat": repeat,
            "reopened": 0,
            "outcome": state if state in ("resolved", "unresolved") else None,
            "opened_at": opened,
            "due_at": opened + timedelta(hours=24),
            "answered_at": None,
            "closed_at": None,
            "created_at": opened + timedelta(seconds=20),
            "updated_at": opened + timedelta(seconds=20),
        }
        self.rows.cases.append(case)
        opener = self.post(case_id, "opener", owner, example.raw, opened, label)
        case["opening_post_id"] = opener["id"]
        self.audit("case", case_id, "case_opened", opened, None, "open", reason="楼主发帖")
        latest = opener
        span = min(age, timedelta(days=3))  # later posts come within three days
        for _ in range(rng.choices((0, 1, 2, 3, 4, 6), (55, 20, 10, 7, 4, 4))[0]):
            at = opened + span * rng.random()
            neighbour = f"owner_{rng.randrange(63000):05d}"
            self.post(case_id, "supporter", neighbour, rng.choice(SUPPORT_TEXTS), at, "empty")
            self.audit("case", case_id, "post_supporter", at, None, state, reason="附议")
        if rng.random() < 0.25 or reopened:
            at = opened + span * rng.uniform(0.3, 1)
            latest = self.post(case_id, "update", owner, rng.choice(UPDATE_TEXTS), at, label)
            self.audit("case", case_id, "owner_update", at, None, state, reason="楼主补充")
        if rng.random() < 0.1:
            at = opened + span * rng.random()
            bystander = f"owner_{rng.randrange(63000):05d}"
            self.post(case_id, "chatter", bystander, rng.choice(CHATTER_TEXTS), at, "unrelated")
        self.replies(case, opener, latest if reopened else None, style, dept)

    def replies(
        self,
        case: dict[str, Any],
        opener: dict[str, Any],
        reopening: dict[str, Any] | None,
        style: str,
        dept: tuple[int, str, int] | None,
    ) -> None:
        """The case's drafts, department request and lifecycle audit rows for its state
        (``reopening``: the owner's post that reopened an answered case)."""
        rng, state, opened = self.rng, case["state"], case["opened_at"]
        case_id = case["id"]
        created = opened + timedelta(minutes=rng.uniform(1, 30))
        due = opened + timedelta(hours=24)
        specialist = style == "specialist" and dept is not None
        if rng.random() < 0.15:  # the owner edited the post: the first draft was superseded
            self.draft(case, opener, style, "superseded", created, due)
        if state == "open":
            draft_state = "failed" if rng.random() < 0.02 else "pending_approval"
            post = opener
            if reopening is not None:  # reopened after our answer: a new reply to the update
                self.draft(case, opener, style, "published", created, due)
                case["reopened"] = 1
                post, created = reopening, reopening["forum_created_at"]
                self.audit(
                    "case",
                    case_id,
                    "case_reopened",
                    created,
                    "answered",
                    "open",
                    reason="楼主又发帖",
                )
                due = created + timedelta(hours=24)
                case["due_at"] = due
            draft = self.draft(case, post, style, draft_state, created, due)
            self.rows.queue_cases.append(case_id)
            self.rows.queue_drafts.append(draft["id"])
            return
        if specialist or state == "waiting_department":
            assert dept is not None
            dept_id, dept_name, days = dept
            request_due = opened + timedelta(days=days * 7 / 5)
            holding_state = "published"
            if state == "waiting_department" and self.now - opened < timedelta(days=1):
                holding_state = "pending_approval" if rng.random() < 0.6 else "published"
            holding = self.draft(
                case,
                opener,
                "holding",
                holding_state,
                created,
                due,
                body=HOLDING_TEXT.format(dept=dept_name, days=days),
            )
            waiting = state == "waiting_department"
            unified = self.draft(
                case,
                opener,
                "specialist",
                "awaiting_specialist" if waiting else "published",
                created,
                request_due,
                department_id=dept_id,
            )
            case["due_at"] = request_due
            answered = None if waiting else opened + timedelta(days=rng.uniform(0.5, days))
            if not waiting or case["incident_id"] is None or rng.random() < 0.3:
                self.rows.requests.append(
                    {
                        "id": len(self.rows.requests) + 1,
                        "draft_id": unified["id"],
                        "department_id": dept_id,
                        "case_id": case_id,
                        "incident_id": case["incident_id"],
                        "state": "open" if waiting else "answered",
                        "due_at": request_due,
                        "note": "请尽快安排现场查看" if rng.random() < 0.3 else None,
                        "closed_reason": None,
                        "answer": None if waiting else "经现场查看，已安排维修。",
                        "answered_by": None if waiting else f"{dept_name}值班",
                        "answered_at": answered,
                        "created_at": created,
                    }
                )
            self.audit(
                "case",
                case_id,
                "send_to_department",
                created,
                "open",
                "waiting_department",
                reason=f"转交{dept_name}",
            )
            if waiting:
                if holding_state == "pending_approval":
                    self.rows.queue_cases.append(case_id)
                    self.rows.queue_drafts.append(holding["id"])
                return
        else:
            if rng.random() < 0.08:
                self.draft(case, opener, style, "rejected", created, due)
            self.draft(case, opener, style, "published", created, due)
        answered_at = opened + timedelta(hours=rng.uniform(2, 60))
        case["answered_at"] = answered_at
        self.audit(
            "case", case_id, "case_answered", answered_at, "open", "answered", reason="答复已发布"
        )
        if state in ("resolved", "unresolved", "closed"):
            asked = answered_at + timedelta(days=3)
            if rng.random() < 0.6:
                self.draft(
                    case, opener, "satisfaction", "published", asked, asked, body=SATISFACTION_TEXT
                )
            ended = asked + timedelta(days=rng.uniform(0.5, 7))
            case["closed_at"] = ended if state == "closed" else None
            action = {"resolved": "case_resolved", "unresolved": "case_unresolved"}
            self.audit(
                "case",
                case_id,
                action.get(state, "case_closed"),
                ended,
                "answered",
                state,
                reason="业主答复" if state != "closed" else "业主未回复",
            )
        self.rows.old_cases.append(case_id)
        self.rows.old_drafts.append(self.rows.drafts[-1]["id"])


def insert_sqlite(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """executemany at the driver."""
    names = list(rows[0])
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    for start in range(0, len(rows), BATCH):
        conn.exec_driver_sql(sql, [tuple(r[n] for n in names) for r in rows[start : start + BATCH]])


def insert_postgresql(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """COPY through the SQLAlchemy connection's psycopg connection."""
    names = list(rows[0])
    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    with conn.connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[name] for name in names])


def load_rows(engine: Engine, rows: Rows) -> None:
    """Every row in one transaction. Core's executemany spends most of its time in per-value
    bind processing: measured at 15-60k rows/s here, the 2.3 million rows of 100,000 cases
    would take over a minute on SQLite and two on PostgreSQL, so the rows (already in stored
    form, see stored_times) go to the driver directly: executemany on SQLite, COPY on PostgreSQL."""
    insert_rows = insert_postgresql if engine.dialect.name == "postgresql" else insert_sqlite
    with engine.begin() as conn:
        for table, part in rows.tables():
            if part:
                insert_rows(conn, table, part)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("posts", "incidents", "cases", "drafts", "department_requests"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"GREATEST(MAX(id), 1)) FROM {table}"
                    )
                )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))  # what autovacuum does within a minute of the load
    with session_factory(engine)() as session:  # the rows read back as the product reads them
        case = session.get(Case, 1)
        if case is None or case.opened_at.tzinfo is None or case.opening_post.case_id != 1:
            raise RuntimeError("the seeded rows do not read back as the product reads them")


def seed_users(engine: Engine, agents: int) -> dict[str, tuple[int, str, int]]:
    """Departments from config and agent accounts; returns code -> (id, name, days)."""
    sessions = session_factory(engine)
    with sessions() as session:
        configured = load_departments(CONFIG_DIR / "departments.toml")[0]
        synced = sync_departments(session, configured)
        first = add_user(session, "agent01", PASSWORD, "agent")  # Argon2id: hash once, reuse
        session.add_all(
            User(username=f"agent{n:02d}", role="agent", password_hash=first.password_hash)
            for n in range(2, agents + 1)
        )
        session.commit()
        return {code: (d.id, d.name, d.response_days) for code, d in synced.items()}


@contextmanager
def fresh_database(backend: str, postgres_url: str, tmp: str) -> Iterator[str]:
    """A SQLite file in ``tmp``, or a new schema in the PostgreSQL database, dropped after."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp}/console_load.sqlite3"
        return
    with scratch_schema(postgres_url, "bench") as scratch:
        yield scratch


# ---------------------------------------------------------------- the console process


@contextmanager
def console(url: str, threads: int, log_path: Path) -> Iterator[tuple[str, int]]:
    """`forumbot serve` on a free port, in its own process; yields its base URL and pid."""
    env = {
        **os.environ,
        "FORUMBOT_DATABASE_URL": url,
        "FORUMBOT_SECRET_KEY": secrets.token_hex(32),
    }
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "forumbot", "serve", "--port", "0", "--threads", str(threads)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            line = proc.stdout.readline() if proc.stdout else ""
            if not line.startswith("serving on "):
                proc.wait(timeout=10)
                raise RuntimeError(f"forumbot serve did not start: {log_path.read_text()[-2000:]}")
            base = line.split()[2]
            requests.get(f"{base}/healthz", timeout=30).raise_for_status()
            yield base, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout:
                proc.stdout.close()


def machine_busy() -> tuple[float, float]:
    """Busy and total CPU time of the whole machine so far (all cores, Linux /proc/stat)."""
    try:
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return float(sum(ticks) - idle), float(sum(ticks))


def busy_share(before: tuple[float, float]) -> float:
    """How busy all cores were since ``before`` (1.0: every core all the time)."""
    busy, total = machine_busy()
    return round((busy - before[0]) / (total - before[1]), 2) if total > before[1] else 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), 0 if unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


# ---------------------------------------------------------------- the load generator process

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Plan:
    """What the load generator process is asked to do (sent to it pickled)."""

    base: str
    server_pid: int
    agents: int
    queue_cases: list[int]
    queue_drafts: list[int]
    old_cases: list[int]
    old_drafts: list[int]
    queue_views: list[str]
    rates: list[float]
    step_seconds: float
    budget_seconds: float  # for everything the generator does
    closed_agents: int
    closed_seconds: float
    workers: int
    seed: int


def login(http: requests.Session, base: str, name: str) -> None:
    """Log in as a person would: the form's CSRF token, then the POST."""
    form = http.get(f"{base}/login", timeout=30)
    answer = http.post(
        f"{base}/login",
        data={"username": name, "password": PASSWORD, "csrf_token": CSRF.search(form.text)[1]},
        allow_redirects=False,
        timeout=60,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"the console refused the login of {name}: HTTP {answer.status_code}")


def pick(plan: Plan, rng: random.Random) -> tuple[str, str]:
    """One request of the mix: (kind, path). Agents open the cases in their queue, now and
    then an owner's earlier case; the queue mostly unfiltered, sometimes filtered or paged."""
    kind = rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
    if kind == "queue":
        return kind, "/queue" if rng.random() < 0.6 else rng.choice(plan.queue_views)
    if kind == "case":
        ids = plan.queue_cases if rng.random() < 0.85 else plan.old_cases
        return kind, f"/cases/{rng.choice(ids)}"
    ids = plan.queue_drafts if rng.random() < 0.85 else plan.old_drafts
    return kind, f"/drafts/{rng.choice(ids)}"


class Sessions:
    """One logged-in HTTP session per worker thread, the cookies of one of the agents."""

    def __init__(self, base: str, agents: int) -> None:
        self.base = base
        self.cookies = []
        for number in range(1, agents + 1):
            with requests.Session() as http:
                login(http, base, f"agent{number:02d}")
                self.cookies.append(http.cookies.get_dict())
        self.local = threading.local()
        self.counter = itertools.count()
        self.made: list[requests.Session] = []
        self.lock = threading.Lock()

    def get(self) -> requests.Session:
        http = getattr(self.local, "http", None)
        if http is None:
            http = requests.Session()
            http.cookies.update(self.cookies[next(self.counter) % len(self.cookies)])
            self.local.http = http
            with self.lock:
                self.made.append(http)
        return http

    def close(self) -> None:
        for http in self.made:
            http.close()


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind, _ in MIX})
    errors: int = 0
    samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, problem: str | None) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if problem:
                self.errors += 1
                if len(self.samples) < 5:
                    self.samples.append(problem)


def fetch(sessions: Sessions, kind: str, path: str, since: float, tally: Tally) -> None:
    """GET ``path``; the latency counts from ``since`` (the scheduled time, in open loop)."""
    problem = None
    try:
        response = sessions.get().get(sessions.base + path, allow_redirects=False, timeout=30)
        if response.status_code != 200:
            problem = f"{path}: HTTP {response.status_code}"
    except requests.RequestException as exc:
        problem = f"{path}: {type(exc).__name__}"
    tally.add(kind, time.perf_counter() - since, problem)


def percentiles(values: list[float]) -> dict[str, float | int | None]:
    """p50/p95/p99 in ms (None when there is no value) and the number of values."""
    ordered = sorted(values)

    def at(p: float) -> float | None:
        if not ordered:
            return None
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 1)

    return {"p50_ms": at(50), "p95_ms": at(95), "p99_ms": at(99), "n": len(ordered)}


def open_step(
    plan: Plan, sessions: Sessions, rate: float, seconds: float, rng: random.Random
) -> dict[str, Any]:
    """Poisson arrivals at ``rate`` per second for ``seconds``; each request goes out at its
    time on a free worker (or waits for one, which counts in its latency). When the backlog
    passes two seconds' worth of arrivals the server cannot keep up: the step stops there."""
    schedule, at = [], rng.expovariate(rate)
    while at < seconds:
        schedule.append((at, *pick(plan, rng)))
        at += rng.expovariate(rate)
    tally = Tally()
    backlog_cap = max(plan.workers, int(rate * 2))
    outstanding = [0]
    count_lock = threading.Lock()

    def job(kind: str, path: str, since: float) -> None:
        try:
            fetch(sessions, kind, path, since, tally)
        finally:
            with count_lock:
                outstanding[0] -= 1

    overloaded, sent = False, 0
    server_cpu, own_cpu, machine = cpu_seconds(plan.server_pid), time.process_time(), machine_busy()
    pool = ThreadPoolExecutor(plan.workers)
    start = time.perf_counter() + 0.05
    for offset, kind, path in schedule:
        due = start + offset
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        with count_lock:
            if outstanding[0] > backlog_cap:
                overloaded = True
                break
            outstanding[0] += 1
        pool.submit(job, kind, path, due)
        sent += 1
    if not overloaded:  # the step lasts its time, whenever its last arrival came
        time.sleep(max(0.0, start + seconds - time.perf_counter()))
    elapsed = time.perf_counter() - start
    pool.shutdown(wait=True, cancel_futures=overloaded)
    drained = time.perf_counter() - start - elapsed
    result: dict[str, Any] = {
        "rate": rate,
        "seconds": round(elapsed, 1),
        "scheduled": len(schedule),
        "sent": sent,
        "offered_rps": round(sent / elapsed, 1) if elapsed else 0.0,
        "completed": sum(len(v) for v in tally.latencies.values()),
        "overloaded": overloaded,
        "errors": tally.errors,
        **{kind: percentiles(values) for kind, values in tally.latencies.items()},
        # In cores: the console process, this load generator; the machine's share in use
        # (both cores: console, database, generator).
        "console_cpu": round((cpu_seconds(plan.server_pid) - server_cpu) / (elapsed + drained), 2),
        "generator_cpu": round((time.process_time() - own_cpu) / (elapsed + drained), 2),
        "machine_busy": busy_share(machine),
    }
    result["pass"] = (
        not overloaded
        and tally.errors == 0
        and all(result[k]["n"] and result[k]["p95_ms"] < GOAL_P95_MS for k in ("queue", "case"))
    )
    if tally.samples:
        result["error_samples"] = tally.samples
    return result


def closed_loop(plan: Plan, sessions: Sessions) -> dict[str, Any]:
    """``closed_agents`` agents requesting the mix back to back, without pause."""
    tally = Tally()
    deadline = time.perf_counter() + plan.closed_seconds
    server_cpu, machine = cpu_seconds(plan.server_pid), machine_busy()

    def agent(number: int) -> None:
        rng = random.Random(plan.seed * 1000 + number)
        while time.perf_counter() < deadline:
            fetch(sessions, *pick(plan, rng), time.perf_counter(), tally)

    began = time.perf_counter()
    threads = [threading.Thread(target=agent, args=(n,)) for n in range(plan.closed_agents)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    done = sum(len(v) for v in tally.latencies.values())
    return {
        "agents": plan.closed_agents,
        "seconds": round(elapsed, 1),
        "requests": done,
        "rps": round(done / elapsed, 1),
        "errors": tally.errors,
        **{kind: percentiles(values) for kind, values in tally.latencies.items()},
        "console_cpu": round((cpu_seconds(plan.server_pid) - server_cpu) / elapsed, 2),
        "machine_busy": busy_share(machine),
    }


def step_line(step: dict[str, Any]) -> str:
    verdict = "pass" if step["pass"] else "FAIL"
    kinds = "  ".join(f"{k} p95 {step[k]['p95_ms']}" for k, _ in MIX)
    extra = "  OVERLOADED" if step["overloaded"] else ""
    return (
        f"  {step['rate']:>5} req/s: sent {step['sent']} in {step['seconds']}s  {kinds} ms  "
        f"errors {step['errors']}  cpu: console {step['console_cpu']} "
        f"generator {step['generator_cpu']} machine {step['machine_busy']}  {verdict}{extra}"
    )


def one_at_a_time(plan: Plan, sessions: Sessions, rounds: int = 6) -> dict[str, Any]:
    """Each kind of page ``rounds`` times, one request at a time, after one unmeasured round
    (templates compiled, connections open): what a page costs with nothing else running."""
    tally, rng = Tally(), random.Random(plan.seed)
    for number in range(rounds + 1):
        if number == 1:
            tally = Tally()
        for kind, path in (
            ("queue", "/queue"),
            ("queue", rng.choice(plan.queue_views)),
            ("case", f"/cases/{rng.choice(plan.queue_cases)}"),
            ("draft", f"/drafts/{rng.choice(plan.queue_drafts)}"),
        ):
            fetch(sessions, kind, path, time.perf_counter(), tally)
    if tally.errors:
        raise RuntimeError(f"the console failed one request at a time: {tally.samples}")
    return {kind: percentiles(values) for kind, values in tally.latencies.items()}


def wait_for_quiet(max_seconds: float = 30, threshold: float = 0.15) -> float:
    """Wait (up to ``max_seconds``) for a second in which the machine is mostly idle, so that
    other work on it (a test suite, a build) does not weigh on the figures; returns how busy
    the last second was (0-1 of all cores), reported with the results."""
    deadline = time.perf_counter() + max_seconds
    while True:
        before = machine_busy()
        time.sleep(1)
        busy = busy_share(before)
        if busy <= threshold or time.perf_counter() >= deadline:
            return busy


def saturated(step: dict[str, Any]) -> bool:
    """The server no longer keeps up: the backlog ran away, or half the requests waited a
    second or more. A higher rate would only queue longer."""
    return step["overloaded"] or any((step[k]["p50_ms"] or 0) >= 1000 for k, _ in MIX)


def generate(plan: Plan, results: Any) -> None:
    """The load generator process: log in, warm up, step the open-loop rate up until the
    server saturates or the time is up, then the closed loop; sends its figures back through
    ``results`` (a Pipe end)."""
    try:
        sessions = Sessions(plan.base, plan.agents)
        idle = wait_for_quiet(max_seconds=10)
        print(f"  machine busy before the load: {idle:.0%}", file=sys.stderr)
        deadline = time.perf_counter() + plan.budget_seconds - plan.closed_seconds
        alone = one_at_a_time(plan, sessions)
        print(
            "  one request at a time: "
            + "  ".join(f"{k} p50 {v['p50_ms']} p95 {v['p95_ms']}" for k, v in alone.items())
            + " ms",
            file=sys.stderr,
        )
        rng = random.Random(plan.seed)
        steps = []
        for rate in plan.rates:
            if time.perf_counter() + plan.step_seconds > deadline:
                print(f"  no time left for {rate} req/s", file=sys.stderr)
                break
            step = open_step(plan, sessions, rate, plan.step_seconds, rng)
            print(step_line(step), file=sys.stderr, flush=True)
            steps.append(step)
            if saturated(step):
                break
        closed = closed_loop(plan, sessions) if plan.closed_agents else None
        if closed:
            print(
                f"  closed loop, {closed['agents']} agents: {closed['rps']} req/s  "
                + "  ".join(f"{k} p95 {closed[k]['p95_ms']}" for k, _ in MIX)
                + f" ms  errors {closed['errors']}",
                file=sys.stderr,
                flush=True,
            )
        sessions.close()
        results.send({"idle": idle, "alone": alone, "steps": steps, "closed": closed})
    except Exception as exc:  # the parent reports it in the JSON
        results.send({"error": f"{type(exc).__name__}: {exc}"})
    finally:
        results.close()


def run_generator(plan: Plan) -> dict[str, Any]:
    """Run ``generate`` in a process of its own (spawned: no state shared with this one)."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=generate, args=(plan, send), name="load-generator")
    process.start()
    send.close()
    try:
        outcome = receive.recv()
    except EOFError:
        outcome = {"error": f"the load generator died (exit code {process.exitcode})"}
    process.join(timeout=60)
    return outcome


# ---------------------------------------------------------------- one backend, and main


def queue_views(departments: dict[str, tuple[int, str, int]]) -> list[str]:
    """The filtered and paged views agents use besides the default queue."""
    views = [f"/queue?label={label}" for label in VALID_LABELS]
    views += [f"/queue?department={code}" for code in departments]
    views += [f"/queue?page={n}" for n in (2, 3, 4)]
    views += ["/queue?state=all", "/queue?state=awaiting_specialist", "/queue?state=failed"]
    views += ["/queue?age=overdue", "/queue?age=24h", "/queue?sort=newest"]
    return views


def load_budget(args: argparse.Namespace, later: int, seeding: float) -> float:
    """The load generator's seconds for this backend: ``--load-seconds``, less when the run
    would otherwise pass ``--max-seconds`` (a busy machine seeds slowly): what is left, less
    the seeding of the ``later`` backends (taken to last as long as this one's), shared with
    them."""
    left = args.max_seconds - (time.perf_counter() - args.started) - later * (seeding + 10)
    return max(30.0, min(args.load_seconds, left / (later + 1)))


def run_backend(
    backend: str, args: argparse.Namespace, tmp: str, built: dict[str, Any], later: int
) -> dict[str, Any]:
    """Seed a fresh database, serve it, load it. The rows are built once and reused by the
    next backend (``built``) when its departments got the same ids; ``later`` backends are
    still to run after this one."""
    with fresh_database(backend, args.postgres, tmp) as url:
        engine = make_engine(url)
        try:
            migrate(engine)
            began = time.perf_counter()
            departments = seed_users(engine, args.agents)
            if built.get("departments") != departments:
                built["rows"] = Builder(args.cases, departments, args.seed).build()
                built["departments"] = departments
                print(f"built rows in {time.perf_counter() - began:.1f}s", file=sys.stderr)
            rows: Rows = built["rows"]
            loading = time.perf_counter()
            load_rows(engine, rows)
            seeded = time.perf_counter() - loading
        finally:
            engine.dispose()
        counts = rows.counts()
        print(f"{backend}: loaded in {seeded:.1f}s: {counts}", file=sys.stderr)
        budget = load_budget(args, later, seeded)
        print(f"  load generator's time: {budget:.0f}s", file=sys.stderr)
        with console(url, args.threads, Path(tmp) / f"serve-{backend}.log") as (base, pid):
            plan = Plan(
                base=base,
                server_pid=pid,
                agents=max(1, min(args.agents, 8)),
                queue_cases=rows.queue_cases,
                queue_drafts=rows.queue_drafts,
                old_cases=rows.old_cases,
                old_drafts=rows.old_drafts,
                queue_views=queue_views(departments),
                rates=args.rates,
                step_seconds=args.step_seconds,
                budget_seconds=budget,
                closed_agents=args.agents,
                closed_seconds=args.closed_seconds,
                workers=args.workers,
                seed=args.seed,
            )
            outcome = run_generator(plan)
    if "error" in outcome:
        return {"error": outcome["error"], "rows": counts, "load_s": round(seeded, 1)}
    steps = outcome["steps"]
    passed = [s["rate"] for s in steps if s["pass"]]
    return {
        "rows": counts,
        "load_s": round(seeded, 1),
        "threads": args.threads,
        # PostgreSQL gets ANALYZE after the load, as autovacuum would; SQLite none, as forumbot
        # never runs it: the planner works without statistics, as on a real installation.
        "planner_statistics": backend == "postgresql",
        "machine_busy_before": outcome["idle"],
        "one_at_a_time": outcome["alone"],
        "open_loop": {
            "goal": f"queue and case p95 < {GOAL_P95_MS} ms, no errors",
            "highest_passing_rate": max(passed) if passed else None,
            "steps": steps,
        },
        "closed_loop": outcome["closed"],
    }


def fifty_agents() -> dict[str, Any]:
    """What 50 agents generate: each approval is a queue page and a case page."""
    per_second = FIFTY_AGENTS * APPROVALS_PER_DAY * PAGES_PER_APPROVAL / (WORKDAY_HOURS * 3600)
    return {
        "agents": FIFTY_AGENTS,
        "approvals_per_agent_per_day": APPROVALS_PER_DAY,
        "pages_per_approval": PAGES_PER_APPROVAL,
        "workday_hours": WORKDAY_HOURS,
        "mean_rps": round(per_second, 2),
        "peak_factor": PEAK_FACTOR,
        "peak_rps": round(per_second * PEAK_FACTOR, 2),
    }


def verdict(result: dict[str, Any], fifty: dict[str, Any]) -> dict[str, Any] | None:
    """What fifty agents see on this backend: the open-loop steps at or just above their mean
    and their peak-hour rates (a lower rate only queues less)."""
    steps = result.get("open_loop", {}).get("steps", [])

    def seen(rate: float) -> dict[str, Any] | None:
        step = next((s for s in steps if s["rate"] >= rate * 0.95), None)
        if step is None:
            return None
        return {
            "step_rate": step["rate"],
            **{f"{kind}_p95_ms": step[kind]["p95_ms"] for kind, _ in MIX},
            "pass": step["pass"],
        }

    if not steps:
        return None
    return {"loop": "open", "mean": seen(fifty["mean_rps"]), "peak": seen(fifty["peak_rps"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=POSTGRES_URL, help="PostgreSQL URL")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--rates", default="1,2,4,8,16,32,64", help="open-loop steps, req/s")
    parser.add_argument("--step-seconds", type=float, default=15)
    parser.add_argument(
        "--load-seconds",
        type=float,
        default=95,
        help="per backend: the load generator's time (one at a time, steps, closed loop)",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=270,
        help="the whole run; the load generator gets less time when seeding is slow",
    )
    parser.add_argument("--agents", type=int, default=20, help="closed-loop agents (0: none)")
    parser.add_argument("--closed-seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=4, help="waitress worker threads")
    parser.add_argument("--workers", type=int, default=64, help="load generator threads")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    args.rates = sorted(float(r) for r in args.rates.split(","))
    args.started = began = time.perf_counter()
    fifty = fifty_agents()
    result: dict[str, Any] = {"bench": "console_load", "cases": args.cases}
    built: dict[str, Any] = {}
    backends = args.backends.split(",")
    for number, backend in enumerate(backends):
        print(f"--- {backend}", file=sys.stderr)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                result[backend] = run_backend(
                    backend, args, tmp, built, later=len(backends) - number - 1
                )
        except Exception as exc:  # a backend that cannot run is reported, the other still runs
            print(f"{backend} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            result[backend] = {"error": f"{type(exc).__name__}: {exc}"}
        result[backend]["fifty_agents_see"] = verdict(result[backend], fifty)
    result["fifty_agents_rate"] = fifty["mean_rps"]
    result["fifty_agents"] = fifty
    result["seconds"] = round(time.perf_counter() - began, 1)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
