"""Build ``tests/data/release-0.1.0.sqlite3.gz``: a database written by the release before
cases, so that the cases migration (0005) is tested on the data people really have.

The database is made by forumbot 0.1.0 as released, commit
e87cf2bac71d29c9f4456556104f37782850f729 (Alembic revision 0004), and only through its own
commands: its sandbox forum (seeded), ``forumbot run --once``, ``queue approve / reject /
relabel``, ``dept answer`` and ``users add``, with owners' new posts and an edit made through
the sandbox's ``/_sandbox`` control routes in between. Nothing is written to the database by
this script; it reads it (sqlite3) only to choose what a reviewer would act on.

What the result holds: published, approved, pending, awaiting-specialist, rejected,
superseded and failed drafts; open and answered department requests; promises (follow-ups);
reviewer corrections; console accounts; neighbours' "+1" / "同问" / "我家也是" replies and an
owner's follow-up (edited after it was drafted) in a topic whose first reply was published.
The failed draft is the one step not taken through a command: the release's publisher is
run alone (its Python API, in a subprocess) while the sandbox answers every request with a
500, with one attempt allowed.

To rebuild it, from the repository root, with the project's venv:

    git worktree add ../forumbot-0.1.0 e87cf2bac71d29c9f4456556104f37782850f729
    .venv/bin/python tests/data/make_release_db.py --release ../forumbot-0.1.0
    git worktree remove ../forumbot-0.1.0

Draft wording varies between runs (the drafter picks phrasings at random) and times follow
the clock, so a rebuilt file differs in bytes; tests/test_migration_cases.py derives what it
expects from the rows themselves and does not depend on particular ids.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path
from typing import Any

RELEASE_COMMIT = "e87cf2bac71d29c9f4456556104f37782850f729"
RELEASE_REVISION = "0004"
OUTPUT = Path(__file__).with_name("release-0.1.0.sqlite3.gz")
REVIEWER = "李娜"
ENGINEER = "工程部刘工"
PROPERTY = "物业公司王经理"
PASSWORD = "release-fixture-2025"
ACCOUNTS = (
    (REVIEWER, "--role", "agent"),
    (ENGINEER, "--role", "specialist", "--department", "engineering"),
    (PROPERTY, "--role", "specialist", "--department", "property"),
    ("管理员", "--role", "admin"),
)
# Who answers which department's first open request, and the answer.
ANSWERS = {
    "engineering": (ENGINEER, "经现场查看，渗水点在楼上卫生间防水层，已安排本周五上门重做防水。"),
    "property": (PROPERTY, "经核实，费用明细已在公告栏和业主APP公示，可到客服中心查阅票据。"),
}
# One round of the release's publisher alone (``run --once`` would poll the forum first).
PUBLISH_ONCE = """
from forumbot.config import load_settings
from forumbot.runtime import build_bot
bot = build_bot(load_settings())
try:
    done = bot.publisher.run_once()
    print(f"published {len(done.published)}, failed {len(done.failed)}")
finally:
    bot.close()
