"""The two-person rule for sensitive cases: who may give the second approval.

A sensitive reply (large sums, the media or the courts, fraud, officials, collective
action…) is published only when two different people approved the same text, the second
being a supervisor or an admin. Pure: names and roles in, a refusal (ReviewError) out.
"""

from __future__ import annotations

from forumbot.review.errors import ReviewError

SECOND_APPROVER_ROLES = ("supervisor", "admin")


def check_second_approver(first_by: str, actor: str, role: str | None) -> None:
    """Refuse a second approval by the first approver or by someone who may not give it.

    ``role`` is the actor's console role, or None for a name with no console account (an
    operator on the command line, who already has the server's keys)."""
    if actor.strip().lower() == first_by.strip().lower():
        raise ReviewError(
            f"这是敏感事项，需要另一位主管复核；{first_by} 已经批准过一次，不能再次批准"
        )
    if role is not None and role not in SECOND_APPROVER_ROLES:
        raise ReviewError("敏感事项的复核批准只能由主管或管理员作出，请请主管复核")
