"""cases and incidents: the complaint, not the post, is the unit of work

Existing posts and drafts are filed into cases: in each topic the first valid post opens a
case; the owner's later posts update it; a neighbour's short "me too" supports it; another
owner's own complaint opens a second case; the rest is chatter. Drafts and department
requests take their post's case. Drafts still waiting for an agent that were written for a
"me too" or for chatter are superseded, each with an audit row; nothing is deleted.

The filing rules are frozen here (a later change to forumbot.cases.roles does not change
what this migration did).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 22:30:00
"""

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VALID = {"engineering", "planning", "sales", "property_management", "service", "inquiry"}
ME_TOO = re.compile(
    r"\+\s*1|＋\s*1|同问|同求|同上|同感|(?<![屋楼吊封房山头置])顶+(?![楼层棚部上端])|附议|"
    r"我家也|我们家也|俺家也|我也是|我也一样|我也遇到|一样的(?:问题|情况)|同样的(?:问题|情况)|"
    r"支持楼主|说的对"
)
ADVICE = re.compile(r"楼主(?:可以|应该|不如|最好|赶紧|直接|去|找|打)|建议|可以直接|12345")
FIRST_PERSON = re.compile(r"我|俺|本人|我们")


def _role(raw: str, label: str | None) -> str:
    text = re.sub(r"\[quote[^\]]*\].*?\[/quote\]", "", raw or "", flags=re.S).strip()
    bare = re.sub(r"[\s\W_]+", "", text)
    found = ME_TOO.search(text)
    if not bare or (
        found and (found.start() <= 4 or len(re.sub(r"[\s\W_]+", "", ME_TOO.sub("", text))) <= 12)
    ):
        return "supporter"
    if label in VALID and FIRST_PERSON.search(text) and len(bare) >= 10 and not ADVICE.search(text):
        return "opener"
    return "chatter"


