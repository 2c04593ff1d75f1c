"""An admin's edit to the drafting files reaches the running bot without a restart, and a
broken edit never stops it drafting."""

from __future__ import annotations

import logging
import shutil

from sqlalchemy import select

from forumbot.cases.jobs import DraftingJob
from forumbot.drafting.resource_store import ResourceStore
from forumbot.paths import CONFIG_DIR, TEMPLATES_DIR
from forumbot.storage.models import Classification, Draft

NEW_THANKS = "您好，这是管理员刚改过的开头，谢谢您。"


def _copy_files(tmp_path):
    config, templates = tmp_path / "config", tmp_path / "reply_templates"
    shutil.copytree(CONFIG_DIR, config)
    shutil.copytree(TEMPLATES_DIR, templates)
    return config, templates


def _rewrite_thanks(templates, line: str) -> None:
    """Every variant of the interactive family's opening becomes ``line``."""
    path = templates / "interactive.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("thanks = [")
    end = text.index("]", start)
    path.write_text(f'{text[:start]}thanks = ["{line}"{text[end:]}', encoding="utf-8")


def _labelled(make_post, s, forum_id: int, topic: int) -> None:
    post = make_post(
        s,
        forum_id,
        topic_id=topic,
        username=f"owner{forum_id}",
        raw="我家老人被困在电梯里半小时，吓得一直发抖，你们物业到底管不管？太让人寒心了",
        topic_title="老人被困电梯",
    )
    s.add(Classification(post_id=post.id, label="property_management", source="model"))
    post.stage = "labelled"
    s.commit()


def test_a_template_edit_reaches_the_running_bot_at_its_next_round(tmp_path, sessions, make_post):
    config, templates = _copy_files(tmp_path)
    store = ResourceStore(config, templates)
    job = DraftingJob(sessions, store.drafter(), store=store)
    before = store.revision()
    with sessions() as s:
        _labelled(make_post, s, 501, 61)
    job.run_once()
    _rewrite_thanks(templates, NEW_THANKS)
    assert store.revision() != before
    with sessions() as s:
        _labelled(make_post, s, 502, 62)
    job.run_once()
    with sessions() as s:
        texts = {
            d.post.forum_post_id: d.text
            for d in s.scalars(select(Draft).where(Draft.style == "interactive"))
        }
    assert NEW_THANKS not in texts[501]
    assert NEW_THANKS in texts[502]


def test_a_broken_edit_keeps_the_last_good_version_and_says_why(tmp_path, caplog):
    config, templates = _copy_files(tmp_path)
    store = ResourceStore(config, templates)
    good = store.drafter()
    (templates / "interactive.toml").write_text("order = [", encoding="utf-8")
    with caplog.at_level(logging.ERROR):
        assert store.drafter() is good
        assert store.drafter() is good
    complaints = [r for r in caplog.records if "cannot be used" in r.getMessage()]
    assert len(complaints) == 1 and "interactive.toml" in complaints[0].getMessage()
