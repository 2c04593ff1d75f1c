"""Admin edits of the drafting files: departments, knowledge base and reply templates.

An edit is built with tomlkit (so the file's comments and layout survive), checked the way
forumbot itself loads the file, previewed against a real post, and only then written: to a
temporary file in the same directory, replaced atomically. A refused edit writes nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import threading
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import tomlkit
from jinja2 import TemplateError, meta
from tomlkit.exceptions import TOMLKitError
from tomlkit.toml_document import TOMLDocument

from forumbot.classify.normalize import clean
from forumbot.config import ConfigError
from forumbot.drafting.checker import Finding, check_reply
from forumbot.drafting.engine import LABEL_TOPIC_ZH, Drafter, PostView
from forumbot.drafting.knowledge import KnowledgeBase, KnowledgeMatch
from forumbot.drafting.resources import Department, DraftingResources, KnowledgeEntry
from forumbot.drafting.templates import FAMILIES, ReplyTemplates
from forumbot.texthash import text_sha256

T = TypeVar("T")
RESPONSE_DAYS_MAX = 30
ENTRY_ID = re.compile(r"[a-z][a-z0-9_]{1,63}")
_write_lock = threading.Lock()


class EditError(ValueError):
    """Why an edit was refused, in one line for the admin; nothing was written."""


def normalise_text(text: str) -> str:
    """File text as posted from a browser: CRLF line ends become LF, one final newline."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") else text + "\n"


def _toml_problem(exc: Exception) -> str:
    found = re.search(r"\s*\(?at line (\d+),? col(?:umn)? (\d+)\)?", str(exc))
    if found is None:
        return f"文件不是有效的 TOML：{exc}"
    reason = str(exc).replace(found.group(0), "")
    return f"文件不是有效的 TOML：第 {found.group(1)} 行第 {found.group(2)} 列附近（{reason}）"


def parse_document(text: str) -> TOMLDocument:
    """The file as a tomlkit document (comments kept), or a refusal naming line and column."""
    try:
        tomllib.loads(text)  # the parser forumbot loads with is the judge
        return tomlkit.parse(text)
    except (tomllib.TOMLDecodeError, TOMLKitError) as exc:
        raise EditError(_toml_problem(exc)) from None


def _config_problem(exc: ConfigError, temp: Path, name: str) -> EditError:
    detail = str(exc).replace(str(temp), name)
    return EditError(f"文件校验未通过：{detail}")


def load_candidate(text: str, name: str, loader: Callable[[Path], T]) -> T:
    """Load ``text`` as if it were the file ``name``, without touching the real file."""
    with tempfile.TemporaryDirectory() as tmp:
        temp = Path(tmp) / name
        temp.write_text(text, encoding="utf-8")
        try:
            return loader(temp)
        except ConfigError as exc:
            raise _config_problem(exc, temp, name) from None


def save_validated(
    path: Path, text: str, validate: Callable[[Path], object], *, expected_sha256: str
) -> None:
    """Replace ``path`` with ``text`` if the file is still the one the admin started from and
    the new text loads; written next to the file first, so a crash leaves old or new, never
    half of each."""
    with _write_lock:
        current = path.read_text(encoding="utf-8")
        if text_sha256(current) != expected_sha256:
            raise EditError("文件在您打开之后已被修改（可能是其他管理员），请重新打开后再编辑")
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        temp = Path(name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(OSError):
                os.chmod(temp, path.stat().st_mode & 0o777)
            try:
                validate(temp)
            except ConfigError as exc:
                raise _config_problem(exc, temp, path.name) from None
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)


# --- departments ------------------------------------------------------------------------------


def parse_response_days(value: str) -> int:
    """Working days as typed in a form: a whole number from 1 to RESPONSE_DAYS_MAX."""
    value = value.strip()
    if not value.isdigit() or not 1 <= int(value) <= RESPONSE_DAYS_MAX:
        raise EditError(
            f"答复时限必须是 1 到 {RESPONSE_DAYS_MAX} 之间的整数（工作日），您填写的是“{value}”"
        )
    return int(value)


def edit_department(
    text: str, code: str, *, name: str, description: str, response_days: int
) -> str:
    """departments.toml with one department's name, description and response time changed."""
    name, description = " ".join(name.split()), " ".join(description.split())
    if not name or len(name) > 50:
        raise EditError("部门名称不能为空，且不超过 50 个字符")
    if len(description) > 300:
        raise EditError("部门说明不能超过 300 个字符")
    doc = parse_document(text)
    for table in doc.get("department", []):
        if table.get("code") == code:
            table["name"] = name
            table["description"] = description
            table["response_days"] = response_days
            return tomlkit.dumps(doc)
    raise EditError(f"部门 {code} 不存在")


