"""Render replies from the template families in reply_templates/ in a sandboxed Jinja2.

Each family is a TOML file of parts (thanks, apology, substance, next step, contact, close),
each with several variants; the variant is chosen from a hash of the post and the part, so
the same post always gets the same wording and ten replies in one topic do not read alike.
Forum text reaches templates only as variable values: it is never compiled as template code,
so a post containing "{{ 7*7 }}" shows those characters as they are.
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from forumbot.config import ConfigError
from forumbot.paths import TEMPLATES_DIR

FAMILIES = (
    "direct_answer",
    "specialist",
    "holding",
    "interactive",
    "redirect_private",
    "followup",
    "satisfaction",
    "urgent",
)


class ReplyTemplates:
    def __init__(self, directory: Path = TEMPLATES_DIR):
        self.env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
        self.families: dict[str, list[tuple[str, list[Any]]]] = {}
        # Plain-text tables a family carries beside its parts (urgent.toml's [advice]).
        self.tables: dict[str, dict[str, dict[str, str]]] = {}
        for family in FAMILIES:
            self.families[family] = self._load(directory / f"{family}.toml", family)

    def _load(self, path: Path, family: str) -> list[tuple[str, list[Any]]]:
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"{path}: template family missing") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        tables = {k: v for k, v in data.items() if k not in ("parts", "order")}
        for name, table in tables.items():
            if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
                raise ConfigError(f"{path}: [{name}] must map names to text")
        self.tables[family] = tables
        parts = data.get("parts", {})
        order = data.get("order") or list(parts)
        loaded = []
        for name in order:
            variants = parts.get(name)
            if not isinstance(variants, list) or not variants:
                raise ConfigError(f"{path}: part '{name}' needs a list of variants")
            try:
                loaded.append((name, [self.env.from_string(v) for v in variants]))
            except TemplateError as exc:
                raise ConfigError(f"{path}: part '{name}': {exc}") from None
        return loaded

    @staticmethod
    def _pick(seed: str, family: str, part: str, count: int) -> int:
        digest = hashlib.sha256(f"{seed}:{family}:{part}".encode()).hexdigest()
        return int(digest, 16) % count

    def render(self, family: str, context: dict[str, Any], seed: str) -> str:
        """The reply text: each part's chosen variant, empty parts dropped."""
        paragraphs = []
        for part, variants in self.families[family]:
            template = variants[self._pick(seed, family, part, len(variants))]
            text = template.render(**context).strip()
            if text:
                paragraphs.append(text)
        return "\n\n".join(paragraphs)
