"""The admin-editable drafting files in config/: departments and contacts, the style policy,
the knowledge base. Loaded once and validated, so a typo is one clear line at start."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forumbot.classify.labels import STYLES, VALID_LABELS
from forumbot.config import ConfigError
from forumbot.paths import CONFIG_DIR


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    response_days: int
    labels: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class Contact:
    hotline: str
    service_hours: str
    email: str
    office: str
    private_message_hint: str
    # The 24-hour duty line an urgent reply gives (default: the hotline).
    emergency_line: str = ""
    # True while these are the shipped example values: the publisher then refuses replies
    # that carry them, outside the demo (publisher.example_contacts).
    example: bool = False

    def values(self) -> tuple[str, ...]:
        """The numbers and addresses a reply may quote."""
        return tuple(v for v in (self.hotline, self.email, self.emergency_line) if v.strip())


@dataclass(frozen=True)
class PolicyRule:
    name: str
    style: str
    labels: frozenset[str]
    reason: str
    keywords: tuple[str, ...] = ()
    min_hits: int = 1
    min_exclamations: int | None = None
    when: str | None = None  # "kb_match" | "no_kb_match"


@dataclass(frozen=True)
class KnowledgeEntry:
    id: str
    title: str
    questions: tuple[str, ...]
    keywords: tuple[str, ...]
    answer: str
    department: str


@dataclass(frozen=True)
class DraftingResources:
    departments: dict[str, Department]
    contact: Contact
    defaults: dict[str, str]
    rules: tuple[PolicyRule, ...]
    knowledge: tuple[KnowledgeEntry, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    def department_for(self, label: str) -> Department:
        for department in self.departments.values():
            if label in department.labels:
                return department
        return self.departments["service"]


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _need(table: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = table.get(key)
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise ConfigError(f"{where}: '{key}' must be a non-empty {kind.__name__}")
    return value


def load_departments(path: Path) -> tuple[dict[str, Department], Contact]:
    data = _read(path)
    departments = {}
    for i, item in enumerate(data.get("department", []), 1):
        where = f"{path}: department #{i}"
        labels = tuple(_need(item, "labels", list, where))
        unknown = set(labels) - set(VALID_LABELS)
        if unknown:
            raise ConfigError(f"{where}: unknown labels {sorted(unknown)}")
        dept = Department(
            code=_need(item, "code", str, where),
            name=_need(item, "name", str, where),
            response_days=_need(item, "response_days", int, where),
            labels=labels,
            description=item.get("description", ""),
        )
        departments[dept.code] = dept
    if "service" not in departments:
        raise ConfigError(f"{path}: a department with code 'service' is required")
    c = data.get("contact", {})
    where = f"{path}: [contact]"
    contact = Contact(
        hotline=_need(c, "hotline", str, where),
        service_hours=_need(c, "service_hours", str, where),
        email=_need(c, "email", str, where),
        office=_need(c, "office", str, where),
        private_message_hint=c.get("private_message_hint", ""),
        emergency_line=c.get("emergency_line") or c["hotline"],
        example=bool(c.get("example", False)),
    )
    if not isinstance(c.get("example", False), bool):
        raise ConfigError(f"{where}: example must be true or false")
    return departments, contact


def load_policy(path: Path) -> tuple[dict[str, str], tuple[PolicyRule, ...]]:
    data = _read(path)
    defaults = data.get("defaults", {})
    for label in VALID_LABELS:
        if defaults.get(label) not in STYLES:
            raise ConfigError(f"{path}: [defaults] {label} must be one of {list(STYLES)}")
    rules = []
    for i, item in enumerate(data.get("rule", []), 1):
        where = f"{path}: rule #{i} ({item.get('name', '?')})"
        style = _need(item, "style", str, where)
        if style not in STYLES:
            raise ConfigError(f"{where}: style {style!r} is not one of {list(STYLES)}")
        labels = frozenset(_need(item, "labels", list, where))
        if labels - set(VALID_LABELS):
            raise ConfigError(f"{where}: unknown labels {sorted(labels - set(VALID_LABELS))}")
        when = item.get("when")
        if when not in (None, "kb_match", "no_kb_match"):
            raise ConfigError(f"{where}: when must be 'kb_match' or 'no_kb_match'")
        rules.append(
            PolicyRule(
                name=_need(item, "name", str, where),
                style=style,
                labels=labels,
                reason=item.get("reason", ""),
                # matched against normalised (lower-case) text
                keywords=tuple(str(w).lower() for w in item.get("keywords", ())),
                min_hits=int(item.get("min_hits", 1)),
                min_exclamations=item.get("min_exclamations"),
                when=when,
            )
        )
    return dict(defaults), tuple(rules)


def load_knowledge(path: Path) -> tuple[KnowledgeEntry, ...]:
    data = _read(path)
    entries = []
    for i, item in enumerate(data.get("entry", []), 1):
        where = f"{path}: entry #{i}"
        entries.append(
            KnowledgeEntry(
                id=_need(item, "id", str, where),
                title=_need(item, "title", str, where),
                questions=tuple(item.get("questions", ())),
                keywords=tuple(item.get("keywords", ())),
                answer=_need(item, "answer", str, where).strip(),
                department=item.get("department", "service"),
            )
        )
    return tuple(entries)


def load_resources(config_dir: Path = CONFIG_DIR) -> DraftingResources:
    departments, contact = load_departments(config_dir / "departments.toml")
    defaults, rules = load_policy(config_dir / "style_policy.toml")
    knowledge = load_knowledge(config_dir / "knowledge_base.toml")
    return DraftingResources(departments, contact, defaults, rules, knowledge)
