"""Console load benchmark: many agents reading the review queue of a large database.

A database with 100,000 drafts (most long published or superseded, ~10% waiting for approval,
some waiting for a department), each with its post, label and audit trail; the console served
by `forumbot serve` (waitress) in its own process, as in production; 20 agents, each a browser
session that logs in and then, without pause for 60 s, opens the queue (now and then with
filters or a sort picked from the page's own filter form) and 2-3 drafts listed on it.

    python bench/console_load.py [--database URL] [--drafts 100000] [--agents 20]
                                 [--seconds 60] [--threads 4]

Default database: a fresh SQLite file in a temporary folder. A PostgreSQL URL gets a fresh
schema, dropped at the end. Progress goes to stderr; the last line on stdout is one JSON object
with requests per second and p50/p95/p99 latency per page kind. Goal: queue p95 under 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import Engine, insert, text

from forumbot.cases.writing import sync_departments
from forumbot.classify.labels import DEFAULT_STYLE, VALID_LABELS
from forumbot.corpus import load_split
from forumbot.drafting.resources import load_departments
from forumbot.paths import CONFIG_DIR, PROJECT_ROOT
from forumbot.storage.database import make_engine, migrate, scratch_schema, session_factory
from forumbot.storage.models import AuditEntry, Classification, Draft, Post, User
from forumbot.web.users import add_user

GOAL_QUEUE_P95_MS = 300
BATCH = 5000
PASSWORD = "bench-agent-password-2026"
MODEL_VERSION = "2026.11.23-3"
# Share of posts that arrived in the last three days and still wait for a person.
RECENT_SHARE = 0.19
LABEL_DEPARTMENT = {
    "engineering": "engineering",
    "planning": "planning",
    "sales": "sales",
    "property_management": "property",
    "service": "service",
}
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


# ---------------------------------------------------------------- seeding


@dataclass
class Rows:
    posts: list[dict[str, Any]] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)
    drafts: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)


def reply_text(rng: random.Random) -> str:
    parts = [rng.choice(REPLY_PARTS[0])]
    if rng.random() < 0.6:
        parts.append(rng.choice(REPLY_PARTS[1]))
    parts.extend(rng.sample(REPLY_PARTS[2], rng.choice((1, 1, 2))))
    parts.extend(rng.choice(p) for p in REPLY_PARTS[3:])
    return "\n\n".join(parts)


def context_json(
    rng: random.Random, label: str, confidence: float, style: str | None, kb: list[tuple[str, str]]
) -> str:
    """What the drafter writes into ``drafts.context`` (cases.drafting_job.plan_context)."""
    entry = rng.choice(kb) if label == "inquiry" or rng.random() < 0.2 else None
    score = round(rng.uniform(0.1, 0.8), 3) if entry else None
    return json.dumps(
        {
            "label": label,
            "confidence": confidence,
            "needs_review": confidence < 0.6,
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


def build_rows(target: int, departments: dict[str, int], seed: int) -> Rows:
    """Exactly ``target`` drafts: invalid posts get none and some posts two or three, so the
    number of posts is estimated, then corrected once from the first attempt."""
    n_posts = target
    while True:
        rows = build_posts(n_posts, departments, random.Random(seed))
        if len(rows.drafts) >= target:
            break
        n_posts = int(n_posts * target / max(len(rows.drafts), 1) * 1.02) + 10
    del rows.drafts[target:]
    last_post = rows.drafts[-1]["post_id"] if rows.drafts else 0
    rows.posts = [p for p in rows.posts if p["id"] <= last_post]
    rows.labels = [c for c in rows.labels if c["post_id"] <= last_post]
    rows.audit = [a for a in rows.audit if a["entity_id"] <= target]
    return rows


def build_posts(n_posts: int, departments: dict[str, int], rng: random.Random) -> Rows:
    """Posts in topics, one model label each, drafts in realistic states, their audit rows."""
    import tomllib

    with (CONFIG_DIR / "knowledge_base.toml").open("rb") as fh:
        kb = [(e["id"], e["title"]) for e in tomllib.load(fh).get("entry", [])] or [("kb", "")]
    corpus = load_split("train") + load_split("dev")
    draft_columns = set(Draft.__table__.c.keys())
    label_columns = set(Classification.__table__.c.keys())
    now = datetime.now(UTC)
    rows = Rows()
    recent_from = int(n_posts * (1 - RECENT_SHARE))
    topic, post_number, topic_title = 0, 0, None

    def add_draft(post: dict[str, Any], label: str, conf: float, **values: Any) -> None:
        draft_id = len(rows.drafts) + 1
        created = post["forum_created_at"] + timedelta(minutes=rng.uniform(1, 30))
        style = values.pop("style")
        row = {
            "id": draft_id,
            "public_id": uuid.uuid4().hex,
            "post_id": post["id"],
            "kind": values.pop("kind", "reply"),
            "style": style,
            "text": reply_text(rng),
            "department_id": departments.get(LABEL_DEPARTMENT.get(label, ""))
            if style == "specialist"
            else None,
            "post_version": 1,
            "approved_by": None,
            "approved_at": None,
            "published_at": None,
            "forum_reply_id": None,
            "created_by": "system:drafter",
            "created_at": created,
            "updated_at": created,
            "revision": 1,
            "context": context_json(rng, label, conf, style, kb),
            "due_at": post["forum_created_at"] + timedelta(hours=24),
            "label": label,
            **values,
        }
        if row["state"] in ("approved", "publishing", "published", "failed"):
            row["approved_by"] = f"agent{rng.randint(1, 20):02d}"
            row["approved_at"] = created + timedelta(hours=rng.uniform(0.5, 20))
        if row["state"] == "published":
            row["published_at"] = row["approved_at"] + timedelta(seconds=15)
            row["forum_reply_id"] = 900_000 + draft_id
        rows.drafts.append({k: v for k, v in row.items() if k in draft_columns})
        state = row["state"]
        first = "awaiting_specialist" if state == "awaiting_specialist" else "pending_approval"
        audit = [("system:drafter", "create", None, first, created)]
        later = row["approved_at"] or created + timedelta(hours=rng.uniform(0.5, 20))
        if state in ("approved", "publishing", "published", "failed"):
            audit.append((row["approved_by"], "approve", first, "approved", later))
            if state != "approved":
                audit.append(("system:publisher", "publish", "approved", "publishing", later))
            if state in ("published", "failed"):
                audit.append(("system:publisher", "publish", "publishing", state, later))
        elif state == "rejected":
            audit.append((f"agent{rng.randint(1, 20):02d}", "reject", first, state, later))
        elif state == "superseded":
            audit.append(("system:drafter", "redraft", first, state, later))
        for actor, action, from_state, to_state, at in audit:
            rows.audit.append(
                {
                    "at": at,
                    "actor": actor,
                    "entity_type": "draft",
                    "entity_id": draft_id,
                    "action": action,
                    "from_state": from_state,
                    "to_state": to_state,
                    "reason": None,
                    "details": json.dumps({"post": post["forum_post_id"], "style": style}),
                }
            )

    for i in range(n_posts):
        example = corpus[rng.randrange(len(corpus))]
        if post_number == 0 or rng.random() < 0.45:  # a new topic
            topic, post_number = topic + 1, 0
            topic_title = example.title or example.raw[:20]
        post_number += 1
        recent = i >= recent_from
        if recent:
            age = timedelta(days=3) * (n_posts - i) / (n_posts - recent_from)
        else:
            age = timedelta(days=3) + timedelta(days=180) * (recent_from - i) / recent_from
        posted = now - age
        post = {
            "id": i + 1,
            "forum_post_id": 200_000 + i,
            "topic_id": 9_000 + topic,
            "post_number": post_number,
            "reply_to_post_number": None,
            "username": f"owner_{rng.randrange(5000):04d}",
            "raw": example.raw,
            "topic_title": topic_title,
            "category_id": 5,
            "forum_created_at": posted,
            "forum_updated_at": posted,
            "version": 1,
            "deleted": False,
            "hidden": False,
            "stage": "drafted",
            "received_at": posted + timedelta(seconds=20),
            "updated_at": posted + timedelta(seconds=20),
        }
        rows.posts.append(post)
        label = example.label
        conf = round(rng.uniform(0.45, 0.99), 3)
        classification = {
            "post_id": post["id"],
            "label": label,
            "confidence": conf,
            "needs_review": conf < 0.6,
            "model_version": MODEL_VERSION,
            "source": "model",
            "created_by": None,
            "created_at": post["received_at"],
            "alternatives": json.dumps([{"label": "service", "confidence": round(1 - conf, 3)}]),
        }
        rows.labels.append({k: v for k, v in classification.items() if k in label_columns})
        if label == "abuse":
            state = "pending_approval" if recent else rng.choice(("published", "rejected"))
            add_draft(post, label, conf, kind="flag", style=None, state=state)
            continue
        if label not in VALID_LABELS:
            continue  # empty and unrelated posts get no reply
        style = example.style or DEFAULT_STYLE[label]
        if rng.random() < 0.25:  # the post was edited once: the first draft was superseded
            add_draft(post, label, conf, style=style, state="superseded")
        if recent:
            roll = rng.random()
            if style == "specialist" and roll < 0.35:
                add_draft(post, label, conf, style=style, state="awaiting_specialist")
                add_draft(post, label, conf, style="holding", state="pending_approval")
                continue
            state = "pending_approval" if roll < 0.9 else rng.choice(("approved", "failed"))
        else:
            roll = rng.random()
            state = "published" if roll < 0.9 else "rejected" if roll < 0.97 else "superseded"
        add_draft(post, label, conf, style=style, state=state)
    return rows


def insert_batches(engine: Engine, table: Any, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        for start in range(0, len(rows), BATCH):
            conn.execute(insert(table), rows[start : start + BATCH])


def seed(engine: Engine, target: int, agents: int, rng_seed: int = 5) -> dict[str, int]:
    """Fill a migrated database; returns the row counts per draft state."""
    sessions = session_factory(engine)
    with sessions() as session:
        configured = load_departments(CONFIG_DIR / "departments.toml")[0]
        departments = {code: d.id for code, d in sync_departments(session, configured).items()}
        first = add_user(session, "agent01", PASSWORD, "agent")  # Argon2id: hash once, reuse
        session.add_all(
            User(username=f"agent{n:02d}", role="agent", password_hash=first.password_hash)
            for n in range(2, agents + 1)
        )
        session.commit()
    rows = build_rows(target, departments, rng_seed)
    insert_batches(engine, Post.__table__, rows.posts)
    insert_batches(engine, Classification.__table__, rows.labels)
    insert_batches(engine, Draft.__table__, rows.drafts)
    insert_batches(engine, AuditEntry.__table__, rows.audit)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("posts", "drafts"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) "
                        f"FROM {table}"
                    )
                )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))  # what autovacuum does within a minute of the load
    states: dict[str, int] = {}
    for d in rows.drafts:
        states[d["state"]] = states.get(d["state"], 0) + 1
    return {"posts": len(rows.posts), "audit": len(rows.audit), **states}


@contextmanager
def fresh_database(url: str | None, tmp: str) -> Iterator[str]:
    """A SQLite file in ``tmp``, or a new schema in the PostgreSQL database, dropped after."""
    if not url:
        yield f"sqlite:///{tmp}/console_load.sqlite3"
        return
    with scratch_schema(url, "bench") as scratch:
        yield scratch


# ---------------------------------------------------------------- the console process


@contextmanager
def console(url: str, threads: int, log_path: Path) -> Iterator[str]:
    """`forumbot serve` on a free port, in its own process; yields its base URL."""
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
                raise SystemExit(f"forumbot serve did not start: {log_path.read_text()[-2000:]}")
            base = line.split()[2]
            requests.get(f"{base}/healthz", timeout=30).raise_for_status()
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout:
                proc.stdout.close()


# ---------------------------------------------------------------- the agents

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
DRAFT_LINK = re.compile(r'href="/drafts/(\d+)"')
SELECT = re.compile(r'<select name="(\w+)">(.*?)</select>', re.S)
OPTION = re.compile(r'<option value="([^"]*)"')
PAGER = re.compile(r'href="(/queue\?[^"]*page=\d+[^"]*)"')


def queue_filters(html: str) -> dict[str, list[str]]:
    """The queue's filter form as the page offers it: select name -> non-empty values."""
    return {
        name: [v for v in OPTION.findall(body) if v]
        for name, body in SELECT.findall(html)
        if OPTION.findall(body)
    }


