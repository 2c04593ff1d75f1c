"""Retraining started from the console: ``train.py --no-promote`` in a child process, followed.

Training takes minutes and a lot of memory, so it runs as its own process, never inside a
request; a thread of the web process reads what it prints and copies it into the run's
``TrainingRun`` row (the time-stamped step lines become ``progress``), then records the result.
The candidate is only saved: an admin compares it and promotes it.

Children are kept in a module-level registry. A row still "running" with no live child (the web
process that watched it died) is marked failed by ``reconcile`` the next time runs are read.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from forumbot.classify.persist import ModelError, read_metadata
from forumbot.paths import PROJECT_ROOT
from forumbot.storage import audit
from forumbot.storage.models import TrainingRun, utcnow

log = logging.getLogger(__name__)

RUNNING, SUCCEEDED, FAILED = "running", "succeeded", "failed"
INTERRUPTED = "训练进程已中断"  # TrainingRun.error of a run whose process vanished
ACTOR = "system:retraining"
TRAIN_SCRIPT = PROJECT_ROOT / "train.py"
MAX_LOG = 200_000  # characters kept of a run's output (the end is what matters)

STEP = re.compile(r"^\[\d\d:\d\d:\d\d\] (.+)$")
PID_LINE = re.compile(r"^pid (\d+) on (\S+)$", re.MULTILINE)


class RetrainingError(Exception):
    """A run cannot start; ``running_id`` is set when another run is still going."""

    def __init__(self, message: str, running_id: int | None = None):
        super().__init__(message)
        self.running_id = running_id


@dataclass
class _Child:
    process: subprocess.Popen[str]
    thread: threading.Thread


_children: dict[int, _Child] = {}
_lock = threading.RLock()


def train_command(*, models_dir: Path, corpus_dir: Path, version: str) -> list[str]:
    """train.py's arguments; the database URL goes in the environment (it may hold a
    password, and a command line is visible to every user of the machine)."""
    return [
        sys.executable,
        str(TRAIN_SCRIPT),
        "--no-promote",
        "--models",
        str(models_dir),
        "--corpus",
        str(corpus_dir),
        "--version",
        version,
    ]


def new_version(run_id: int, models_dir: Path, now: datetime | None = None) -> str:
    """A version name that says when and from which run, and is not taken yet."""
    base = f"{(now or utcnow()):%Y%m%d-%H%M%S}-run{run_id}"
    name, n = base, 1
    while (models_dir / name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def start(
    sessions: sessionmaker[Session],
    *,
    actor: str,
    database_url: str,
    models_dir: Path,
    corpus_dir: Path,
) -> int:
    """Start a training run in the background and return its id; refuse while one runs."""
    with _lock, sessions() as session:
        reconcile(session)
        session.commit()
        running = session.scalars(select(TrainingRun).where(TrainingRun.state == RUNNING)).first()
        if running is not None:
            raise RetrainingError(f"training run #{running.id} is still running", running.id)
        run = TrainingRun(state=RUNNING, started_by=actor, log="")
        session.add(run)
        session.flush()
        version = new_version(run.id, models_dir)
        audit.record(
            session,
            actor=actor,
            entity_type="training_run",
            entity_id=run.id,
            action="start",
            to_state=RUNNING,
            details={"version": version},
        )
        command = train_command(
            models_dir=models_dir,
            corpus_dir=corpus_dir,
            version=version,
        )
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                errors="replace",
                cwd=PROJECT_ROOT,
                env={
                    **os.environ,
                    "PYTHONUNBUFFERED": "1",
                    "FORUMBOT_TRAIN_DATABASE_URL": database_url,
                },
            )
        except OSError as exc:
            session.rollback()
            raise RetrainingError(f"cannot start train.py: {exc}") from None
        # committed with its pid, so no other process can take it for an orphan
        run.log = f"pid {process.pid} on {socket.gethostname()}\n"
        try:
            session.commit()
        except BaseException:
            process.kill()
            process.communicate()
            raise
        run_id = run.id
        thread = threading.Thread(
            target=_follow,
            args=(sessions, run_id, process, version, models_dir),
            name=f"training-run-{run_id}",
            daemon=True,
        )
        _children[run_id] = _Child(process, thread)
        thread.start()
    log.info("training run #%d started by %s (pid %d)", run_id, actor, process.pid)
    return run_id


def wait(run_id: int, timeout: float | None = None) -> bool:
    """Wait for this process's watcher of a run to finish; False on timeout."""
    with _lock:
        child = _children.get(run_id)
    if child is None:
        return True
    child.thread.join(timeout)
    return not child.thread.is_alive()


