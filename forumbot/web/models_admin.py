"""Admin pages for the classifier: corrections since the last training, retraining in the
background, comparing a candidate with the current model, promote and roll back.

The model files are the truth (``paths().models``: one folder per version, ``current.json``
naming the one in use); the database keeps the training runs, the corrections and the audit.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forumbot.classify import persist
from forumbot.classify.labels import LABEL_NAMES_ZH, LABELS
from forumbot.classify.persist import ModelError
from forumbot.labelling import retraining
from forumbot.review.errors import ReviewError
from forumbot.storage import audit
from forumbot.storage.models import Classification, Post, TrainingRun
from forumbot.web.auth import act, db, login_required, paths, settings

bp = Blueprint("models", __name__, url_prefix="/admin/models")

CORRECTIONS_SHOWN = 100
RUNS_SHOWN = 10
NOTABLE = 0.005  # a difference in a figure smaller than this is not highlighted
_pointer_lock = threading.Lock()  # one promotion or rollback at a time in this process


@dataclass(frozen=True)
class Correction:
    post: Post
    model_label: str | None
    label: str
    who: str | None
    when: datetime


def figures(meta: dict[str, Any]) -> dict[str, Any]:
    """The numbers the pages show, from a version's metadata.json (absent ones are None)."""
    dev, cv = meta.get("dev") or {}, meta.get("cv") or {}
    abuse = (dev.get("per_label") or {}).get("abuse") or {}
    return {
        "version": meta.get("version"),
        "trained_at": meta.get("trained_at"),
        "dev_f1": dev.get("macro_f1"),
        "cv_f1": cv.get("macro_f1"),
        "abuse_recall": abuse.get("recall"),
        "train_size": meta.get("train_size"),
        "dev_size": meta.get("dev_size"),
        "dev_counts": meta.get("dev_counts"),
        "corrections": meta.get("corrections", 0),
        "per_label": dev.get("per_label") or {},
    }


def trained_at(meta: dict[str, Any] | None) -> datetime | None:
    try:
        return datetime.fromisoformat(meta["trained_at"]) if meta else None
    except (KeyError, TypeError, ValueError):
        return None


def corrections_since(session: Session, since: datetime | None) -> tuple[int, list[Correction]]:
    """Reviewers' relabels after ``since`` (all when None): how many, and the newest ones with
    the label the model had given the post before each correction."""
    where = [Classification.source == "reviewer"]
    if since is not None:
        where.append(Classification.created_at > since)
    total = session.scalar(select(func.count()).select_from(Classification).where(*where)) or 0
    rows = session.execute(
        select(Classification, Post)
        .join(Post, Post.id == Classification.post_id)
        .where(*where)
        .order_by(Classification.id.desc())
        .limit(CORRECTIONS_SHOWN)
    ).all()
    model_labels: dict[int, list[tuple[int, str]]] = {}
    post_ids = {post.id for _row, post in rows}
    if post_ids:
        for cid, post_id, label in session.execute(
            select(Classification.id, Classification.post_id, Classification.label)
            .where(Classification.source == "model", Classification.post_id.in_(post_ids))
            .order_by(Classification.id)
        ):
            model_labels.setdefault(post_id, []).append((cid, label))
    found = []
    for row, post in rows:
        before = [label for cid, label in model_labels.get(post.id, []) if cid < row.id]
        found.append(
            Correction(
                post, before[-1] if before else None, row.label, row.created_by, row.created_at
            )
        )
    return total, found


def _pointer() -> tuple[dict[str, Any] | None, str | None]:
    try:
        return persist.read_pointer(paths().models), None
    except ModelError as exc:
        return None, str(exc)


def _metadata(version: str) -> dict[str, Any] | None:
    try:
        return persist.read_metadata(version, paths().models)
    except ModelError:
        return None


def _known(version: str) -> str:
    """Only a version folder that exists in the models folder (no paths from the URL)."""
    if version not in persist.list_versions(paths().models):
        abort(404)
    return version


def _run_of(version: str) -> int:
    """The console run that trained a version (the audit's entity id; 0 for train.py's own)."""
    found = db().scalar(select(TrainingRun.id).where(TrainingRun.version == version).limit(1))
    return found or 0


def _short(version: str | None) -> str | None:
    return version if version is None or len(version) <= 32 else version[:32]


def _reconciled() -> None:
    """Runs whose process vanished are shown as failed, not as running forever."""
    if retraining.reconcile(db()):
        db().commit()


def run_error(run: TrainingRun) -> str | None:
    return _("训练进程已中断") if run.error == retraining.INTERRUPTED else run.error


@bp.app_template_filter("figure")
def figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


@bp.get("/")
@login_required("admin")
def index():  # type: ignore[no-untyped-def]
    _reconciled()
    pointer, pointer_error = _pointer()
    current_version = pointer["version"] if pointer else None
    current_meta = _metadata(current_version) if current_version else None
    chain = list(reversed(pointer.get("previous", []))) if pointer else []
    versions = []
    for name in persist.list_versions(paths().models):
        meta = _metadata(name)
        if meta is not None:
            versions.append(figures({"version": name, **meta}))
    versions.sort(key=lambda v: str(v["trained_at"] or ""), reverse=True)
    total, corrections = corrections_since(db(), trained_at(current_meta))
    runs = db().scalars(select(TrainingRun).order_by(TrainingRun.id.desc()).limit(RUNS_SHOWN)).all()
    return render_template(
        "admin/models.html",
        current=figures(current_meta) if current_meta else None,
        current_version=current_version,
        pointer_error=pointer_error,
        chain=chain,
        versions=versions,
        corrections=corrections,
        corrections_total=total,
        runs=runs,
        running=next((r for r in runs if r.state == retraining.RUNNING), None),
        label_names=LABEL_NAMES_ZH,
        run_error=run_error,
    )