# --- knowledge base ---------------------------------------------------------------------------


# The admin's form is a KnowledgeEntry as typed in, checked before it is written.
EntryForm = KnowledgeEntry


def split_list(value: str, *, commas: bool = False) -> tuple[str, ...]:
    """Lines of a textarea (and, for keywords, comma-separated items), blanks dropped."""
    separators = r"[\n,，、;；]" if commas else r"\n"
    return tuple(item.strip() for item in re.split(separators, value) if item.strip())


def _check_entry(entry: EntryForm, departments: Iterable[str]) -> None:
    if not ENTRY_ID.fullmatch(entry.id):
        raise EditError("条目编号只能用小写英文字母、数字和下划线，以字母开头（2–64 个字符）")
    if not entry.title.strip():
        raise EditError("标题不能为空")
    if not entry.questions:
        raise EditError("请至少填写一个业主的问法")
    if not entry.keywords:
        raise EditError("请至少填写一个关键词")
    if not entry.answer.strip():
        raise EditError("答复内容不能为空")
    if entry.department not in set(departments):
        raise EditError(f"部门 {entry.department} 不存在")


def _multiline_array(key: str, values: tuple[str, ...]) -> Any:
    """A one-item-per-line array laid out like the hand-written ones (two-space indent)."""
    body = "".join(f"  {json.dumps(v, ensure_ascii=False)},\n" for v in values)
    return tomlkit.parse(f"{key} = [\n{body}]\n")[key]


def _fill(table: Any, entry: EntryForm) -> None:
    table["title"] = entry.title.strip()
    table["questions"] = _multiline_array("questions", entry.questions)
    table["keywords"] = list(entry.keywords)
    table["answer"] = tomlkit.string(entry.answer.strip(), multiline=True)
    table["department"] = entry.department


def edit_entry(
    text: str, entry: EntryForm, *, original_id: str | None, departments: Iterable[str]
) -> str:
    """knowledge_base.toml with one entry changed (``original_id``) or a new one appended."""
    _check_entry(entry, departments)
    doc = parse_document(text)
    entries = doc.get("entry")
    if entries is None:
        entries = tomlkit.aot()
        doc.append("entry", entries)
    ids = [table.get("id") for table in entries]
    if original_id is None:
        if entry.id in ids:
            raise EditError(f"条目编号 {entry.id} 已被使用，请换一个")
        if len(entries):
            entries[-1].add(tomlkit.nl())
        table = tomlkit.table()
        table["id"] = entry.id
        _fill(table, entry)
        entries.append(table)
    else:
        if original_id not in ids:
            raise EditError(f"知识库中没有编号为 {original_id} 的条目")
        if entry.id != original_id:
            raise EditError("条目编号不能修改（草稿记录引用它）；如是新话题，请新增条目")
        _fill(entries[ids.index(original_id)], entry)
    new_text = tomlkit.dumps(doc)
    stored = next(e for e in tomllib.loads(new_text)["entry"] if e.get("id") == entry.id)
    if stored.get("answer", "").strip() != entry.answer.strip() or tuple(
        stored.get("questions", ())
    ) != tuple(entry.questions):
        raise EditError("条目无法按原样写入文件，请检查答复中的特殊字符")
    return new_text


def search_text(view: PostView) -> str:
    """What the drafter matches against the knowledge base (the title counts on a first post)."""
    text = clean(view.raw)
    return f"{clean(view.title or '')} {text}" if view.post_number <= 1 else text


def entry_score(kb: KnowledgeBase, text: str, entry_id: str) -> float | None:
    """How likely one entry answers ``text``, on the same scale as the drafter's best match."""
    return kb.score_for(text, entry_id)


@dataclass(frozen=True)
class KnowledgePreview:
    entry_id: str
    score: float | None  # the edited entry's own score for the post
    threshold: float
    best: KnowledgeMatch | None  # the closest entry of the whole edited knowledge base
    reply: str
    findings: list[Finding]
    label: str