def reconcile(session: Session) -> list[int]:
    """Mark failed every "running" run that no process follows any more; returns their ids.

    A run followed here is alive; otherwise the pid its log names must still be train.py on
    this host (another web worker's child). Runs of another host are left alone."""
    stale = []
    rows = session.execute(
        select(TrainingRun.id, TrainingRun.log).where(TrainingRun.state == RUNNING)
    ).all()
    for run_id, run_log in rows:
        with _lock:
            if run_id in _children:
                continue
        match = PID_LINE.search(run_log or "")
        if match and match.group(2) != socket.gethostname():
            continue
        if match and _is_training(int(match.group(1))):
            continue
        # conditional: a watcher that has just recorded the end must not be overwritten
        changed = session.execute(
            update(TrainingRun)
            .where(TrainingRun.id == run_id, TrainingRun.state == RUNNING)
            .values(state=FAILED, error=INTERRUPTED, finished_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        audit.record(
            session,
            actor=ACTOR,
            entity_type="training_run",
            entity_id=run_id,
            action="interrupted",
            from_state=RUNNING,
            to_state=FAILED,
            reason=INTERRUPTED,
        )
        stale.append(run_id)
    if stale:
        session.expire_all()
    return stale


def _is_training(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        return TRAIN_SCRIPT.name.encode() in cmdline.read_bytes()
    except OSError:
        return True  # no /proc: trust the pid


def _finish(
    run: TrainingRun,
    state: str,
    *,
    error: str | None = None,
    version: str | None = None,
) -> None:
    run.state = state
    run.error = error
    run.version = version
    run.finished_at = utcnow()


def _append(run: TrainingRun, lines: list[str]) -> None:
    if lines:
        run.log = ((run.log or "") + "".join(f"{line}\n" for line in lines))[-MAX_LOG:]


def _update(sessions: sessionmaker[Session], run_id: int, lines: list[str], progress: str) -> bool:
    try:
        with sessions() as session:
            run = session.get(TrainingRun, run_id)
            if run is None:
                return True
            _append(run, lines)
            run.progress = progress
            session.commit()
    except SQLAlchemyError as exc:
        log.warning("training run #%d: cannot record progress: %s", run_id, exc)
        return False
    return True


def _follow(
    sessions: sessionmaker[Session],
    run_id: int,
    process: subprocess.Popen[str],
    version: str,
    models_dir: Path,
) -> None:
    """The watcher thread: copy the output into the run, then record how it ended."""
    pending: list[str] = []
    last = ""
    code: int | None = None
    try:
        assert process.stdout is not None
        with process.stdout:
            for raw in process.stdout:
                line = raw.rstrip("\n")
                pending.append(line)
                if line.strip():
                    last = line
                step = STEP.match(line)
                if step and _update(sessions, run_id, pending, step.group(1)):
                    pending = []
        code = process.wait()
    except Exception:  # the run must end recorded, whatever happened here
        log.exception("training run #%d: lost the child's output", run_id)
        process.kill()
        process.wait()
    try:
        _record_end(sessions, run_id, pending, code, last, version, models_dir)
    except SQLAlchemyError as exc:
        log.error("training run #%d: cannot record its end: %s", run_id, exc)
    finally:
        with _lock:
            _children.pop(run_id, None)


def _record_end(
    sessions: sessionmaker[Session],
    run_id: int,
    pending: list[str],
    code: int | None,
    last: str,
    version: str,
    models_dir: Path,
) -> None:
    with sessions() as session:
        run = session.get(TrainingRun, run_id)
        if run is None:
            return
        _append(run, pending)
        metadata = None
        if code == 0:
            try:
                metadata = read_metadata(version, models_dir)
            except ModelError as exc:
                last = str(exc)
        if metadata is not None:
            run.corrections = int(metadata.get("corrections", 0))
            _finish(run, SUCCEEDED, version=version)
        else:
            error = last or f"train.py exited with code {code}"
            _finish(run, FAILED, error=error)
        audit.record(
            session,
            actor=ACTOR,
            entity_type="training_run",
            entity_id=run_id,
            action="finish",
            from_state=RUNNING,
            to_state=run.state,
            reason=run.error,
            details={"version": version, "exit_code": code},
        )
        session.commit()
    log.info("training run #%d ended: %s", run_id, "succeeded" if metadata else "failed")
