"""urgent and sensitive posts and cases, the second approval, alerts sent

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _flag(table: str, name: str) -> None:
    op.add_column(table, sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()))


def upgrade() -> None:
    # Plain ADD COLUMN (no table copy): posts, cases and drafts are referenced by other
    # tables, and SQLite cannot copy a referenced table with rows in it.
    # Danger to people (forumbot.classify.urgency), set when the post is labelled.
    _flag("posts", "urgent")
    op.add_column("posts", sa.Column("urgent_reason", sa.Text(), nullable=True))
    op.add_column("posts", sa.Column("urgent_kind", sa.String(32), nullable=True))
    # A matter a supervisor must read before we answer (forumbot.classify.sensitivity).
    _flag("posts", "sensitive")
    op.add_column("posts", sa.Column("sensitive_reason", sa.Text(), nullable=True))
    op.add_column("cases", sa.Column("urgent_reason", sa.Text(), nullable=True))
    op.add_column("cases", sa.Column("urgent_kind", sa.String(32), nullable=True))
    _flag("cases", "sensitive")
    op.add_column("cases", sa.Column("sensitive_reason", sa.Text(), nullable=True))
    # The two-person rule: a sensitive reply is published only after a second person
    # (a supervisor) approved the text the first approver approved.
    _flag("drafts", "needs_second_approval")
    op.add_column("drafts", sa.Column("first_approved_by", sa.String(255), nullable=True))
    op.add_column("drafts", sa.Column("first_approved_at", sa.DateTime(), nullable=True))
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("case_id", "channel", name="uq_alerts_case_channel"),
    )
    op.create_index("ix_alerts_state", "alerts", ["state"])


def downgrade() -> None:
    op.drop_index("ix_alerts_state", table_name="alerts")
    op.drop_table("alerts")
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_column("first_approved_at")
        batch_op.drop_column("first_approved_by")
        batch_op.drop_column("needs_second_approval")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("sensitive_reason")
        batch_op.drop_column("sensitive")
        batch_op.drop_column("urgent_kind")
        batch_op.drop_column("urgent_reason")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("sensitive_reason")
        batch_op.drop_column("sensitive")
        batch_op.drop_column("urgent_kind")
        batch_op.drop_column("urgent_reason")
        batch_op.drop_column("urgent")
