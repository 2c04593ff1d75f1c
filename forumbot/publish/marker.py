"""The invisible marker that names a draft inside the reply we post, and the search for it.

After a crash, a timeout or a 502 the publisher cannot know whether its POST reached the
forum. The marker lets it look in the topic before posting again. An HTML comment is kept in
Discourse's raw text and not shown to readers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

MARKER_PREFIX = "<!-- forumbot:"
CHUNK = 50


class TopicReader(Protocol):
    def topic(self, topic_id: int) -> dict[str, Any]: ...

    def topic_posts(
        self, topic_id: int, post_ids: Sequence[int], *, include_raw: bool = True
    ) -> list[dict[str, Any]]: ...


def marker(public_id: str) -> str:
    return f"{MARKER_PREFIX}{public_id} -->"


def with_marker(text: str, public_id: str) -> str:
    return f"{text.rstrip()}\n\n{marker(public_id)}"


def strip_marker(raw: str) -> str:
    """The reply as readers see it (for showing a published reply next to its draft)."""
    start = raw.rfind(MARKER_PREFIX)
    return raw[:start].rstrip() if start >= 0 else raw


def find_marked_reply(
    reader: TopicReader, topic_id: int, after_post_id: int, public_id: str, author: str
) -> int | None:
    """Return the id of the post in the topic that carries this draft's marker, if any.

    Only posts newer than the post being answered and written by the bot are looked at.
    """
    topic = reader.topic(topic_id)
    stream = (topic.get("post_stream") or {}).get("stream")
    if not isinstance(stream, list):
        raise LookupError(f"topic {topic_id} lists no post stream (mega topic?); cannot verify")
    candidates = [i for i in stream if isinstance(i, int) and i > after_post_id]
    wanted = marker(public_id)
    for start in range(0, len(candidates), CHUNK):
        chunk = candidates[start : start + CHUNK]
        for post in reader.topic_posts(topic_id, chunk, include_raw=True):
            raw = post.get("raw")
            if (
                str(post.get("username", "")).lower() == author.lower()
                and isinstance(raw, str)
                and wanted in raw
            ):
                return int(post["id"])
    return None