@dataclass
class Tally:
    """Latencies in seconds per page kind, and failed requests; shared by the agents."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {"queue": [], "item": []})
    views: dict[str, list[float]] = field(default_factory=dict)  # queue latencies per query
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, path: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if kind == "queue":
                self.views.setdefault(path, []).append(seconds)
        if status != 200:
            self.failed(f"{path}: HTTP {status}")

    def failed(self, what: str) -> None:
        with self.lock:
            self.errors += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(what)


def login(http: requests.Session, base: str, name: str) -> bool:
    """Log in as a person would: the form's CSRF token, then the POST; whether it worked."""
    form = http.get(f"{base}/login", timeout=30)
    answer = http.post(
        f"{base}/login",
        data={"username": name, "password": PASSWORD, "csrf_token": CSRF.search(form.text)[1]},
        allow_redirects=False,
        timeout=60,
    )
    return answer.status_code == 302


def queue_url(rng: random.Random, filters: dict[str, list[str]], pager: list[str]) -> str:
    """Mostly the default view (waiting for approval, least time left first); otherwise one
    or two of the form's filters, the actionable states more often than the archive."""
    roll = rng.random()
    if roll < 0.5 or not filters:
        return "/queue"
    if roll < 0.6 and pager:
        return rng.choice(pager)
    chosen = {}
    for name in rng.sample(sorted(filters), min(len(filters), rng.choice((1, 1, 2)))):
        values = filters[name]
        if name == "state" and rng.random() < 0.6:
            values = [
                v for v in values if v in ("pending_approval", "awaiting_specialist")
            ] or values
        chosen[name] = rng.choice(values)
    return "/queue?" + "&".join(f"{k}={v}" for k, v in chosen.items())


