"""The cases migration (0005) on a database the release before cases wrote: every row an
installation has is still there afterwards, with the same ids and the same texts and
approvals, and each owner's matter has become a case with its drafts and requests.

The fixture (tests/data/release-0.1.0.sqlite3.gz, made by tests/data/make_release_db.py with
forumbot 0.1.0) is upgraded as it is on SQLite and, when FORUMBOT_TEST_DATABASE_URL is set,
copied into a PostgreSQL schema built by the migrations up to 0004 and upgraded there.
What the test expects is derived from the fixture's own rows, not from fixed ids.
"""

from __future__ import annotations

import gzip
import os
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, select, text

from forumbot.storage.database import MIGRATIONS, make_engine, migrate, scratch_schema

FIXTURE = Path(__file__).parent / "data" / "release-0.1.0.sqlite3.gz"
PG_URL = os.environ.get("FORUMBOT_TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]

# The tables whose rows must all survive, with their ids.
KEPT = (
    "posts",
    "drafts",
    "audit_log",
    "department_requests",
    "classifications",
    "followups",
    "users",
)
# The labels the release gave to posts it answers (it wrote property_management, not property).
RELEASE_VALID_LABELS = frozenset(
    {"engineering", "planning", "sales", "property_management", "service", "inquiry"}
)
ROLES = frozenset({"opener", "update", "supporter", "chatter", "abuse"})
PENDING = frozenset({"pending_approval", "failed"})
WAITING = PENDING | {"awaiting_specialist"}
# What make_release_db.py posted as neighbours and owners after the first replies.
ME_TOO = frozenset({"+1", "同问", "我家也是", "同问+1，我家也是这样"})
OWNER_FOLLOW_UP = "更新一下：到今天还是没有人联系我"
SECOND_OWNER = "我家是桃源村8栋1201"

Rows = dict[str, dict[int, dict[str, Any]]]


@dataclass
class Upgraded:
    """The fixture's rows before the migration, and the same tables (and cases) after it."""

    before: Rows
    after: Rows

    def label(self, post_id: int) -> str | None:
        """The post's latest label, as the release saw it (the newest classification)."""
        rows = [c for c in self.before["classifications"].values() if c["post_id"] == post_id]
        return max(rows, key=lambda c: c["id"])["label"] if rows else None

    def topics(self) -> dict[int, list[dict[str, Any]]]:
        """The migrated posts of every topic, in post_number order."""
        topics: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for post in sorted(self.after["posts"].values(), key=lambda p: p["post_number"]):
            topics[post["topic_id"]].append(post)
        return topics

    def drafts_of(self, post_id: int) -> list[dict[str, Any]]:
        return [d for d in self.after["drafts"].values() if d["post_id"] == post_id]

    def moved(self) -> set[int]:
        """Drafts the migration superseded."""
        return {
            i
            for i, d in self.before["drafts"].items()
            if d["state"] != "superseded" and self.after["drafts"][i]["state"] == "superseded"
        }


def _alembic(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def _rows(engine: Engine, tables: tuple[str, ...]) -> Rows:
    meta = MetaData()
    meta.reflect(engine, only=tables)
    with engine.connect() as conn:
        return {
            name: {
                row["id"]: dict(row)
                for row in conn.execute(select(meta.tables[name]).order_by(meta.tables[name].c.id))
                .mappings()
                .all()
            }
            for name in tables
        }


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _copy_rows(source: Engine, target: Engine) -> None:
    """Every row of every table, parents first, then the id sequences past the copied ids."""
    src, dst = MetaData(), MetaData()
    src.reflect(source)
    dst.reflect(target)
    with source.connect() as read, target.begin() as write:
        for table in src.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = [dict(r) for r in read.execute(select(table)).mappings()]
            if rows:
                write.execute(dst.tables[table.name].insert(), rows)
        for table in dst.sorted_tables:
            if "id" in table.c:
                write.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"coalesce(max(id), 1), max(id) IS NOT NULL) FROM {table.name}"
                    )
                )


def _unpack(folder: Path) -> Engine:
    """A copy of the release's database file (the fixture itself is never written)."""
    path = folder / "forumbot.sqlite3"
    with gzip.open(FIXTURE) as packed, path.open("wb") as out:
        shutil.copyfileobj(packed, out)
    return make_engine(f"sqlite:///{path}")


@pytest.fixture(scope="module", params=BACKENDS)
def upgraded(request, tmp_path_factory) -> Iterator[Upgraded]:
    """The release's database, upgraded to head on the backend under test."""
    release = _unpack(tmp_path_factory.mktemp("release"))
    assert _revision(release) == "0004"
    before = _rows(release, KEPT)
    try:
        if request.param == "sqlite":
            migrate(release)
            yield Upgraded(before, _rows(release, (*KEPT, "cases")))
            return
        assert PG_URL
        with scratch_schema(PG_URL, "t") as url:
            engine = make_engine(url)
            try:
                command.upgrade(_alembic(engine), "0004")
                _copy_rows(release, engine)
                assert _rows(engine, KEPT) == before
                migrate(engine)
                yield Upgraded(before, _rows(engine, (*KEPT, "cases")))
            finally:
                engine.dispose()
    finally:
        release.dispose()