def _add_reference(table: str, column: str, target: str, name: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER REFERENCES {target} (id)")
        return
    op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
    op.create_foreign_key(name, table, target, [column], ["id"])


def _schema() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("place", sa.String(255)),
        sa.Column("label", sa.String(32)),
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("departments.id")),
        sa.Column("state", sa.String(16), nullable=False, server_default="suggested"),
        sa.Column("statement", sa.Text()),
        sa.Column("spike_alerted_at", sa.DateTime()),
        sa.Column("created_by", sa.String(255), nullable=False, server_default="system:cases"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_incidents_state", "incidents", ["state"])
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("topic_id", sa.BigInteger(), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("opening_post_id", sa.Integer(), sa.ForeignKey("posts.id"), nullable=False),
        sa.Column("label", sa.String(32)),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id")),
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("departments.id")),
        sa.Column("place", sa.String(255)),
        sa.Column("matter", sa.Text()),
        sa.Column("repeat", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("reopened", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("outcome", sa.String(16)),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime()),
        sa.Column("answered_at", sa.DateTime()),
        sa.Column("closed_at", sa.DateTime()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("opening_post_id", name="uq_cases_opening_post_id"),
    )
    op.create_index("ix_cases_topic_id", "cases", ["topic_id"])
    op.create_index("ix_cases_owner", "cases", ["owner"])
    op.create_index("ix_cases_state", "cases", ["state"])
    op.create_index("ix_cases_incident_id", "cases", ["incident_id"])
    op.create_index("ix_cases_state_due", "cases", ["state", "due_at"])
    op.create_table(
        "case_corrections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("posts.id"), nullable=False),
        sa.Column("role_before", sa.String(16)),
        sa.Column("role_after", sa.String(16), nullable=False),
        sa.Column("case_before", sa.Integer()),
        sa.Column("case_after", sa.Integer()),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_case_corrections_post_id", "case_corrections", ["post_id"])
    op.add_column("posts", sa.Column("case_id", sa.Integer(), nullable=True))
    op.add_column("posts", sa.Column("case_role", sa.String(16), nullable=True))
    op.create_index("ix_posts_case_id", "posts", ["case_id"])
    # Columns that carry their foreign key. SQLite adds them in place (a batch rebuild of
    # drafts would be refused: department requests and follow-ups point at it).
    _add_reference("drafts", "case_id", "cases", "fk_drafts_case_id")
    op.create_index("ix_drafts_case_id", "drafts", ["case_id"])
    _add_reference("department_requests", "case_id", "cases", "fk_requests_case_id")
    _add_reference("department_requests", "incident_id", "incidents", "fk_requests_incident_id")
    op.create_index("ix_department_requests_case_id", "department_requests", ["case_id"])
    op.create_index("ix_department_requests_incident_id", "department_requests", ["incident_id"])


def _backfill() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC).replace(tzinfo=None)
    labels = dict(
        bind.execute(
            sa.text(
                "SELECT c.post_id, c.label FROM classifications c JOIN ("
                " SELECT post_id, MAX(id) AS id FROM classifications GROUP BY post_id) m"
                " ON c.id = m.id"
            )
        ).all()
    )
    posts = bind.execute(
        sa.text(
            "SELECT id, topic_id, post_number, username, raw, topic_title, forum_created_at,"
            " received_at FROM posts ORDER BY topic_id, post_number, id"
        )
    ).all()
    cases: dict[int, list[tuple[int, str]]] = {}  # topic -> [(case id, owner)]
    roles: dict[int, tuple[int | None, str]] = {}
    for post in posts:
        label = labels.get(post.id)
        topic = cases.setdefault(post.topic_id, [])
        if label == "abuse":
            role = "abuse"
        elif not topic:
            role = "opener" if label in VALID else "chatter"
        elif any(owner.casefold() == post.username.casefold() for _, owner in topic):
            role = "update"
        else:
            role = _role(post.raw, label)
        case_id = None
        if role == "opener":
            title = (post.topic_title or "") if post.post_number <= 1 else ""
            matter = (title or " ".join((post.raw or "").split()))[:60]
            case_id = bind.execute(
                sa.text(
                    "INSERT INTO cases (topic_id, owner, opening_post_id, label, state, urgent,"
                    " matter, repeat, reopened, opened_at, created_at, updated_at) VALUES"
                    " (:t, :o, :p, :l, 'open', :f, :m, :f, 0, :at, :now, :now) RETURNING id"
                ),
                {
                    "t": post.topic_id,
                    "o": post.username,
                    "p": post.id,
                    "l": label,
                    "f": False,
                    "m": matter,
                    "at": post.forum_created_at or post.received_at or now,
                    "now": now,
                },
            ).scalar_one()
            topic.append((case_id, post.username))
        elif role == "update":
            case_id = next(
                c for c, o in reversed(topic) if o.casefold() == post.username.casefold()
            )
        elif topic:
            case_id = topic[0][0]
        roles[post.id] = (case_id, role)
        bind.execute(
            sa.text("UPDATE posts SET case_id = :c, case_role = :r WHERE id = :id"),
            {"c": case_id, "r": role, "id": post.id},
        )
    _file_drafts(bind, roles, now)


def _retire(
    bind: sa.engine.Connection,
    draft_id: int,
    from_state: str,
    reason: str,
    details: dict,
    now: datetime,
) -> None:
    """Supersede one draft the way the application would: state, revision, audit row, and
    the department request that waited on it closed with the reason."""
    bind.execute(
        sa.text("UPDATE drafts SET state = 'superseded', revision = revision + 1 WHERE id = :id"),
        {"id": draft_id},
    )
    bind.execute(
        sa.text(
            "INSERT INTO audit_log (at, actor, entity_type, entity_id, action, from_state,"
            " to_state, reason, details) VALUES (:at, 'system:migration', 'draft', :id,"
            " 'case_migration', :f, 'superseded', :r, :d)"
        ),
        {
            "at": now,
            "id": draft_id,
            "f": from_state,
            "r": reason,
            "d": json.dumps(details, ensure_ascii=False),
        },
    )
    bind.execute(
        sa.text(
            "UPDATE department_requests SET state = 'closed', closed_reason = :r"
            " WHERE draft_id = :id AND state = 'open'"
        ),
        {"id": draft_id, "r": reason},
    )


def _file_drafts(
    bind: sa.engine.Connection, roles: dict[int, tuple[int | None, str]], now: datetime
) -> None:
    drafts = bind.execute(
        sa.text("SELECT id, post_id, kind, state, style FROM drafts ORDER BY id")
    ).all()
    waiting: set[int] = set()  # cases that already keep one reply waiting for an agent
    for draft in drafts:
        case_id, role = roles.get(draft.post_id, (None, "chatter"))
        if draft.kind != "reply" or case_id is None:
            continue
        bind.execute(
            sa.text("UPDATE drafts SET case_id = :c WHERE id = :id"),
            {"c": case_id, "id": draft.id},
        )
        open_states = ("pending_approval", "failed", "awaiting_specialist")
        if role in ("supporter", "chatter") and draft.state in open_states:
            _retire(
                bind,
                draft.id,
                draft.state,
                "迁移为案件：此帖是附议或旁人讨论，不再单独回复",
                {"role": role},
                now,
            )
        elif draft.state in ("pending_approval", "failed") and draft.style != "holding":
            if case_id in waiting:
                _retire(
                    bind,
                    draft.id,
                    draft.state,
                    "迁移为案件：同一案件只保留一条待审批回复，楼主的补充见案件页",
                    {"role": role, "case": case_id},
                    now,
                )
            else:
                waiting.add(case_id)

    bind.execute(
        sa.text(
            "UPDATE department_requests SET case_id = (SELECT d.case_id FROM drafts d"
            " WHERE d.id = department_requests.draft_id)"
        )
    )
    # A case's state from its drafts: answered once a non-holding reply was published.
    bind.execute(
        sa.text(
            "UPDATE cases SET state = 'waiting_department' WHERE id IN (SELECT r.case_id"
            " FROM department_requests r WHERE r.state = 'open' AND r.case_id IS NOT NULL)"
        )
    )
    bind.execute(
        sa.text(
            "UPDATE cases SET state = 'answered', answered_at = (SELECT MIN(d.published_at)"
            " FROM drafts d WHERE d.case_id = cases.id AND d.state = 'published'"
            " AND (d.style IS NULL OR d.style <> 'holding')) WHERE EXISTS (SELECT 1 FROM drafts d"
            " WHERE d.case_id = cases.id AND d.state = 'published'"
            " AND (d.style IS NULL OR d.style <> 'holding'))"
        )
    )


def upgrade() -> None:
    _schema()
    _backfill()


def downgrade() -> None:
    with op.batch_alter_table("department_requests") as batch:
        batch.drop_index("ix_department_requests_incident_id")
        batch.drop_index("ix_department_requests_case_id")
        batch.drop_constraint("fk_requests_incident_id", type_="foreignkey")
        batch.drop_constraint("fk_requests_case_id", type_="foreignkey")
        batch.drop_column("incident_id")
        batch.drop_column("case_id")
    with op.batch_alter_table("drafts") as batch:
        batch.drop_index("ix_drafts_case_id")
        batch.drop_constraint("fk_drafts_case_id", type_="foreignkey")
        batch.drop_column("case_id")
    with op.batch_alter_table("posts") as batch:
        batch.drop_index("ix_posts_case_id")
        batch.drop_column("case_role")
        batch.drop_column("case_id")
    op.drop_table("case_corrections")
    op.drop_table("cases")
    op.drop_table("incidents")