def agent(
    number: int,
    base: str,
    start: threading.Barrier,
    seconds: float,
    tally: Tally,
    filters: dict[str, list[str]],
) -> None:
    rng = random.Random(number)
    http = requests.Session()
    try:
        try:
            if not login(http, base, f"agent{number:02d}"):
                tally.failed(f"login agent{number:02d} refused")
        except requests.RequestException as exc:
            tally.failed(f"login agent{number:02d}: {type(exc).__name__}")
        start.wait()
        deadline = time.monotonic() + seconds
        seen: list[str] = []
        pager: list[str] = []
        while time.monotonic() < deadline:
            path = queue_url(rng, filters, pager)
            ids = fetch(http, base, path, "queue", tally)
            if ids is None:
                time.sleep(0.1)  # a failed page: do not spin
                continue
            ids, pager = ids
            seen = (seen + ids)[-200:]
            for draft_id in rng.sample(ids or seen, min(len(ids or seen), rng.choice((2, 3)))):
                if time.monotonic() >= deadline:
                    break
                fetch(http, base, f"/drafts/{draft_id}", "item", tally)
    finally:
        http.close()


def fetch(
    http: requests.Session, base: str, path: str, kind: str, tally: Tally
) -> tuple[list[str], list[str]] | None:
    started = time.perf_counter()
    try:
        response = http.get(base + path, allow_redirects=False, timeout=60)
    except requests.RequestException as exc:
        tally.failed(f"{path}: {type(exc).__name__}")
        return None
    tally.add(kind, path, time.perf_counter() - started, response.status_code)
    if kind != "queue" or response.status_code != 200:
        return None
    return DRAFT_LINK.findall(response.text), PAGER.findall(response.text.replace("&amp;", "&"))