@bp.post("/retrain")
@login_required("admin")
def retrain():  # type: ignore[no-untyped-def]
    try:
        run_id = retraining.start(
            current_app.config["FORUMBOT_SESSIONS"],
            actor=g.user.username,
            database_url=settings()["database.url"],
            models_dir=paths().models,
            corpus_dir=paths().corpus,
        )
    except retraining.RetrainingError as exc:
        if exc.running_id is not None:
            message = _("已有一次训练正在进行（#%(id)s），请等它结束后再开始", id=exc.running_id)
        else:
            message = _("无法开始训练：%(reason)s", reason=str(exc))
        flash(message, "error")
        return redirect(url_for("models.index"))
    flash(_("已开始重新训练（#%(id)s），候选模型不会自动启用", id=run_id), "ok")
    return redirect(url_for("models.run", run_id=run_id))


@bp.get("/runs/<int:run_id>")
@login_required("admin")
def run(run_id: int):  # type: ignore[no-untyped-def]
    _reconciled()
    row = db().get(TrainingRun, run_id)
    if row is None:
        abort(404)
    return render_template("admin/models_run.html", run=row, run_error=run_error)


def _label_rows(candidate: dict[str, Any], current: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Per label: each figure of both models and the difference (None without a current)."""
    rows = []
    for label in LABELS:
        new = candidate["per_label"].get(label) or {}
        old = (current or {}).get("per_label", {}).get(label) or {}
        cells = {}
        for metric in ("precision", "recall", "f1"):
            a, b = new.get(metric), old.get(metric)
            diff = None if a is None or b is None else round(a - b, 4)
            trend = "" if diff is None or abs(diff) < NOTABLE else ("up" if diff > 0 else "down")
            cells[metric] = {"new": a, "old": b, "diff": diff, "trend": trend}
        rows.append({"label": label, **cells})
    return rows


@bp.get("/versions/<version>")
@login_required("admin")
def compare(version: str):  # type: ignore[no-untyped-def]
    _known(version)
    meta = _metadata(version)
    if meta is None:
        abort(404)
    candidate = figures({"version": version, **meta})
    pointer, pointer_error = _pointer()
    current_version = pointer["version"] if pointer else None
    current_meta = _metadata(current_version) if current_version else None
    current = figures({"version": current_version, **current_meta}) if current_meta else None
    worse = bool(
        current
        and candidate["dev_f1"] is not None
        and current["dev_f1"] is not None
        and candidate["dev_f1"] < current["dev_f1"]
    )
    return render_template(
        "admin/models_compare.html",
        candidate=candidate,
        current=current,
        pointer_error=pointer_error,
        is_current=version == current_version,
        worse=worse,
        same_dev=bool(current and current["dev_counts"] == candidate["dev_counts"]),
        rows=_label_rows(candidate, current),
        label_names=LABEL_NAMES_ZH,
    )


def _audit_switch(action: str, was: str | None, version: str) -> None:
    """A change of the current model (promote or rollback) in the audit log."""
    audit.record(
        db(),
        actor=g.user.username,
        entity_type="model",
        entity_id=_run_of(version),
        action=action,
        from_state=_short(was),
        to_state=_short(version),
        details={"version": version, "replaced": was},
    )


@bp.post("/versions/<version>/promote")
@login_required("admin")
def promote(version: str):  # type: ignore[no-untyped-def]
    _known(version)
    back = url_for("models.compare", version=version)
    if not request.form.get("confirm"):
        flash(_("请先勾选确认，再启用模型"), "error")
        return redirect(back)

    def action() -> None:
        with _pointer_lock:
            pointer, _error = _pointer()
            if pointer and pointer.get("version") == version:
                raise ReviewError(_("模型 %(version)s 已是当前模型", version=version))
            try:
                was = persist.promote(paths().models, version)
            except ModelError as exc:
                raise ReviewError(
                    _("不能启用模型 %(version)s：%(reason)s", version=version, reason=str(exc))
                ) from None
        _audit_switch("promote", was, version)

    return act(
        action,
        done=_("模型 %(version)s 已启用，机器人将在下一次标注时改用它", version=version),
        done_url=url_for("models.index"),
        retry_url=back,
    )


@bp.post("/rollback")
@login_required("admin")
def rollback():  # type: ignore[no-untyped-def]
    pointer, _error = _pointer()
    chain = (pointer or {}).get("previous") or []
    target = chain[-1] if chain else None

    def action() -> None:
        with _pointer_lock:
            try:
                was, version = persist.rollback(paths().models)
            except ModelError as exc:
                raise ReviewError(_("不能回滚：%(reason)s", reason=str(exc))) from None
        _audit_switch("rollback", was, version)

    index_url = url_for("models.index")
    return act(
        action,
        done=_("已回滚到模型 %(version)s", version=target or "?"),
        done_url=index_url,
        retry_url=index_url,
    )
