"""The classifier's admin pages: corrections since training, a real background retraining,
compare, promote, roll back; and the labeller picking up a promoted model without a restart."""

from __future__ import annotations

import json
import logging
import re
import shutil
import socket
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from forumbot.classify.classifier import Classifier
from forumbot.classify.labels import LABELS
from forumbot.classify.persist import (
    load_current,
    promote,
    read_metadata,
    read_pointer,
    write_pointer,
)
from forumbot.config import load_settings
from forumbot.labelling import retraining
from forumbot.labelling.labeller import Labeller
from forumbot.paths import CORPUS_DIR, MODELS_DIR
from forumbot.storage.models import AuditEntry, Classification, TrainingRun
from forumbot.web import ConsolePaths, create_app
from forumbot.web.users import add_user

PASSWORD = "correct horse battery"
# The shipped model and the one before it, as models/current.json names them.
_POINTER = json.loads((MODELS_DIR / "current.json").read_text(encoding="utf-8"))
CURRENT, PREVIOUS = _POINTER["version"], _POINTER["previous"][-1]
RUN_TIMEOUT = 120


def tiny_corpus(path, train_per_label=10, dev_per_label=3):
    """The first posts of each label from the starter corpus: trains in a few seconds."""
    path.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", train_per_label), ("dev", dev_per_label)):
        rows = [
            json.loads(line)
            for line in (CORPUS_DIR / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        kept = [r for label in LABELS for r in [r for r in rows if r["label"] == label][:n]]
        (path / f"{split}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8"
        )
    return path


@pytest.fixture
def models_dir(tmp_path):
    return shutil.copytree(MODELS_DIR, tmp_path / "models")


def make_app(settings, sessions, models_dir, corpus_dir):
    console = load_settings(
        path=None,
        environ={**settings.secrets, "FORUMBOT_SECRET_KEY": "test-secret-key-0123456789"},
        overrides={"database.url": settings["database.url"]},
    )
    flask_app = create_app(console, sessions, ConsolePaths(models=models_dir, corpus=corpus_dir))
    flask_app.config["TESTING"] = True
    return flask_app


@pytest.fixture
def app(settings, sessions, models_dir, tmp_path):
    with sessions() as s:
        add_user(s, "guanli", PASSWORD, "admin")
        add_user(s, "kefu", PASSWORD, "agent")
        s.commit()
    return make_app(settings, sessions, models_dir, tiny_corpus(tmp_path / "corpus"))


def token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, name="guanli"):
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token(page)})
    return client


def post(client, path, **data):
    page = client.get("/admin/models/").get_data(as_text=True)
    return client.post(path, data={"csrf_token": token(page), **data}, follow_redirects=True)


def pointer_bytes(models_dir) -> bytes:
    return (models_dir / "current.json").read_bytes()


def audit_rows(sessions, entity_type):
    with sessions() as s:
        return s.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == entity_type).order_by(AuditEntry.id)
        ).all()


@pytest.mark.parametrize(
    "path",
    ["/admin/models/", f"/admin/models/versions/{CURRENT}", "/admin/models/runs/1"],
)
def test_agent_gets_403(app, path):
    client = login(app.test_client(), "kefu")
    assert client.get(path).status_code == 403


def test_agent_cannot_start_promote_or_roll_back(app, models_dir, sessions):
    client = login(app.test_client(), "kefu")
    csrf = token(client.get("/queue").get_data(as_text=True))
    for path in ("/admin/models/retrain", f"/admin/models/versions/{PREVIOUS}/promote"):
        assert client.post(path, data={"csrf_token": csrf, "confirm": "1"}).status_code == 403
    assert client.post("/admin/models/rollback", data={"csrf_token": csrf}).status_code == 403
    assert read_pointer(models_dir)["version"] == CURRENT
    with sessions() as s:
        assert s.scalars(select(TrainingRun)).first() is None


