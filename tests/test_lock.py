"""Reproducible installs: pyproject.toml keeps the ranges, uv.lock and requirements.lock (its
hashed export, which `make setup` installs) keep the exact versions, and the environment the
tests run in is the locked one. A fresh clone next month then installs what passed today."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
REFRESH = "pyproject.toml changed: run `make lock` and commit uv.lock and requirements.lock"


def wanted(requirement: str) -> tuple[str, frozenset[str], SpecifierSet]:
    parsed = Requirement(requirement)
    return canonicalize_name(parsed.name), frozenset(parsed.extras), parsed.specifier


def locked(entry: dict) -> tuple[str, frozenset[str], SpecifierSet]:
    spec = SpecifierSet(entry.get("specifier", ""))
    return canonicalize_name(entry["name"]), frozenset(entry.get("extras", [])), spec


def pinned() -> dict[str, tuple[str, Marker | None, list[str]]]:
    """requirements.lock as {name: (version, marker, hashes)}, one entry per line that applies
    to this Python (the lock may pin another version for another Python)."""
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    found: dict[str, tuple[str, Marker | None, list[str]]] = {}
    for block in re.split(r"\n(?=\S)", text):
        if block.startswith("#") or not block.strip():
            continue
        head = block.split("\\", 1)[0].strip()
        name_version, _, marker_text = head.partition(";")
        name, version = name_version.strip().split("==")
        marker = Marker(marker_text.strip()) if marker_text.strip() else None
        if marker is None or marker.evaluate():
            found[canonicalize_name(name)] = (version, marker, re.findall(r"--hash=(\S+)", block))
    return found


def test_the_lock_was_made_from_the_current_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    [ours] = [p for p in lock["package"] if p["name"] == project["project"]["name"]]

    runtime = {wanted(r) for r in project["project"]["dependencies"]}
    assert {locked(e) for e in ours["metadata"]["requires-dist"] if "marker" not in e} == runtime, (
        REFRESH
    )
    for extra, requirements in project["project"]["optional-dependencies"].items():
        in_lock = {
            locked(e)
            for e in ours["metadata"]["requires-dist"]
            if e.get("marker") == f"extra == '{extra}'"
        }
        assert in_lock == {wanted(r) for r in requirements}, REFRESH
    for group, requirements in project["dependency-groups"].items():
        in_lock = {locked(e) for e in ours["metadata"]["requires-dev"][group]}
        assert in_lock == {wanted(r) for r in requirements}, REFRESH


def test_requirements_lock_is_the_hashed_export_of_uv_lock():
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    versions = {(canonicalize_name(p["name"]), p["version"]) for p in lock["package"]}
    exported = pinned()
    assert {"numpy", "scikit-learn", "sqlalchemy", "babel", "fasttext-wheel"} <= set(exported)
    for name, (version, _marker, hashes) in exported.items():
        assert (name, version) in versions, f"{name}=={version} is not in uv.lock: run `make lock`"
        assert hashes and all(h.startswith("sha256:") for h in hashes), name


def test_the_tests_run_on_the_locked_versions():
    """What `make setup` installed: each pin that applies to this Python, at its version."""
    drift = {}
    for name, (version, _marker, _hashes) in pinned().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            drift[name] = (installed, version)
    assert drift == {}, "installed (left) differs from requirements.lock (right): run `make setup`"