"""
DRAFT_STATES = (
    "published", "approved", "pending_approval", "awaiting_specialist", "rejected", "superseded",
    "failed",
)  # fmt: skip
WHERE = "import forumbot; print(forumbot.__file__)"
SANDBOX_ARGS = ("--rate-limit", "0", "--memoize-seconds", "0")
ME_TOO = (("bobo_cat", "+1"), ("liu_yang", "同问"), ("kevin_huang", "我家也是"))


class Release:
    """The released code: every forumbot command runs from its checkout and against one file."""

    def __init__(self, tree: Path, database: Path, forum_url: str):
        self.tree = tree
        self.database = database
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("FORUMBOT_")},
            "PYTHONPATH": str(tree),
            "FORUMBOT_DATABASE_URL": f"sqlite:///{database}",
            "FORUMBOT_FORUM_BASE_URL": forum_url,
            "DISCOURSE_API_KEY": "sandbox-admin-key",
            "DISCOURSE_API_USERNAME": "forumbot",
        }

    def python(self, *argv: str, stdin: str | None = None, **env: str) -> tuple[int, str]:
        """Run the release's code in this venv; the exit status and what it printed."""
        done = subprocess.run(
            [sys.executable, *argv],
            cwd=self.tree,
            env={**self.env, **env},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=600,
        )
        shown = "python -c …" if argv[0] == "-c" else " ".join(argv)
        print(f"$ {shown}\n  {done.stdout.strip() or done.stderr.strip()}")
        return done.returncode, done.stdout

    def forumbot(self, *args: str, stdin: str | None = None, check: bool = True) -> str:
        """One forumbot command of the release; its standard output ("" if it refused)."""
        status, out = self.python("-m", "forumbot", *args, stdin=stdin)
        if check and status != 0:
            raise SystemExit(f"forumbot {' '.join(args)} failed")
        return out if status == 0 else ""

    def run_until_idle(self, rounds: int = 6) -> None:
        """``run --once`` until a round takes in, drafts and publishes nothing (the drafter
        takes 100 posts a round)."""
        for _ in range(rounds):
            out = self.forumbot("run", "--once")
            if "drafted 0;" in out and "published 0," in out and "0 new, 0 updated" in out:
                return

    def rows(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        """Read the database (never written here)."""
        with closing(sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)) as conn:
            conn.row_factory = sqlite3.Row
            return conn.execute(sql, params).fetchall()

    def approve_first(self, draft_ids: list[int], wanted: int) -> list[int]:
        """Approve up to ``wanted`` of the drafts, skipping any the checker blocks."""
        approved: list[int] = []
        for draft_id in draft_ids:
            if len(approved) == wanted:
                break
            out = self.forumbot("queue", "approve", str(draft_id), "--as", REVIEWER, check=False)
            if out:
                approved.append(draft_id)
        return approved


class Sandbox:
    """The release's sandbox forum in its own process, seeded, with no rate limit."""

    def __init__(self, tree: Path, log: Path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(tree)}
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "forumbot.sandbox", "--port", str(self.port), *SANDBOX_ARGS],
            cwd=tree,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/latest.json", timeout=1).close()
                return
            except urllib.error.HTTPError:  # it answers: it is up
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"the sandbox forum did not start; see {log}")

    def control(self, path: str, **body: Any) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/_sandbox/{path}",
            data=json.dumps(body, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            data: dict[str, Any] = json.loads(response.read())
        print(f"  sandbox {path}: {data.get('id', data)}")
        return data

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def check_release(tree: Path) -> None:
    """Refuse anything but the released commit, and make sure its code is the one imported."""
    git = ["git", "-C", str(tree), "rev-parse", "HEAD"]
    head = subprocess.run(git, capture_output=True, text=True, check=True).stdout.strip()
    if head != RELEASE_COMMIT:
        raise SystemExit(f"{tree} is at {head}, not the release {RELEASE_COMMIT}")
    status, where = Release(tree, tree / "unused", "").python("-c", WHERE)
    if status or not Path(where.strip()).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"forumbot is imported from {where}, not from {tree}")


def pending(bot: Release, style: str, *, first_post: bool) -> list[int]:
    """Pending drafts of ``style``, on topics' first posts or on later posts, oldest first."""
    op = "=" if first_post else ">"
    return [
        r["id"]
        for r in bot.rows(
            "SELECT d.id FROM drafts d JOIN posts p ON p.id = d.post_id "
            f"WHERE d.state = 'pending_approval' AND d.style = ? AND p.post_number {op} 1 "
            "ORDER BY d.id",
            style,
        )
    ]