def test_corrections_since_the_last_training(app, sessions, make_post):
    trained = datetime.fromisoformat(read_metadata(CURRENT, MODELS_DIR)["trained_at"])
    with sessions() as s:
        old = make_post(s, 1, raw="旧的纠正：楼道灯坏了")
        new = make_post(s, 2, raw="<b>新的纠正</b>：物业费为什么涨了")
        for p, when in ((old, trained - timedelta(days=1)), (new, trained + timedelta(days=1))):
            s.add(Classification(post_id=p.id, label="inquiry", source="model", created_at=when))
            s.add(
                Classification(
                    post_id=p.id,
                    label="property_management",
                    source="reviewer",
                    created_by="李娜",
                    created_at=when + timedelta(minutes=5),
                )
            )
        s.commit()
    page = login(app.test_client()).get("/admin/models/").get_data(as_text=True)
    section = page[page.index('id="corrections"') :]
    assert "共 1 条" in section
    assert "&lt;b&gt;新的纠正&lt;/b&gt;" in section and "<b>新的纠正" not in section
    assert "旧的纠正" not in section
    assert "咨询建议 → 物业管理" in section and "李娜" in section
    assert f'data-version="{CURRENT}"' in page and f'data-version="{PREVIOUS}"' in page


def test_retrain_compare_promote_and_roll_back(app, sessions, models_dir):
    client = login(app.test_client())
    before = pointer_bytes(models_dir)
    started = post(client, "/admin/models/retrain")
    assert "已开始重新训练" in started.get_data(as_text=True)
    with sessions() as s:
        run_id = s.scalars(select(TrainingRun.id)).one()
    running_page = client.get(f"/admin/models/runs/{run_id}").get_data(as_text=True)
    second = post(client, "/admin/models/retrain").get_data(as_text=True)
    assert "已有一次训练正在进行" in second
    assert 'http-equiv="refresh"' in running_page  # refreshes itself while running

    assert retraining.wait(run_id, RUN_TIMEOUT), "training did not finish in time"
    with sessions() as s:
        run = s.get(TrainingRun, run_id)
        assert len(s.scalars(select(TrainingRun)).all()) == 1  # the second start was refused
        assert (run.state, run.error) == ("succeeded", None)
        version, log_text, progress = run.version, run.log, run.progress
    assert version and (models_dir / version / "model.npz").exists()
    assert "5-fold cross-validation" in log_text and "saved candidate" in log_text
    assert progress.startswith("saving")
    assert pointer_bytes(models_dir) == before  # the run never promotes
    done_page = client.get(f"/admin/models/runs/{run_id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in done_page and version in done_page

    compare = client.get(f"/admin/models/versions/{version}").get_data(as_text=True)
    candidate_f1 = read_metadata(version, models_dir)["dev"]["macro_f1"]
    current_f1 = read_metadata(CURRENT, models_dir)["dev"]["macro_f1"]
    assert f"{candidate_f1:.4f}" in compare and f"{current_f1:.4f}" in compare
    assert candidate_f1 < current_f1 and "低于当前模型" in compare  # the warning

    refused = post(client, f"/admin/models/versions/{version}/promote")
    assert "请先勾选确认" in refused.get_data(as_text=True)
    assert pointer_bytes(models_dir) == before
    promoted = post(client, f"/admin/models/versions/{version}/promote", confirm="1")
    assert f"模型 {version} 已启用" in promoted.get_data(as_text=True)
    pointer = read_pointer(models_dir)
    assert pointer["version"] == version and pointer["previous"] == [*_POINTER["previous"], CURRENT]
    (entry,) = audit_rows(sessions, "model")
    assert (entry.action, entry.actor, entry.entity_id) == ("promote", "guanli", run_id)
    assert json.loads(entry.details) == {"version": version, "replaced": CURRENT}

    rolled = post(client, "/admin/models/rollback").get_data(as_text=True)
    assert f"已回滚到模型 {CURRENT}" in rolled
    assert read_pointer(models_dir) == json.loads(before)
    assert [e.action for e in audit_rows(sessions, "model")] == ["promote", "rollback"]


def test_failed_run_shows_the_last_line(settings, sessions, models_dir, tmp_path):
    with sessions() as s:
        add_user(s, "guanli", PASSWORD, "admin")
        s.commit()
    app = make_app(settings, sessions, models_dir, tmp_path / "no-corpus")
    client = login(app.test_client())
    post(client, "/admin/models/retrain")
    with sessions() as s:
        run_id = s.scalars(select(TrainingRun.id)).one()
    assert retraining.wait(run_id, RUN_TIMEOUT)
    with sessions() as s:
        run = s.get(TrainingRun, run_id)
        assert run.state == "failed" and "no-corpus" in run.error and run.version is None
    page = client.get(f"/admin/models/runs/{run_id}").get_data(as_text=True)
    assert "失败" in page and "no-corpus" in page


def test_run_left_running_by_a_dead_process_is_shown_failed(app, sessions):
    with sessions() as s:
        s.add(
            TrainingRun(
                state="running",
                started_by="guanli",
                log=f"pid 999999999 on {socket.gethostname()}\n",
            )
        )
        s.commit()
    client = login(app.test_client())
    page = client.get("/admin/models/runs/1").get_data(as_text=True)
    assert "训练进程已中断" in page and 'http-equiv="refresh"' not in page
    with sessions() as s:
        assert s.get(TrainingRun, 1).state == "failed"
    assert [e.action for e in audit_rows(sessions, "training_run")] == ["interrupted"]


def test_promoting_a_tampered_version_is_refused(app, sessions, models_dir):
    shutil.copytree(models_dir / PREVIOUS, models_dir / "tampered")
    with (models_dir / "tampered" / "model.npz").open("ab") as fh:
        fh.write(b"\0")
    before = pointer_bytes(models_dir)
    client = login(app.test_client())
    page = post(client, "/admin/models/versions/tampered/promote", confirm="1")
    assert "不能启用模型 tampered" in page.get_data(as_text=True)
    assert "checksum" in page.get_data(as_text=True)
    assert pointer_bytes(models_dir) == before and audit_rows(sessions, "model") == []


def test_unknown_version_is_404(app):
    client = login(app.test_client())
    assert client.get("/admin/models/versions/..%2F..%2Fetc").status_code == 404
    assert client.get("/admin/models/versions/nope").status_code == 404


def test_labeller_reloads_a_promoted_model_and_keeps_it_when_the_next_is_broken(
    sessions, make_post, models_dir, caplog
):
    caplog.set_level(logging.INFO, logger="forumbot.labelling.labeller")
    labeller = Labeller(sessions, Classifier(load_current(models_dir)), models_dir=models_dir)
    assert labeller.refresh_model() is False  # nothing changed
    promote(models_dir, PREVIOUS)
    with sessions() as s:
        make_post(s, 1, raw="5栋电梯又困人了，物业半小时才来")
        s.commit()
    assert labeller.run_once() == 1
    with sessions() as s:
        assert s.scalars(select(Classification.model_version)).one() == PREVIOUS
    assert f"switched model {CURRENT} -> {PREVIOUS}" in caplog.text

    shutil.copytree(models_dir / CURRENT, models_dir / "broken")
    with (models_dir / "broken" / "model.npz").open("ab") as fh:
        fh.write(b"\0")
    write_pointer(models_dir, "broken", "0" * 64, [CURRENT, PREVIOUS])
    assert labeller.refresh_model() is False
    assert labeller.classifier.model.version == PREVIOUS
    assert f"keeping model {PREVIOUS}" in caplog.text
    with sessions() as s:
        make_post(s, 2, raw="售楼处承诺的学校到现在也没建")
        s.commit()
    assert labeller.run_once() == 1