def preview_knowledge(
    resources: DraftingResources,
    templates: ReplyTemplates,
    knowledge: tuple[KnowledgeEntry, ...],
    entry_id: str,
    view: PostView,
    label: str,
    threshold: float,
) -> KnowledgePreview:
    """The post's match against the edited knowledge base and the direct answer it would get."""
    label = label if label in LABEL_TOPIC_ZH else "inquiry"
    drafter = Drafter(replace(resources, knowledge=knowledge), templates, threshold)
    text = search_text(view)
    plan = drafter.plan(view, label, style="direct_answer")
    reply = plan.text or ""
    return KnowledgePreview(
        entry_id,
        entry_score(drafter.kb, text, entry_id),
        threshold,
        drafter.kb.best(text),
        reply,
        check_reply(reply, post_raw=view.raw),
        label,
    )


# --- reply templates --------------------------------------------------------------------------


def candidate_templates(directory: Path, family: str, text: str) -> ReplyTemplates:
    """Reply templates with ``family`` replaced by ``text``, the others as they are now."""
    if family not in FAMILIES:
        raise EditError(f"没有名为 {family} 的模板")
    parse_document(text)
    with tempfile.TemporaryDirectory() as tmp:
        for other in FAMILIES:
            body = text if other == family else (directory / f"{other}.toml").read_text("utf-8")
            (Path(tmp) / f"{other}.toml").write_text(body, encoding="utf-8")
        try:
            return ReplyTemplates(Path(tmp))
        except ConfigError as exc:
            detail = str(exc).replace(str(Path(tmp)) + os.sep, "")
            raise EditError(f"模板无法加载：{detail}") from None


def check_every_variant(
    templates: ReplyTemplates, family: str, text: str, context: dict[str, Any]
) -> None:
    """Render every variant of every part, not only the ones this post happens to get: a
    variant with an unknown variable would otherwise fail later on some other post."""
    parts = tomllib.loads(text).get("parts", {})
    for part, compiled in templates.families[family]:
        for number, (source, template) in enumerate(zip(parts[part], compiled, strict=True), 1):
            where = f"部分 {part} 的第 {number} 个写法"
            unknown = sorted(
                meta.find_undeclared_variables(templates.env.parse(source)) - set(context)
            )
            if unknown:
                raise EditError(f"{where}使用了未定义的变量：{'、'.join(unknown)}")
            try:
                template.render(**context)
            except (TemplateError, ArithmeticError, TypeError, ValueError) as exc:
                raise EditError(f"{where}无法生成：{exc}") from None


@dataclass(frozen=True)
class TemplatePreview:
    family: str
    reply: str
    findings: list[Finding]
    label: str
    department: Department | None


def sample_promise(department: Department) -> str:
    return f"{department.name}将于{department.response_days}个工作日内给您答复"


def preview_template(
    resources: DraftingResources,
    templates_dir: Path,
    family: str,
    text: str,
    view: PostView,
    label: str,
    threshold: float,
    *,
    promise: str | None = None,
    promised_on: date | None = None,
) -> TemplatePreview:
    """Render the edited family for a real post the way the drafter would, after checking
    that the file loads and that every variant renders; raises EditError otherwise."""
    label = label if label in LABEL_TOPIC_ZH else "inquiry"
    templates = candidate_templates(templates_dir, family, text)
    drafter = Drafter(resources, templates, threshold)
    department = resources.department_for(label)
    context = drafter.context(view, label, department)
    check_every_variant(templates, family, text, context)
    try:
        if family == "followup":
            when = promised_on or date.today()
            reply = drafter.followup(
                view, label, promise or sample_promise(department), f"{when:%m月%d日}".lstrip("0")
            )
        elif family == "satisfaction":
            when = promised_on or date.today()
            reply = drafter.satisfaction(view, label, f"{when:%m月%d日}".lstrip("0"))
        elif family == "urgent":
            # Previewed as the reply to a gas leak unless the post itself reports a danger.
            urgent = view if view.urgent_kind else replace(view, urgent_kind="gas")
            reply = drafter.urgent_reply(urgent, label, department)
        else:
            plan = drafter.plan(view, label, style="specialist" if family == "holding" else family)
            reply = (plan.holding if family == "holding" else plan.text) or ""
            department = plan.department or department
    except (TemplateError, ArithmeticError, TypeError, ValueError) as exc:
        raise EditError(f"模板无法生成回复：{exc}") from None
    if not reply.strip():
        raise EditError("模板对这个帖子生成了空白回复")
    return TemplatePreview(family, reply, check_reply(reply, post_raw=view.raw), label, department)