def review_round(bot: Release) -> int:
    """What the centre does on the first morning; returns the topic of the first published
    holding reply (where the neighbours answer later)."""
    holding = bot.approve_first(pending(bot, "holding", first_post=True), 3)
    bot.approve_first(pending(bot, "interactive", first_post=True), 1)
    bot.approve_first(pending(bot, "direct_answer", first_post=False), 1)
    rejected = pending(bot, "interactive", first_post=False)[0]
    bot.forumbot(
        "queue", "reject", str(rejected), "--as", REVIEWER, "--reason", "邻居的闲聊，不需要单独回复"
    )
    # Two departments answer; one unified reply is approved, the other waits for review.
    unified: list[int] = []
    for code, (person, answer) in ANSWERS.items():
        request = bot.rows(
            "SELECT r.id, r.draft_id FROM department_requests r "
            "JOIN drafts d ON d.id = r.draft_id JOIN departments dep ON dep.id = r.department_id "
            "JOIN posts p ON p.id = d.post_id "
            "WHERE r.state = 'open' AND p.post_number = 1 AND dep.code = ? ORDER BY r.id LIMIT 1",
            code,
        )[0]
        bot.forumbot("dept", "answer", str(request["id"]), "--as", person, "--text", answer)
        unified.append(request["draft_id"])
    bot.approve_first(unified, 1)
    # Reviewer corrections: a label changed to another valid one (redrafted), and a reply
    # post taken out of the replies altogether (its drafts superseded, none made).
    relabel = bot.rows(
        "SELECT p.forum_post_id FROM posts p JOIN drafts d ON d.post_id = p.id "
        "JOIN classifications c ON c.post_id = p.id AND c.label = 'inquiry' "
        "WHERE d.state = 'pending_approval' AND p.post_number = 1 ORDER BY p.id LIMIT 1"
    )
    for row in relabel:
        bot.forumbot("queue", "relabel", str(row["forum_post_id"]), "service", "--as", REVIEWER)
    chatter = bot.rows(
        "SELECT p.forum_post_id FROM posts p JOIN drafts d ON d.post_id = p.id "
        "WHERE d.state = 'pending_approval' AND d.style = 'interactive' AND p.post_number > 1 "
        "ORDER BY p.id DESC LIMIT 1"
    )
    bot.forumbot(
        "queue", "relabel", str(chatter[0]["forum_post_id"]), "unrelated", "--as", REVIEWER,
        "--reason", "邻居之间的闲聊",
    )  # fmt: skip
    if not holding:
        raise SystemExit("no holding reply could be approved")
    topic = bot.rows(
        "SELECT p.topic_id FROM drafts d JOIN posts p ON p.id = d.post_id WHERE d.id = ?",
        holding[0],
    )
    return int(topic[0]["topic_id"])


def neighbours_round(bot: Release, forum: Sandbox, topic_id: int) -> None:
    """Neighbours' "+1"s and the owner's follow-up in the answered topic (edited after it was
    drafted); in another topic a "me too" and a second owner's own complaint."""
    owner = bot.rows(
        "SELECT username FROM posts WHERE topic_id = ? ORDER BY post_number LIMIT 1", topic_id
    )[0]["username"]
    for username, raw in ME_TOO:
        forum.control("posts", topic_id=topic_id, username=username, raw=raw)
    follow_up = forum.control(
        "posts",
        topic_id=topic_id,
        username=owner,
        raw="更新一下：到今天还是没有人联系我，电话也打不通，能不能给个准确的答复时间？",
    )
    # Another topic: a neighbour's "me too" with a complaint of their own, and a second owner.
    other = bot.rows(
        "SELECT p.topic_id FROM drafts d JOIN posts p ON p.id = d.post_id "
        "WHERE d.state = 'awaiting_specialist' AND p.post_number = 1 AND p.topic_id != ? "
        "ORDER BY d.id LIMIT 1",
        topic_id,
    )[0]["topic_id"]
    forum.control("posts", topic_id=other, username="maoge", raw="同问+1，我家也是这样")
    forum.control(
        "posts",
        topic_id=other,
        username="ye_wenbin",
        raw="我家是桃源村8栋1201，客厅窗户关不严，下雨就往里渗水，报修两次都没人来看。",
    )
    bot.run_until_idle()
    forum.control(
        f"posts/{follow_up['id']}/edit",
        raw="更新一下：到今天还是没有人联系我，客服热线打了三次都没人接，"
        "能不能给个准确的答复时间？",
        edit_reason="补充情况",
    )
    bot.run_until_idle()


