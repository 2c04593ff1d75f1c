"""The JSONL reader and writer shared by classify, draft and lint-reply (DESIGN.md contracts).

The whole input is read and decoded before anything is written, so a file that cannot be read
(missing, a folder, not UTF-8) is one error line, exit 2, and no output. After that every
physical line (split on "\\n") gets exactly one answer, in order: a usable line its result,
any other line ``{"line": N, "error": "..."}``, blank lines included, so that output line N
always answers input line N. The command then exits 1 when any line failed.
"""

from __future__ import annotations

import codecs
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from forumbot.cli.errors import InputError

T = TypeVar("T")
FC = TypeVar("FC", bound=Callable[..., Any])

# Lines answered per call of the command's answering function (bounds the model's batch).
BATCH = 1024
# Worker processes at most, whatever the machine: beyond this the writer is the bottleneck.
MAX_JOBS = 8

JSON_KIND_ZH = {list: "数组", str: "字符串", int: "数字", float: "数字", bool: "布尔值"}


class LineError(ValueError):
    """One line cannot be used; the message becomes that line's ``error``."""


@dataclass(frozen=True)
class BadLine:
    line: int
    error: str

    def as_json(self) -> dict[str, Any]:
        return {"line": self.line, "error": self.error}


def jsonl_option(help_fields: str, required: bool = False) -> Callable[[FC], FC]:
    """The ``--jsonl FILE`` option; the file is opened by :func:`read_lines`, not by click,
    so that a missing file is one line of error like every other unreadable input."""
    return click.option(
        "--jsonl",
        "jsonl",
        type=click.Path(allow_dash=True),
        metavar="FILE",
        required=required,
        help=f"One JSON object per line ({help_fields}); '-' for standard input.",
    )


def jobs_option() -> Callable[[FC], FC]:
    """``--jobs N``: processes for a long ``--jsonl`` file (default: the CPUs available)."""
    return click.option(
        "--jobs",
        type=click.IntRange(min=1, max=MAX_JOBS),
        default=None,
        metavar="N",
        help=f"Processes for a long --jsonl file (1–{MAX_JOBS}; default: the CPUs available).",
    )


def _display(path: str) -> str:
    return "标准输入" if path == "-" else path


def read_lines(path: str) -> list[str]:
    """The physical lines of ``path`` ('-': standard input) as text; InputError if unreadable."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as stream:
                data = stream.read()
    except FileNotFoundError:
        raise InputError(f"找不到文件 {path}，请检查路径 (no such file)") from None
    except IsADirectoryError:
        raise InputError(f"{path} 是文件夹，请给出一个 JSONL 文件 (is a directory)") from None
    except OSError as exc:
        raise InputError(f"无法读取 {path}：{exc.strerror} (cannot read the file)") from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{_display(path)} 第 {line} 行不是 UTF-8 编码的文本，请转成 UTF-8 后重试 (not UTF-8)"
        ) from None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the newline that ends the last line starts no new one
    return lines


def parse_object(text: str) -> dict[str, Any]:
    """One line as a JSON object; anything else is a LineError saying what it is."""
    if not text.strip():
        raise LineError("空行，应为一个 JSON 对象 (empty line; expected a JSON object)")
    try:
        item: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LineError(f"不是合法的 JSON，第 {exc.colno} 列有误 (not JSON: {exc.msg})") from None
    except RecursionError:
        raise LineError("JSON 嵌套过深 (not JSON: nested too deep)") from None
    if not isinstance(item, dict):
        kind = "null" if item is None else JSON_KIND_ZH.get(type(item), type(item).__name__)
        raise LineError(f"应为一个 JSON 对象，这一行是{kind} (expected a JSON object)")
    return item


def read_jsonl(path: str, check: Callable[[dict[str, Any]], T]) -> list[T | BadLine]:
    """Every line of ``path`` as ``check`` makes it, or as the BadLine that says why not."""
    items: list[T | BadLine] = []
    for number, text in enumerate(read_lines(path), 1):
        try:
            items.append(check(parse_object(text)))
        except LineError as exc:
            items.append(BadLine(number, str(exc)))
    return items


def default_jobs() -> int:
    """The processes a long file is answered with: the CPUs this process may use (up to
    :data:`MAX_JOBS`)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_JOBS))


# The answering function the forked workers call: set just before the pool forks, so that
# workers share the loaded models with the parent instead of loading or pickling them.
_worker_answer: Callable[[list[Any]], Iterable[dict[str, Any]]] | None = None


def _json_line(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False) + "\n"


def _lines_in_worker(batch: list[Any]) -> list[str]:
    assert _worker_answer is not None
    return [_json_line(row) for row in _worker_answer(batch)]


def answered_batches(
    batches: list[list[T]],
    answer: Callable[[list[T]], Iterable[dict[str, Any]]],
    jobs: int,
    warm: Callable[[], object] | None = None,
) -> Iterator[list[str]]:
    """Each batch's answers as JSON lines, in order. With one job, or a file of one batch,
    they are answered here. Otherwise ``warm`` loads here whatever the answering
    function builds lazily, and the batches go to that many forked processes, which share
    those models with this one (copy-on-write) and return their lines ready to write."""
    import multiprocessing  # only a long file needs it (a few milliseconds of start-up)

    global _worker_answer
    if jobs <= 1 or len(batches) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        for batch in batches:
            yield [_json_line(row) for row in answer(batch)]
        return
    if warm is not None:
        warm()
    _worker_answer = answer
    try:
        with multiprocessing.get_context("fork").Pool(min(jobs, len(batches))) as pool:
            yield from pool.imap(_lines_in_worker, batches)
    finally:
        _worker_answer = None


def write_answers(
    items: Sequence[T | BadLine],
    answer: Callable[[list[T]], Iterable[dict[str, Any]]],
    jobs: int = 1,
    warm: Callable[[], object] | None = None,
) -> int:
    """Write one JSON line per item, in order, to standard output (always UTF-8): usable items
    through ``answer`` (called per batch of up to :data:`BATCH`, one result per item, in
    ``jobs`` processes; see :func:`answered_batches` for ``warm``), bad ones as their error.
    Returns how many lines failed."""
    out = sys.stdout.buffer
    chunks = [items[start : start + BATCH] for start in range(0, len(items), BATCH)]
    goods = [[item for item in chunk if not isinstance(item, BadLine)] for chunk in chunks]
    answered = answered_batches([g for g in goods if g], answer, jobs, warm)
    failed = 0
    for chunk, good in zip(chunks, goods, strict=True):
        results = iter(next(answered)) if good else iter(())
        lines = []
        for item in chunk:
            if isinstance(item, BadLine):
                failed += 1
                lines.append(_json_line(item.as_json()))
            else:
                lines.append(next(results))
        out.write("".join(lines).encode())
    out.flush()
    return failed


def finish(ctx: click.Context, failed: int) -> None:
    """Exit 1 with a one-line note on standard error when any line failed."""
    if failed:
        click.echo(
            f"forumbot: {failed} 行无法处理，原因见输出中对应行的 error ({failed} lines failed)",
            err=True,
        )
        ctx.exit(1)
