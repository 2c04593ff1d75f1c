"""Fill the sandbox forum: the seed file, bulk backlogs and single live posts.

Loading the seed is deterministic (same ids every time, timestamps spaced over the past
days). Backlog posts are built from the seed's own texts with varied numbers, buildings
and phrasing, so a 10,000-post backlog is realistic Chinese without identical strings.
"""

from __future__ import annotations

import json
import random
import re
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from forumbot.sandbox.models import PRIVATE_MESSAGE, SYSTEM_USERNAME, WHISPER, Post
from forumbot.sandbox.state import SandboxForum

SEED_FILE = "seed_posts.json"
_WHISPER_EVERY = 7

_FALLBACK_TOPICS = (
    (
        "卫生间天花板渗水",
        "我家{b}栋{r}室卫生间天花板渗水，报修{n}次了还没人来处理，请尽快安排维修。",
    ),
    ("路灯坏了没人修", "小区{b}号楼门口的路灯坏了{n}天，晚上回家很不安全，希望物业尽快修好。"),
    ("承诺的幼儿园呢", "交房时承诺的幼儿园到现在还没动工，请问什么时候能开始招生？"),
    ("维修基金怎么算", "请问维修基金是按什么标准计算的？在哪里可以查到明细？"),
    ("客服热线没人接", "客服热线打了{n}次都没人接，投诉也没有任何回复，这样的服务让人失望。"),
)
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
_TOPIC_PREFIXES = ("", "", "", "各位好，", "急！", "请相关负责人看一下：")
_REPLY_PREFIXES = ("", "", "", "补充一下：", "再说一次，", "同问，")
#: Integers worth varying: not part of a decimal, a version, "+1", a date or a time.
_NUMBER = re.compile(r"(?<![\d.A-Za-z+])(?!19\d\d|20\d\d)\d+(?![\d.年月日号点时分:：%])")
_SUFFIXES = (
    "",
    "",
    "请尽快处理！",
    "希望尽快给个答复。",
    "已经等了{n}天了。",
    "谢谢。",
    "（{b}栋业主）",
    "麻烦跟进一下，谢谢！",
)
_SHORT = 12
_COMMUNITIES = ("四季花城", "金色家园", "城市花园", "翡翠公园", "东海岸", "万科城", "魅力之城")


def load_seed_data(path: str | Path | None = None) -> dict[str, Any]:
    """Read the seed file (the packaged ``seed_posts.json`` unless a path is given)."""
    if path is not None:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    resource = resources.files("forumbot.sandbox").joinpath(SEED_FILE)
    if not resource.is_file():
        return {"users": [], "categories": [], "topics": []}
    return json.loads(resource.read_text(encoding="utf-8"))


def load_seed(forum: SandboxForum, data: dict[str, Any], days: int = 14) -> dict[str, int]:
    """Create the seed's users, categories and topics; returns counts.

    A welcome PM comes first and a staff whisper follows every seventh topic's first post,
    so the public ids already have gaps, as on a real forum.
    """
    with forum.lock, forum.quiet():
        for user in data.get("users", []):
            forum.add_user(user["username"], user.get("name"))
        for category in data.get("categories", []):
            forum.add_category(int(category["id"]), category["name"], category["slug"])
        topics = data.get("topics", [])
        total = 1 + sum(len(t.get("posts", [])) for t in topics)
        start = forum.clock() - timedelta(days=days)
        step = timedelta(days=days) / max(total, 1)
        moment = iter(start + step * i for i in range(total + len(topics)))
        forum.create_topic(
            SYSTEM_USERNAME,
            "欢迎使用业主服务论坛",
            "欢迎加入！请在这里查看论坛的使用说明和版规，有问题可以随时私信管理员。",
            archetype=PRIVATE_MESSAGE,
            recipients=[forum.bot_username],
            created_at=next(moment),
        )
        posts = 0
        for index, topic in enumerate(topics, start=1):
            first, *rest = topic["posts"]
            forum.add_user(first["username"])
            post = forum.create_topic(
                first["username"],
                topic["title"],
                first["raw"],
                topic.get("category_id"),
                created_at=next(moment),
            )
            posts += 1
            if index % _WHISPER_EVERY == 0:
                forum.create_reply(
                    SYSTEM_USERNAME,
                    post.topic_id,
                    "内部备注：已转相关部门跟进，请勿公开回复细节。",
                    post_type=WHISPER,
                    created_at=post.created_at + timedelta(seconds=1),
                )
            for reply in rest:
                forum.add_user(reply["username"])
                forum.create_reply(
                    reply["username"], post.topic_id, reply["raw"], created_at=next(moment)
                )
                posts += 1
        return {"users": len(forum.users), "topics": len(topics), "posts": posts}


