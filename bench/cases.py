"""Cases benchmark: what the bot makes of whole forums, as a user runs it.

1. The sandbox's seeded forum as shipped: `forumbot migrate`, then `forumbot run --once` (each
   a process of its own) until a round adds no draft and every post is filed.
2. A generated forum (bench/forum_threads.py): 2,000 topics over 90 days with real forum
   habits and planted incidents, posted through the sandbox's control route in time order;
   the bot's jobs, built by forumbot.runtime.build_bot from the same settings as
   `forumbot run`, run in this process one round per forum day (a process per round would
   not fit in five minutes).

Both against a sandbox in its own process (--rate-limit 0) and a fresh SQLite database. Then
the database is read: cases, drafts and what waits for an agent (goals: at most one per case,
drafts within 1.2 x cases), department requests and incidents; for the generated forum also
each reply's role against the ground truth (confusion table on stderr) and the incident
grouping as pairwise precision and recall (goal >= 0.9 each). Nobody approves anything.

The control route takes no created_at; the generated times reach the bot through its
``override`` field (the post's JSON as the forum serves it), as a real forum's history would.
Prints one JSON line at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import combinations
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parent))
from _sandbox import control, sandbox_process
from forum_threads import ABUSE, CHATTER, OPENER, SECOND, SUPPORTER, UPDATE, Forum, generate

from forumbot.config import load_settings
from forumbot.runtime import build_bot
from forumbot.storage.database import make_engine, session_factory
from forumbot.storage.models import Case, DepartmentRequest, Draft, Incident, Post
from forumbot.storage.stages import DRAFTED

ROOT = Path(__file__).resolve().parents[1]
WAITING_FOR_AGENT = ("pending_approval", "failed")
MAX_CLI_RUNS = 20
PREDICTED = (OPENER, SECOND, UPDATE, SUPPORTER, CHATTER, ABUSE, "none", "missing")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bot_env(url: str, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "FORUMBOT_DATABASE_URL": database_url,
        "FORUMBOT_FORUM_BASE_URL": url,
        "FORUMBOT_FORUM_REQUESTS_PER_MINUTE": "0",
        "DISCOURSE_API_KEY": "sandbox-admin-key",
        "DISCOURSE_API_USERNAME": "forumbot",
    }


def forumbot(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "forumbot", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return done.stdout.strip()


def ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


# -- what the database holds --------------------------------------------------------------------
def headline(sessions) -> dict:  # type: ignore[no-untyped-def]
    """Cases, drafts, what waits for an agent, department requests and incidents."""
    with sessions() as s:
        cases = s.scalars(select(Case)).all()
        drafts = s.scalars(select(Draft)).all()
        requests = s.scalars(select(DepartmentRequest)).all()
        incidents = s.scalars(select(Incident)).all()
        replies = [d for d in drafts if d.kind == "reply" and d.state != "superseded"]
        waiting = [d for d in replies if d.state in WAITING_FOR_AGENT]
        per_case = Counter(d.case_id for d in waiting if d.case_id is not None)
        by_id = {c.id: c for c in cases}
        per_topic = Counter(by_id[d.case_id].topic_id for d in waiting if d.case_id in by_id)
        members = Counter(c.incident_id for c in cases if c.incident_id is not None)
        sizes = Counter(members.values())
        # one open request per incident, whichever member case it was written for
        per_incident = Counter(
            by_id[r.case_id].incident_id
            for r in requests
            if r.state == "open" and r.case_id in by_id and by_id[r.case_id].incident_id
        )
        return {
            "posts": len(s.scalars(select(Post.id)).all()),
            "topics": len(set(s.scalars(select(Post.topic_id)).all())),
            "cases": len(cases),
            "drafts": len(replies),
            "drafts_per_case": ratio(len(replies), len(cases)),
            "drafts_without_holding": sum(1 for d in replies if d.style != "holding"),
            "waiting": len(waiting),
            "waiting_without_case": sum(1 for d in waiting if d.case_id is None),
            "max_waiting_per_case": max(per_case.values(), default=0),
            "cases_waiting_more_than_one": sum(1 for n in per_case.values() if n > 1),
            "max_waiting_per_topic": max(per_topic.values(), default=0),
            "awaiting_specialist": sum(1 for d in replies if d.state == "awaiting_specialist"),
            "holding_replies": sum(1 for d in replies if d.style == "holding"),
            "moderation_proposals": sum(1 for d in drafts if d.kind != "reply"),
            "superseded": sum(1 for d in drafts if d.state == "superseded"),
            "department_requests": len(requests),
            "department_requests_open": sum(1 for r in requests if r.state == "open"),
            "incidents": len(incidents),
            "incident_sizes": {str(n): sizes[n] for n in sorted(sizes)},  # size: incidents
            "incidents_spiked": sum(1 for i in incidents if i.spike_alerted_at is not None),
            "max_open_requests_per_incident": max(per_incident.values(), default=0),
        }


def goals(figures: dict) -> dict:
    return {
        "max_waiting_per_case_le_1": figures["max_waiting_per_case"] <= 1,
        "drafts_le_1.2x_cases": figures["drafts"] <= 1.2 * figures["cases"],
    }


def unfiled(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return len(s.scalars(select(Post.id).where(Post.stage != DRAFTED)).all())


def draft_rows(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return len(s.scalars(select(Draft.id)).all())


# -- 1. the seeded forum, with the command line ----------------------------------------------------
def seeded(tmp: Path) -> dict:
    started = time.perf_counter()
    database_url = f"sqlite:///{tmp / 'seeded.sqlite3'}"
    with sandbox_process("--rate-limit", "0") as url:
        env = bot_env(url, database_url)
        log(forumbot(env, "migrate"))
        engine = make_engine(database_url)
        sessions = session_factory(engine)
        drafts, runs = -1, 0
        while runs < MAX_CLI_RUNS:
            runs += 1
            log(f"seeded run {runs}: {forumbot(env, 'run', '--once')}")
            if draft_rows(sessions) == drafts and not unfiled(sessions):
                break  # no new draft in this round, and every post filed
            drafts = draft_rows(sessions)
        figures = headline(sessions)
        engine.dispose()
    figures |= {"cli_runs": runs, "seconds": round(time.perf_counter() - started, 1)}
    return figures | {"goals": goals(figures)}


# -- 2. the generated forum ---------------------------------------------------------------------
def post_all(url: str, forum: Forum, bot, sessions) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """Post the forum in time order, one bot round per forum day; returns key -> forum id."""
    forum_ids: dict[int, int] = {}
    topic_ids: dict[int, int] = {}
    rounds = 0
    days = sorted({p.at.date() for p in forum.posts})
    by_day = defaultdict(list)
    for post in forum.posts:
        by_day[post.at.date()].append(post)
    for n, day in enumerate(days, 1):
        for post in by_day[day]:
            stamp = f"{post.at:%Y-%m-%dT%H:%M:%S}.000Z"
            fields = {"override": {"created_at": stamp, "updated_at": stamp}}
            if post.post_number == 1:
                fields |= {"title": post.title, "category_id": post.category}
            else:
                fields["topic_id"] = topic_ids[post.topic]
                if post.reply_to is not None:
                    fields["reply_to_post_number"] = post.reply_to.post_number
            raw = post.raw.replace("{topic}", str(topic_ids.get(post.topic)))
            made = control(url, "POST", "posts", username=post.username, raw=raw, **fields)
            assert made["post_number"] == post.post_number, (made, post.post_number)
            topic_ids[post.topic] = made["topic_id"]
            forum_ids[post.key] = made["id"]
        rounds += bot_round(bot)
        if n % 10 == 0:
            log(f"generated: day {n}/{len(days)}, {len(forum_ids)} posts, {rounds} rounds")
    while unfiled(sessions) and rounds < 10 * len(days):
        rounds += bot_round(bot)
    return forum_ids


def bot_round(bot) -> int:  # type: ignore[no-untyped-def]
    """What `forumbot run --once` does, repeated until a round takes in and drafts nothing."""
    rounds = 0
    while True:
        rounds += 1
        polled = bot.poller.run_once().store.stored
        labelled = bot.labeller.run_once()
        drafted = bot.drafting.run_once() + bot.followups.run_once() + bot.satisfaction.run_once()
        bot.publisher.run_once()
        if not (polled or labelled or drafted) or rounds >= 20:
            return rounds


def predicted_roles(sessions, forum: Forum, forum_ids: dict[int, int]) -> dict[int, tuple]:  # type: ignore[no-untyped-def]
    """key -> (predicted role, case id) for every generated post."""
    with sessions() as s:
        rows = {
            r.forum_post_id: r
            for r in s.execute(
                select(Post.forum_post_id, Post.post_number, Post.case_role, Post.case_id)
            )
        }
    result = {}
    for post in forum.posts:
        row = rows.get(forum_ids[post.key])
        if row is None:
            result[post.key] = ("missing", None)
        elif row.case_role == OPENER and row.post_number > 1:
            result[post.key] = (SECOND, row.case_id)
        else:
            result[post.key] = (row.case_role or "none", row.case_id)
    return result


def role_quality(forum: Forum, predicted: dict[int, tuple]) -> dict:
    table: Counter[tuple[str, str]] = Counter()
    examples: dict[tuple[str, str], list[str]] = defaultdict(list)
    for post in forum.posts:
        got = predicted[post.key][0]
        table[post.role, got] += 1
        if got != post.role and len(examples[post.role, got]) < 3:
            examples[post.role, got].append(post.raw.replace("\n", " ")[:60])
    truths = [r for r in PREDICTED if any(table[r, g] for g in PREDICTED)]
    log("roles: truth (rows) x bot (columns)")
    log(f"{'':>14}" + "".join(f"{g:>14}" for g in PREDICTED))
    for truth in truths:
        log(f"{truth:>14}" + "".join(f"{table[truth, g]:>14}" for g in PREDICTED))
    for (truth, got), texts in sorted(examples.items()):
        log(f"  {truth} filed as {got}: " + " | ".join(texts))
    quality = {}
    for role in (SUPPORTER, UPDATE, CHATTER, SECOND, OPENER, ABUSE):
        hit = table[role, role]
        truly = sum(table[role, g] for g in PREDICTED)
        said = sum(table[t, role] for t in PREDICTED)
        quality[role] = {
            "truth": truly,
            "precision": ratio(hit, said),
            "recall": ratio(hit, truly),
        }
    return quality


def case_of_matter(sessions, forum: Forum, forum_ids: dict[int, int]) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """matter id -> the case the bot opened on its post (if it opened one there)."""
    with sessions() as s:
        opened = dict(
            s.execute(
                select(Post.forum_post_id, Case.id).join(Case, Case.opening_post_id == Post.id)
            ).all()
        )
    matters = {}
    for post in forum.posts:
        if post.role in (OPENER, SECOND) and forum_ids[post.key] in opened:
            matters[post.matter] = opened[forum_ids[post.key]]
    return matters


def pairs(groups: Iterable[list]) -> set[frozenset]:
    return {frozenset(p) for g in groups for p in combinations(g, 2)}


def incident_quality(sessions, forum: Forum, cases: dict[int, int]) -> dict:  # type: ignore[no-untyped-def]
    """Pairwise precision and recall of the bot's incidents against the planted ones."""
    matter_of_case = {case: matter for matter, case in cases.items()}
    suggested: dict[int, list] = defaultdict(list)
    places: dict[int, Counter[str]] = defaultdict(Counter)
    with sessions() as s:
        query = select(Case.id, Case.incident_id, Case.place).where(Case.incident_id.is_not(None))
        for case_id, incident_id, place in s.execute(query):
            # a case on no matter of its own is a misfiled reply
            suggested[incident_id].append(matter_of_case.get(case_id, f"case {case_id}"))
            places[incident_id][place] += 1
    truth = pairs(forum.incidents.values())
    said = pairs(suggested.values())
    right = truth & said
    found = [i for i, ms in forum.incidents.items() if pairs([ms]) & said]
    truth_found = pairs(forum.incidents[i] for i in found)
    wrong = Counter()
    for pair in said - truth:
        kinds = [forum.matters[m].near_miss if isinstance(m, int) else "not_a_matter" for m in pair]
        wrong[next((k for k in kinds if k), "unrelated")] += 1
    for incident_id, members in sorted(suggested.items(), key=lambda i: -len(i[1]))[:8]:
        faults = Counter(forum.matters[m].fault.name for m in members if isinstance(m, int))
        log(f"incident {incident_id}: {len(members)} cases, places {dict(places[incident_id])}")
        log(f"  true faults {dict(faults)}")
    planted = {frozenset(ms) for ms in forum.incidents.values()}
    groups = [frozenset(g) for g in suggested.values()]
    incident_of = {m: i for i, ms in forum.incidents.items() for m in ms}
    return {
        "planted": len(forum.incidents),
        "planted_cases": sum(len(ms) for ms in forum.incidents.values()),
        "planted_matters_without_case": sum(
            1 for ms in forum.incidents.values() for m in ms if m not in cases
        ),
        "suggested": len(suggested),
        "suggested_cases": sum(len(g) for g in suggested.values()),
        "pairs_planted": len(truth),
        "pairs_suggested": len(said),
        "pairs_right": len(right),
        "precision": ratio(len(right), len(said)),
        "recall": ratio(len(right), len(truth)),
        "planted_found": len(found),
        "recall_on_found": ratio(len(right & truth_found), len(truth_found)),
        "planted_exact": sum(1 for g in groups if g in planted),
        "suggested_pure": sum(
            1 for g in groups if len({incident_of.get(m, ("none", m)) for m in g}) == 1
        ),
        "wrong_pairs_by_kind": dict(wrong),
    }


