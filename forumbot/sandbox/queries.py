"""Read-side of the sandbox forum: lookups and the visibility rules of Discourse's queries.

Mixed into :class:`~forumbot.sandbox.state.SandboxForum`; kept apart so the rules a poller
depends on (what ``/posts.json`` lists, what a topic stream holds) are in one place.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable
from datetime import datetime

from forumbot.sandbox.models import WHISPER, NotFoundError, Post, Topic, User


class ForumQueries:
    """Lookups and queries over the forum's dicts (callers or methods hold ``lock``)."""

    lock: threading.RLock
    clock: Callable[[], datetime]
    users: dict[int, User]
    topics: dict[int, Topic]
    posts: dict[int, Post]
    _by_name: dict[str, User]
    _post_counts: dict[int, int]
    _public_ids: list[int]
    _next_post_id: int

    # ---------------------------------------------------------------- lookup
    def user_named(self, username: str) -> User | None:
        """Case-insensitive, like Discourse's ``username_lower``."""
        return self._by_name.get(username.strip().lower())

    def user(self, user_id: int) -> User:
        return self.users[user_id]

    def post_count_of(self, user_id: int) -> int:
        return self._post_counts.get(user_id, 0)

    def topic(self, topic_id: int) -> Topic:
        topic = self.topics.get(topic_id)
        if topic is None:
            raise NotFoundError(f"topic {topic_id}")
        return topic

    def post(self, post_id: int) -> Post:
        post = self.posts.get(post_id)
        if post is None:
            raise NotFoundError(f"post {post_id}")
        return post

    def committed(self, obj: Post | Topic) -> bool:
        """False while a delayed post's (or topic's) transaction has not committed yet."""
        return obj.visible_at is None or obj.visible_at <= self.clock()

    # --------------------------------------------------------------- queries
    def listable(self, post: Post) -> bool:
        """What ``GET /posts.json`` shows (LatestPostsQuery + Post scopes)."""
        topic = self.topics[post.topic_id]
        return (
            not post.hidden
            and post.deleted_at is None
            and topic.deleted_at is None
            and topic.visible
            and self.committed(post)
            and self.committed(topic)
        )

    def latest_posts(self, before: int | None = None, limit: int = 50) -> list[Post]:
        """Newest listable posts with ``id < before``, id descending; O(page) via bisect."""
        with self.lock:
            ids = self._public_ids
            end = len(ids) if before is None or before <= 0 else bisect.bisect_left(ids, before)
            page: list[Post] = []
            for index in range(end - 1, -1, -1):
                post = self.posts[ids[index]]
                if self.listable(post):
                    page.append(post)
                    if len(page) == limit:
                        break
            return page

    def topic_posts(self, topic: Topic, viewer: User) -> list[Post]:
        """The posts a viewer sees in a topic's stream, in post_number order.

        Staff also see deleted posts (with ``deleted_at`` set), as in Discourse's TopicView.
        """
        with self.lock:
            result = []
            for post_id in topic.post_ids:
                post = self.posts[post_id]
                if not self.committed(post):
                    continue
                if post.deleted_at is not None and not viewer.staff:
                    continue
                if post.post_type == WHISPER and not viewer.staff:
                    continue
                result.append(post)
            return result

    def can_see_topic(self, topic: Topic, viewer: User) -> bool:
        if not self.committed(topic):
            return False
        if topic.deleted_at is not None and not viewer.staff:
            return False
        return not topic.is_pm or viewer.admin or viewer.id in topic.allowed_user_ids

    def posts_by(self, username: str | None = None) -> list[Post]:
        """Every post (PMs, hidden, deleted, delayed too), ascending id."""
        with self.lock:
            user = self.user_named(username) if username else None
            if username and user is None:
                return []
            posts = sorted(self.posts.values(), key=lambda p: p.id)
            return [p for p in posts if user is None or p.user_id == user.id]

    @property
    def max_post_id(self) -> int:
        return self._next_post_id - 1