def test_the_fixture_has_what_people_work_with(tmp_path) -> None:
    """The release database holds every draft state and request state the migration meets."""
    release = _unpack(tmp_path)
    try:
        assert _revision(release) == "0004"
        rows = _rows(release, KEPT)
    finally:
        release.dispose()
    assert {
        "published",
        "approved",
        "pending_approval",
        "awaiting_specialist",
        "rejected",
        "superseded",
        "failed",
    } <= {d["state"] for d in rows["drafts"].values()}
    assert {"open", "answered"} <= {r["state"] for r in rows["department_requests"].values()}
    assert rows["followups"] and rows["users"]
    assert any(c["source"] == "reviewer" for c in rows["classifications"].values())


def test_every_row_is_kept_with_its_id(upgraded: Upgraded) -> None:
    """Nothing is deleted or renumbered; posts, labels, requests, promises and accounts keep
    every value they had (the new columns aside)."""
    for table in KEPT:
        before, after = upgraded.before[table], upgraded.after[table]
        if table == "audit_log":
            assert set(before) <= set(after)
            assert all(i > max(before) for i in set(after) - set(before))
        else:
            assert sorted(after) == sorted(before), table
        if table == "drafts":
            continue
        moved = upgraded.moved()
        for row_id, row in before.items():
            kept = {column: upgraded.after[table][row_id][column] for column in row}
            if table == "department_requests" and row["draft_id"] in moved:
                # The request waited on a draft the migration retired: closed, with why.
                assert row["state"] != "open" or kept["state"] == "closed", row_id
                assert kept["closed_reason"] or row["state"] != "open", row_id
                kept = {**kept, "state": row["state"], "closed_reason": row["closed_reason"]}
            assert kept == row, f"{table} #{row_id}"


def test_drafts_keep_text_and_approval_only_pending_side_drafts_are_superseded(
    upgraded: Upgraded,
) -> None:
    """A reviewer's work survives: texts, states and approvals are as they were, except the
    drafts still waiting that were written for neighbours' posts, and a case's second reply
    waiting for an agent: those are superseded, each with its reason in the audit log."""
    after_posts = upgraded.after["posts"]
    expected: set[int] = set()
    kept_waiting: set[int] = set()
    for i, d in sorted(upgraded.before["drafts"].items()):
        post = after_posts[d["post_id"]]
        if d["kind"] != "reply" or post["case_id"] is None:
            continue
        if post["case_role"] in {"supporter", "chatter"} and d["state"] in WAITING:
            expected.add(i)  # a neighbour's post gets no reply of its own
        elif d["state"] in PENDING and d["style"] != "holding":
            if post["case_id"] in kept_waiting:
                expected.add(i)  # one reply waiting for an agent per case
            kept_waiting.add(post["case_id"])
    moved = upgraded.moved()
    assert moved == expected
    assert moved, "the fixture has pending drafts on neighbours' posts"
    for draft_id, old in upgraded.before["drafts"].items():
        new = upgraded.after["drafts"][draft_id]
        for field in ("text", "approved_by", "approved_text_sha256", "post_id", "public_id"):
            assert new[field] == old[field], f"draft #{draft_id} {field}"
        if draft_id in moved:
            assert new["state"] == "superseded"
        else:
            assert {c: new[c] for c in old} == old, f"draft #{draft_id}"

    before_ids = set(upgraded.before["audit_log"])
    added = [r for i, r in upgraded.after["audit_log"].items() if i not in before_ids]
    assert all(r["actor"] == "system:migration" for r in added)
    assert all(r["action"] == "case_migration" for r in added)
    for row in added:
        assert row["entity_type"] == "draft"
        assert row["entity_id"] in moved
        assert row["from_state"] == upgraded.before["drafts"][row["entity_id"]]["state"]
        assert row["to_state"] == "superseded"
    assert Counter(r["entity_id"] for r in added) == Counter(moved)


