"""The states of a case (DESIGN.md), as plain data.

open -> waiting_department -> answered -> resolved | unresolved -> closed; an owner's new post
reopens a case that was answered.
"""

from __future__ import annotations

OPEN = "open"
WAITING_DEPARTMENT = "waiting_department"
ANSWERED = "answered"
RESOLVED = "resolved"
UNRESOLVED = "unresolved"
CLOSED = "closed"

CASE_STATES = (OPEN, WAITING_DEPARTMENT, ANSWERED, RESOLVED, UNRESOLVED, CLOSED)
# Still the centre's work: listed by `cases list --state open` and in the agents' queue.
ACTIVE = frozenset({OPEN, WAITING_DEPARTMENT})
# Our reply reached the owner; a new post from them reopens the case.
REPLIED = frozenset({ANSWERED, RESOLVED, UNRESOLVED, CLOSED})

CASE_STATE_NAMES_ZH = {
    OPEN: "处理中",
    WAITING_DEPARTMENT: "等待部门答复",
    ANSWERED: "已答复",
    RESOLVED: "已解决",
    UNRESOLVED: "未解决",
    CLOSED: "已关闭",
}