def failed_round(bot: Release, forum: Sandbox) -> None:
    """A neighbour's reply approved while the forum answers every request with a 500, and
    only one attempt allowed: the draft is failed, as a reviewer would find it."""
    draft = bot.rows(
        "SELECT d.id FROM drafts d JOIN posts p ON p.id = d.post_id "
        "JOIN posts o ON o.topic_id = p.topic_id AND o.post_number = 1 "
        "WHERE d.state = 'pending_approval' AND d.kind = 'reply' AND p.post_number > 1 "
        "AND p.username != o.username ORDER BY d.id LIMIT 1"
    )[0]["id"]
    bot.approve_first([draft], 1)
    forum.control("faults", rate=1.0, kinds=["500"])
    try:
        status, _ = bot.python(
            "-c", PUBLISH_ONCE, FORUMBOT_PUBLISHER_MAX_ATTEMPTS="1", FORUMBOT_FORUM_RETRIES="0"
        )
        if status != 0:
            raise SystemExit("the release's publisher stopped")
    finally:
        forum.control("faults", rate=0)


def last_round(bot: Release) -> None:
    """Approved but not yet published when the release is replaced."""
    bot.approve_first(pending(bot, "holding", first_post=True), 1)


def check_contents(bot: Release) -> None:
    """Stop unless the database holds every state the migration must carry over."""
    states = {r[0] for r in bot.rows("SELECT state FROM drafts")}
    requests = {r[0] for r in bot.rows("SELECT state FROM department_requests")}
    reviewer = bot.rows("SELECT id FROM classifications WHERE source = 'reviewer'")
    (revision,) = bot.rows("SELECT version_num FROM alembic_version")[0]
    print(f"drafts {sorted(states)}; requests {sorted(requests)}; {len(reviewer)} corrections")
    missing = set(DRAFT_STATES) - states
    if missing or not {"open", "answered"} <= requests or not bot.rows("SELECT id FROM followups"):
        raise SystemExit(f"the database lacks {sorted(missing)} or requests or follow-ups")
    if not reviewer or revision != RELEASE_REVISION:
        raise SystemExit(f"no reviewer correction, or schema {revision}")


def pack(database: Path, output: Path) -> None:
    """Fold the WAL into the file, compact it, and gzip it without a timestamp."""
    conn = sqlite3.connect(database)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("VACUUM")
    conn.close()
    with (
        database.open("rb") as raw,
        output.open("wb") as out,
        gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz,
    ):
        shutil.copyfileobj(raw, gz)
    print(f"{output}: {output.stat().st_size} bytes ({database.stat().st_size} uncompressed)")


def build(tree: Path, output: Path) -> None:
    check_release(tree)
    with tempfile.TemporaryDirectory(prefix="forumbot-release-") as scratch:
        database = Path(scratch) / "forumbot.sqlite3"
        forum = Sandbox(tree, Path(scratch) / "sandbox.log")
        try:
            bot = Release(tree, database, forum.url)
            bot.forumbot("migrate")
            for account in ACCOUNTS:
                bot.forumbot("users", "add", *account, stdin=PASSWORD + "\n")
            bot.run_until_idle()
            topic_id = review_round(bot)
            bot.run_until_idle()
            neighbours_round(bot, forum, topic_id)
            failed_round(bot, forum)
            last_round(bot)
            check_contents(bot)
        finally:
            forum.stop()
        pack(database, output)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--release", type=Path, required=True, help=f"a checkout of commit {RELEASE_COMMIT}"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    build(args.release, args.output)


if __name__ == "__main__":
    main()