def test_each_topic_opens_a_case_for_its_first_valid_post(upgraded: Upgraded) -> None:
    """The first post of a topic with a label the centre answers is a case of its author,
    in the state its replies and requests say; later posts of that owner update it."""
    cases = upgraded.after["cases"]
    by_opening = {c["opening_post_id"]: c for c in cases.values()}
    assert len(by_opening) == len(cases)
    opened = 0
    for topic_id, posts in upgraded.topics().items():
        first = next((p for p in posts if upgraded.label(p["id"]) in RELEASE_VALID_LABELS), None)
        if first is None:
            assert not [c for c in cases.values() if c["topic_id"] == topic_id], topic_id
            continue
        opened += 1
        case = by_opening.get(first["id"])
        assert case is not None, f"topic {topic_id}: no case for post #{first['id']}"
        assert (case["topic_id"], case["owner"]) == (topic_id, first["username"])
        assert (first["case_role"], first["case_id"]) == ("opener", case["id"])
        for later in posts:
            if later["post_number"] > first["post_number"] and later["username"] == case["owner"]:
                assert (later["case_role"], later["case_id"]) == ("update", case["id"])
    assert opened > 40

    for case in cases.values():
        opening = upgraded.after["posts"][case["opening_post_id"]]
        assert upgraded.label(opening["id"]) in RELEASE_VALID_LABELS
        assert (opening["case_role"], opening["case_id"]) == ("opener", case["id"])
        drafts = [d for d in upgraded.after["drafts"].values() if d["case_id"] == case["id"]]
        requests = [
            r for r in upgraded.after["department_requests"].values() if r["case_id"] == case["id"]
        ]
        # A published holding reply only says the department was asked: still waiting.
        if any(d["state"] == "published" and d["style"] != "holding" for d in drafts):
            state = "answered"
        elif any(r["state"] == "open" for r in requests):
            state = "waiting_department"
        else:
            state = "open"
        assert case["state"] == state, f"case #{case['id']}"


def test_every_post_has_a_role(upgraded: Upgraded) -> None:
    """Each post is an opener, update, supporter, chatter or abuse; abuse stays abuse."""
    for post in upgraded.after["posts"].values():
        assert post["case_role"] in ROLES, f"post #{post['id']}"
        if upgraded.label(post["id"]) == "abuse":
            assert post["case_role"] == "abuse", f"post #{post['id']}"
        if post["case_role"] in {"update", "supporter"}:
            assert post["case_id"] in upgraded.after["cases"], f"post #{post['id']}"


def test_drafts_and_requests_carry_their_posts_case(upgraded: Upgraded) -> None:
    """A reply draft, and a department request through its draft, belong to the case of the
    post they answer; a post outside every case leaves its drafts outside too. A proposal to
    the moderators (a flag) is about the post, not the case, as the drafter now writes it."""
    posts, drafts = upgraded.after["posts"], upgraded.after["drafts"]
    assert any(d["case_id"] is not None for d in drafts.values())
    for draft in drafts.values():
        case_id = posts[draft["post_id"]]["case_id"] if draft["kind"] == "reply" else None
        assert draft["case_id"] == case_id, f"draft #{draft['id']} ({draft['kind']})"
    for request in upgraded.after["department_requests"].values():
        case_id = posts[drafts[request["draft_id"]]["post_id"]]["case_id"]
        assert request["case_id"] == case_id, f"request #{request['id']}"
        assert request["incident_id"] is None


def test_a_case_keeps_one_reply_waiting_for_an_agent(upgraded: Upgraded) -> None:
    """Agents find at most one reply to approve per case (besides the holding reply), and
    none for a neighbour's post. The fixture has cases whose owner wrote twice, each post
    with its own pending reply in the release: one of them stays."""
    posts = upgraded.after["posts"]
    pending = [
        d
        for d in upgraded.after["drafts"].values()
        if d["case_id"] is not None
        and d["kind"] == "reply"
        and d["state"] == "pending_approval"
        and d["style"] != "holding"
    ]
    assert pending
    assert {posts[d["post_id"]]["case_role"] for d in pending} <= {"opener", "update"}
    per_case = Counter(d["case_id"] for d in pending)
    assert [case for case, n in per_case.items() if n > 1] == []
    twice = Counter(p["case_id"] for p in posts.values() if p["case_role"] == "update")
    assert twice, "the fixture has an owner who wrote again"


def test_neighbours_me_too_is_support_without_a_reply(upgraded: Upgraded) -> None:
    """ "+1", "同问", "我家也是" in a topic with a case support it and keep no pending draft,
    though the release had drafted one; the owner's follow-up updates their case; a second
    owner's own complaint is a second case."""
    posts = upgraded.after["posts"].values()
    cases = upgraded.after["cases"]
    me_too = [p for p in posts if p["raw"].strip() in ME_TOO]
    assert {p["raw"].strip() for p in me_too} == ME_TOO
    for post in me_too:
        if not [c for c in cases.values() if c["topic_id"] == post["topic_id"]]:
            continue
        case = cases.get(post["case_id"])
        assert post["case_role"] == "supporter" and case is not None, f"post #{post['id']}"
        assert case["topic_id"] == post["topic_id"]
        assert not [d for d in upgraded.drafts_of(post["id"]) if d["state"] in PENDING]
    drafted = {d["post_id"] for d in upgraded.before["drafts"].values() if d["state"] in PENDING}
    assert drafted & {p["id"] for p in me_too}, "the release drafted a reply to a me-too"

    (follow_up,) = [p for p in posts if p["raw"].startswith(OWNER_FOLLOW_UP)]
    case = cases[follow_up["case_id"]]
    assert (follow_up["case_role"], case["owner"]) == ("update", follow_up["username"])

    (second,) = [p for p in posts if p["raw"].startswith(SECOND_OWNER)]
    case = cases[second["case_id"]]
    assert second["case_role"] == "opener"
    assert (case["owner"], case["opening_post_id"]) == (second["username"], second["id"])
