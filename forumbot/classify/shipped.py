"""Small models that ship trained, as arrays, beside a digest of what they were trained from.

The urgency model and the reply checker's model are trained by ``python train.py`` from
hand-labelled files in ``data/``. Training needs scikit-learn and takes seconds; loading the
arrays takes milliseconds. A process uses the shipped arrays only when the digest recorded
with them matches the data as it is now (and the file its checksum); otherwise it says so in
the log, and its caller trains in memory, so an edited data file is never silently ignored.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from forumbot.classify.linear_text import LinearTextModel, save_arrays
from forumbot.classify.persist import sha256_of

log = logging.getLogger(__name__)
MODEL_FILE = "model.npz"
METADATA_FILE = "metadata.json"


def digest_of(paths: Iterable[Path], code: str = "") -> str:
    """One digest of several files' names and bytes (a missing file counts as empty) and of
    ``code``, the source of what turns them into a model."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    digest.update(code.encode())
    return digest.hexdigest()


def save(model_dir: Path, arrays: dict[str, Any], data_sha256: str, **facts: Any) -> dict:
    """Write the arrays and their metadata (checksum, data digest, ``facts``)."""
    save_arrays(model_dir / MODEL_FILE, arrays)
    meta = {
        "model_sha256": sha256_of(model_dir / MODEL_FILE),
        "data_sha256": data_sha256,
        **facts,
    }
    (model_dir / METADATA_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def load_if_current(model_dir: Path, data_sha256: str, name: str) -> LinearTextModel | None:
    """The shipped arrays if intact and trained from the data as it is now; else None,
    with a log line that says why and what to run."""
    path = model_dir / MODEL_FILE
    try:
        meta = json.loads((model_dir / METADATA_FILE).read_text(encoding="utf-8"))
        if meta.get("data_sha256") != data_sha256:
            log.warning("%s in %s is older than its data; run 'python train.py'", name, model_dir)
            return None
        if sha256_of(path) != meta.get("model_sha256"):
            log.warning("%s %s does not match its checksum; retraining in memory", name, path)
            return None
        return LinearTextModel.load(path)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("%s in %s unusable (%s); retraining in memory", name, model_dir, exc)
        return None