def percentiles(values: list[float]) -> dict[str, float | int]:
    ordered = sorted(values)

    def at(p: float) -> float:
        if not ordered:
            return 0.0
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 1)

    return {"p50_ms": at(50), "p95_ms": at(95), "p99_ms": at(99), "n": len(ordered)}


def run_load(base: str, agents: int, seconds: float) -> tuple[Tally, float]:
    with requests.Session() as probe:
        if not login(probe, base, "agent01"):
            raise SystemExit("the console refused the benchmark's login")
        filters = queue_filters(probe.get(f"{base}/queue", timeout=60).text)
    print(f"queue filters on the page: {sorted(filters)}", file=sys.stderr)
    tally = Tally()
    start = threading.Barrier(agents + 1)
    threads = [
        threading.Thread(target=agent, args=(n, base, start, seconds, tally, filters), daemon=True)
        for n in range(1, agents + 1)
    ]
    for t in threads:
        t.start()
    start.wait(timeout=300)
    began = time.monotonic()
    report = 10.0
    while any(t.is_alive() for t in threads):
        time.sleep(0.5)
        elapsed = time.monotonic() - began
        if elapsed >= report or not any(t.is_alive() for t in threads):
            report += 10
            with tally.lock:
                done = sum(len(v) for v in tally.latencies.values())
                queue_p95 = percentiles(tally.latencies["queue"])["p95_ms"]
            print(
                f"{elapsed:5.0f}s  {done} requests  {done / elapsed:.1f}/s  "
                f"queue p95 {queue_p95} ms  errors {tally.errors}  "
                f"load {os.getloadavg()[0]:.1f}",
                file=sys.stderr,
            )
    return tally, time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", help="PostgreSQL URL (default: a fresh SQLite file)")
    parser.add_argument("--drafts", type=int, default=100_000)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=4, help="waitress worker threads")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, fresh_database(args.database, tmp) as url:
        engine = make_engine(url)
        backend = engine.dialect.name
        try:
            migrate(engine)
            began = time.perf_counter()
            counts = seed(engine, args.drafts, args.agents)
            print(
                f"seeded {backend} in {time.perf_counter() - began:.1f}s: {counts}",
                file=sys.stderr,
            )
        finally:
            engine.dispose()
        with console(url, args.threads, Path(tmp) / "serve.log") as base:
            tally, elapsed = run_load(base, args.agents, args.seconds)
    views = [(percentiles(v)["p95_ms"], len(v), view) for view, v in tally.views.items()]
    for p95, n, view in sorted((v for v in views if v[1] >= 3), reverse=True)[:5]:
        print(f"slow queue view: p95 {p95} ms over {n} loads  {view}", file=sys.stderr)
    if tally.error_samples:
        print(f"errors, e.g.: {tally.error_samples}", file=sys.stderr)
    everything = tally.latencies["queue"] + tally.latencies["item"]
    queue = percentiles(tally.latencies["queue"])
    result = {
        "bench": "console_load",
        "database": backend,
        "drafts": args.drafts,
        "agents": args.agents,
        "seconds": args.seconds,
        "threads": args.threads,
        "requests": len(everything),
        "rps": round(len(everything) / elapsed, 1),
        "queue": queue,
        "item": percentiles(tally.latencies["item"]),
        "all": percentiles(everything),
        "errors": tally.errors,
        "goal_queue_p95_ms": GOAL_QUEUE_P95_MS,
        "met": queue["p95_ms"] < GOAL_QUEUE_P95_MS and tally.errors == 0,
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