def generated(tmp: Path) -> dict:
    started = time.perf_counter()
    forum = generate()
    truth_roles = Counter(p.role for p in forum.posts)
    topics = len({p.topic for p in forum.posts})
    log(f"generated forum: {topics} topics, {len(forum.posts)} posts, {dict(truth_roles)}")
    database_url = f"sqlite:///{tmp / 'generated.sqlite3'}"
    with sandbox_process("--no-seed", "--rate-limit", "0") as url:
        env = bot_env(url, database_url)
        log(forumbot(env, "migrate"))
        bot = build_bot(load_settings(environ=env))
        try:
            assert bot.labeller is not None, "no classifier model: run train.py"
            forum_ids = post_all(url, forum, bot, bot.sessions)
            took = round(time.perf_counter() - started, 1)
            figures = headline(bot.sessions)
            predicted = predicted_roles(bot.sessions, forum, forum_ids)
            cases = case_of_matter(bot.sessions, forum, forum_ids)
            incidents = incident_quality(bot.sessions, forum, cases)
        finally:
            bot.close()
    right_case = sum(
        1
        for p in forum.posts
        if p.role == SUPPORTER
        and predicted[p.key][0] == SUPPORTER
        and predicted[p.key][1] == cases.get(p.matter)
    )
    said_supporter = sum(1 for p in forum.posts if predicted[p.key][0] == SUPPORTER)
    figures |= {
        "topics": topics,
        "matters": len(forum.matters),
        "roles": role_quality(forum, predicted),
        "supporters_in_right_case": ratio(right_case, truth_roles[SUPPORTER]),
        "supporter_posts_said": said_supporter,
        "incident_grouping": incidents,
        "seconds": took,
    }
    pair_goals = {
        "incident_precision_ge_0.9": (incidents["precision"] or 0) >= 0.9,
        "incident_recall_ge_0.9": (incidents["recall"] or 0) >= 0.9,
    }
    return figures | {"goals": goals(figures) | pair_goals}


def main() -> None:
    os.chdir(ROOT)  # config/, models/ and reply_templates/ are found from here, as for make
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-cases-") as tmp:
        first = seeded(Path(tmp))
        log(f"seeded: {json.dumps(first, ensure_ascii=False)}")
        second = generated(Path(tmp))
    result = {
        "bench": "cases",
        "seeded": first,
        "generated": second,
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
