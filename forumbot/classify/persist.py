"""Saving and loading model versions safely.

A model file is never unpickled: it is a numpy ``.npz`` of numbers and strings
(``linear_text``), read with ``allow_pickle=False``, and the file's SHA-256 must match the one
written beside it at training time (``metadata.json``) and the one in ``models/current.json``,
so a swapped or tampered file is refused before any of it is read. Each version lives in
``models/<version>/`` with its metrics and model card.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forumbot.classify.labels import LABELS
from forumbot.classify.linear_text import LinearTextModel, save_arrays
from forumbot.paths import MODELS_DIR

MODEL_FILE = "model.npz"
METADATA_FILE = "metadata.json"
POINTER_FILE = "current.json"
# 2: plain arrays (model.npz); 1 was a skops file of the scikit-learn pipeline.
FORMAT = 2


class ModelError(Exception):
    """The model cannot be used; the message says why and what to run."""


@dataclass(frozen=True)
class LoadedModel:
    version: str
    pipeline: Any
    metadata: dict[str, Any]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_version(pipeline: Any, version_dir: Path, metadata: dict[str, Any]) -> str:
    """Write a fitted scikit-learn pipeline as a version's plain arrays and metadata."""
    from forumbot.classify.export import export_pipeline

    save_arrays(version_dir / MODEL_FILE, export_pipeline(pipeline))
    sha = sha256_of(version_dir / MODEL_FILE)
    meta = {**metadata, "format": FORMAT, "model_sha256": sha, "labels": list(LABELS)}
    (version_dir / METADATA_FILE).write_text(
        json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return sha


def read_pointer(models_dir: Path = MODELS_DIR) -> dict[str, Any]:
    path = models_dir / POINTER_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"no current model: {path} is missing; run 'python train.py'") from None
    except json.JSONDecodeError as exc:
        raise ModelError(
            f"{path} is not valid JSON ({exc.msg}); run 'python train.py --rollback'"
        ) from None


def write_pointer(models_dir: Path, version: str, sha: str, previous: list[str]) -> None:
    pointer = {"version": version, "model_sha256": sha, "previous": previous[-10:]}
    tmp = models_dir / (POINTER_FILE + ".tmp")
    tmp.write_text(json.dumps(pointer, indent=2) + "\n", encoding="utf-8")
    tmp.replace(models_dir / POINTER_FILE)


def load_version(
    version: str, models_dir: Path = MODELS_DIR, expected_sha: str | None = None
) -> LoadedModel:
    version_dir = models_dir / version
    try:
        metadata = json.loads((version_dir / METADATA_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"model {version}: {version_dir / METADATA_FILE} is missing") from None
    if metadata.get("labels") != list(LABELS):
        raise ModelError(
            f"model {version} was trained for labels {metadata.get('labels')}, but forumbot "
            f"uses {list(LABELS)}; retrain with 'python train.py'"
        )
    model_path = version_dir / MODEL_FILE
    if not model_path.exists():
        if metadata.get("format") == 1:
            raise ModelError(
                f"model {version} is in the old skops format, which forumbot no longer loads; "
                "retrain with 'python train.py'"
            )
        raise ModelError(f"model {version}: {model_path} is missing")
    sha = sha256_of(model_path)
    for wanted in filter(None, (metadata.get("model_sha256"), expected_sha)):
        if sha != wanted:
            raise ModelError(
                f"model {version}: {model_path} does not match its checksum; refusing to load "
                "a file that was changed after training (retrain or roll back)"
            )
    try:
        pipeline = LinearTextModel.load(model_path)
    except Exception as exc:  # numpy and zipfile raise many kinds for a broken file
        raise ModelError(f"model {version}: cannot load {model_path}: {exc}") from None
    return LoadedModel(version=version, pipeline=pipeline, metadata=metadata)


def load_current(models_dir: Path = MODELS_DIR) -> LoadedModel:
    pointer = read_pointer(models_dir)
    return load_version(pointer["version"], models_dir, pointer.get("model_sha256"))


def read_metadata(version: str, models_dir: Path = MODELS_DIR) -> dict[str, Any]:
    """A version's figures (metadata.json) without loading its model, for reports."""
    path = models_dir / version / METADATA_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"model {version}: {path} is missing") from None
    except json.JSONDecodeError as exc:
        raise ModelError(f"model {version}: {path} is not valid JSON ({exc.msg})") from None


def list_versions(models_dir: Path = MODELS_DIR) -> list[str]:
    """Every version directory that has its metadata, by name."""
    if not models_dir.is_dir():
        return []
    return sorted(p.name for p in models_dir.iterdir() if (p / METADATA_FILE).is_file())


def promote(models_dir: Path, version: str) -> str | None:
    """Make ``version`` current after checking it loads (checksum, arrays, labels);
    the model it replaces goes on the rollback chain. Returns that model's version.

    Promoting the current version again only re-pins its checksum (a retrained same name)."""
    loaded = load_version(version, models_dir)
    try:
        pointer = read_pointer(models_dir)
    except ModelError:
        pointer = {}  # no usable pointer: start a new chain
    was = pointer.get("version")
    chain = [*pointer.get("previous", []), *([was] if was else [])]
    write_pointer(
        models_dir, version, loaded.metadata["model_sha256"], [v for v in chain if v != version]
    )
    return was


def rollback(models_dir: Path) -> tuple[str, str]:
    """Go back to the last model on the chain (checked like a promotion); returns (from, to)."""
    pointer = read_pointer(models_dir)
    previous = list(pointer.get("previous", []))
    if not previous:
        raise ModelError("no previous model to roll back to")
    version = previous.pop()
    loaded = load_version(version, models_dir)
    write_pointer(models_dir, version, loaded.metadata["model_sha256"], previous)
    return pointer["version"], version
