"""The states of a draft and the moves between them (DESIGN.md), as plain data.

Only ``approved`` drafts may be published; every move is written to the audit log by
``forumbot.storage.audit.move``. Terminal states never change again.
"""

from __future__ import annotations

AWAITING_SPECIALIST = "awaiting_specialist"
PENDING_APPROVAL = "pending_approval"
APPROVED = "approved"
PUBLISHING = "publishing"
PUBLISHED = "published"
REJECTED = "rejected"
SUPERSEDED = "superseded"
FAILED = "failed"

STATES = (
    AWAITING_SPECIALIST,
    PENDING_APPROVAL,
    APPROVED,
    PUBLISHING,
    PUBLISHED,
    REJECTED,
    SUPERSEDED,
    FAILED,
)
TERMINAL = frozenset({PUBLISHED, REJECTED, SUPERSEDED})
UNPUBLISHED = frozenset({AWAITING_SPECIALIST, PENDING_APPROVAL, APPROVED, PUBLISHING, FAILED})

# Chinese names shown to reviewers.
STATE_NAMES_ZH = {
    AWAITING_SPECIALIST: "待专业部门答复",
    PENDING_APPROVAL: "待审批",
    APPROVED: "已批准",
    PUBLISHING: "发布中",
    PUBLISHED: "已发布",
    REJECTED: "已驳回",
    SUPERSEDED: "已作废",
    FAILED: "发布失败",
}

ALLOWED: dict[str, frozenset[str]] = {
    AWAITING_SPECIALIST: frozenset({PENDING_APPROVAL, REJECTED, SUPERSEDED}),
    PENDING_APPROVAL: frozenset(
        {PENDING_APPROVAL, APPROVED, REJECTED, SUPERSEDED, AWAITING_SPECIALIST}
    ),
    APPROVED: frozenset({PUBLISHING, PENDING_APPROVAL, REJECTED, SUPERSEDED}),
    # publishing -> publishing is a new attempt after a crash or a transient error.
    PUBLISHING: frozenset({PUBLISHING, PUBLISHED, FAILED, SUPERSEDED, PENDING_APPROVAL}),
    FAILED: frozenset({PENDING_APPROVAL, REJECTED, SUPERSEDED}),
    PUBLISHED: frozenset(),
    REJECTED: frozenset(),
    SUPERSEDED: frozenset(),
}


class InvalidTransition(Exception):
    """A draft cannot move from its state to the one asked for."""


def check_move(from_state: str, to_state: str) -> None:
    if to_state not in ALLOWED.get(from_state, frozenset()):
        raise InvalidTransition(
            f"a draft that is {STATE_NAMES_ZH.get(from_state, from_state)} ({from_state}) "
            f"cannot become {STATE_NAMES_ZH.get(to_state, to_state)} ({to_state})"
        )
