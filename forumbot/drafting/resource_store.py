"""One store of drafting resources (departments, style policy, knowledge base, reply
templates) with a revision, used by the bot and by the console alike.

An admin's edit in the console writes the files; the revision (a digest of the files' names,
sizes and modification times) changes, and the next drafter either side asks for is built
from the new files: the running bot drafts from the same version the console previews, with
no restart. A file broken by hand keeps the last good drafter in use and says why, once.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

from forumbot.config import ConfigError
from forumbot.drafting.engine import Drafter
from forumbot.drafting.resources import load_resources
from forumbot.drafting.templates import ReplyTemplates
from forumbot.paths import CONFIG_DIR, TEMPLATES_DIR

log = logging.getLogger(__name__)
CONFIG_FILES = ("departments.toml", "style_policy.toml", "knowledge_base.toml")


class ResourceStore:
    def __init__(
        self,
        config_dir: Path = CONFIG_DIR,
        templates_dir: Path = TEMPLATES_DIR,
        kb_threshold: float = 0.4,
        urgent_hours: float = 2.0,
        urgent_department_hours: float = 8.0,
    ):
        self.config_dir, self.templates_dir = Path(config_dir), Path(templates_dir)
        self.kb_threshold = kb_threshold
        self.urgent_hours, self.urgent_department_hours = urgent_hours, urgent_department_hours
        self._lock = threading.Lock()
        self._built: tuple[str, Drafter] | None = None
        self._refused: str | None = None

    def _files(self) -> list[Path]:
        return [self.config_dir / name for name in CONFIG_FILES] + sorted(
            self.templates_dir.glob("*.toml")
        )

    def revision(self) -> str:
        """Changes whenever one of the files changes (or appears, or goes)."""
        digest = hashlib.sha256()
        for path in self._files():
            try:
                stat = path.stat()
                digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
            except FileNotFoundError:
                digest.update(f"{path.name}:missing;".encode())
        return digest.hexdigest()[:16]

    def drafter(self) -> Drafter:
        """The drafter for the files as they are now (built again only when they changed)."""
        revision = self.revision()
        with self._lock:
            if self._built is not None and self._built[0] == revision:
                return self._built[1]
            try:
                drafter = Drafter(
                    resources=load_resources(self.config_dir),
                    templates=ReplyTemplates(self.templates_dir),
                    kb_threshold=self.kb_threshold,
                    urgent_hours=self.urgent_hours,
                    urgent_department_hours=self.urgent_department_hours,
                )
            except ConfigError as exc:
                if self._built is None:
                    raise
                if self._refused != revision:
                    log.error(
                        "drafting files changed but cannot be used, keeping the last good "
                        "version (%s): %s",
                        self._built[0],
                        exc,
                    )
                    self._refused = revision
                return self._built[1]
            drafter.revision = revision
            if self._built is not None:
                log.info("drafting resources changed: revision %s -> %s", self._built[0], revision)
            self._built, self._refused = (revision, drafter), None
            return drafter
