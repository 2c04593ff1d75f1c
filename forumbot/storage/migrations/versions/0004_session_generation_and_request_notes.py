"""users' session generation (server-side sign-out), department requests' note and closing

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        # Raised on sign-out and password reset; a session cookie carrying an older number is
        # no longer accepted, so a saved cookie stops working on the server.
        batch_op.add_column(
            sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("department_requests", schema=None) as batch_op:
        # The agent's note written with "send to department", shown to the department.
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        # Why a request was closed without an answer (its draft was superseded, its post
        # deleted): the department sees it gone from its list instead of answering in vain.
        batch_op.add_column(sa.Column("closed_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("department_requests", schema=None) as batch_op:
        batch_op.drop_column("closed_reason")
        batch_op.drop_column("note")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