def _template(raw: str) -> str:
    """Seed texts become format templates: escape their braces."""
    return raw.replace("{", "{{").replace("}", "}}")


class PostFactory:
    """Makes varied owner posts from the seed's texts with a seeded RNG."""

    def __init__(self, forum: SandboxForum, data: dict[str, Any], rng: random.Random) -> None:
        self.forum = forum
        self.rng = rng
        topics = [t for t in data.get("topics", []) if t.get("posts")]
        #: (title, first post, its replies) per seed topic, as format templates.
        self.templates = [
            (
                t["title"],
                _template(t["posts"][0]["raw"]),
                [_template(p["raw"]) for p in t["posts"][1:]],
            )
            for t in topics
        ] or [(title, raw, []) for title, raw in _FALLBACK_TOPICS]
        self.replies = [reply for _, _, replies in self.templates for reply in replies]
        self.replies = self.replies or [raw for _, raw, _ in self.templates]
        categories = [c["id"] for c in data.get("categories", [])]
        self.categories = categories or [None]
        #: (topic id, template index) of the topics made so far, newest last.
        self.recent_topics: list[tuple[int, int]] = []

    def _vary(self, text: str, reply: bool) -> str:
        """New room numbers, prices and counts; an optional opening and closing phrase."""

        def new_number(match: re.Match[str]) -> str:
            digits = len(match.group())
            low = 10 ** (digits - 1) if digits > 1 else 1
            return str(self.rng.randint(low, 10**digits - 1))

        text = _NUMBER.sub(new_number, text)
        if len(text) < _SHORT:  # "顶", "+1", "路过": extra phrases would change what they are
            return text.format()
        fill = {"b": self.rng.randint(1, 32), "r": self.rng.randint(101, 3304)}
        fill["n"] = self.rng.randint(2, 9)
        prefix = self.rng.choice(_REPLY_PREFIXES if reply else _TOPIC_PREFIXES)
        return (prefix + text + self.rng.choice(_SUFFIXES)).format(**fill).strip()

    def _owner(self) -> str:
        number = self.rng.randint(1, 400)
        name = self.rng.choice(_SURNAMES) + self.rng.choice(_GIVEN) + self.rng.choice(_GIVEN)
        return self.forum.add_user(f"owner_{number:04d}", name).username

    def make_post(self) -> Post:
        """One new owner post: a new topic about a third of the time, else a reply.

        Replies to a generated topic mostly come from the replies of the seed topic it was
        made from, so threads stay on one subject.
        """
        if self.recent_topics and self.rng.random() < 0.65:
            topic_id, index = self.rng.choice(self.recent_topics[-200:])
            topic = self.forum.topics.get(topic_id)
            if topic and not topic.closed and topic.deleted_at is None:
                own = self.templates[index][2]
                pool = own if own and self.rng.random() < 0.8 else self.replies
                return self.forum.create_reply(
                    self._owner(), topic_id, self._vary(self.rng.choice(pool), reply=True)
                )
        index = self.rng.randrange(len(self.templates))
        title, raw, _ = self.templates[index]
        community = self.rng.choice(_COMMUNITIES)
        title = f"【{community}】{title}"
        post = self.forum.create_topic(
            self._owner(), title, self._vary(raw, reply=False), self.rng.choice(self.categories)
        )
        self.recent_topics.append((post.topic_id, index))
        return post


def build_backlog(factory: PostFactory, count: int) -> tuple[int, int]:
    """Create ``count`` owner posts quickly; returns the (first, last) post id."""
    with factory.forum.lock:
        first = last = 0
        for _ in range(count):
            post = factory.make_post()
            first = first or post.id
            last = post.id
        return first, last
