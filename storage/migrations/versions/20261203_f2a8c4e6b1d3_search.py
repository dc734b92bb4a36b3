"""search: members' names folded for searching, and saved searches for result pages

`member.name_folded` holds the name in lower case without diacritics (kept in step by an
ORM listener), so «arben hoxha» finds «Arbën Hoxha» on SQLite and PostgreSQL alike; the
existing rows are folded here. `saved_search` lets result pages be asked for by id.

Revision ID: f2a8c4e6b1d3
Revises: e7b3c9d1a2f4
Create Date: 2026-12-03 09:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.text import fold_name

revision: str = "f2a8c4e6b1d3"
down_revision: str | Sequence[str] | None = "e7b3c9d1a2f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_folded", sa.String(length=128), server_default="", nullable=False)
        )
    member = sa.table(
        "member",
        sa.column("id", sa.Integer),
        sa.column("full_name", sa.String),
        sa.column("name_folded", sa.String),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(member.c.id, member.c.full_name)).all()
    for member_id, full_name in rows:
        connection.execute(
            member.update()
            .where(member.c.id == member_id)
            .values(name_folded=fold_name(full_name or ""))
        )
    op.create_index("ix_member_municipality_name", "member", ["municipality_id", "name_folded"])
    op.create_table(
        "saved_search",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("query", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_search")),
    )
    op.create_index(op.f("ix_saved_search_actor_id"), "saved_search", ["actor_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_saved_search_actor_id"), table_name="saved_search")
    op.drop_table("saved_search")
    op.drop_index("ix_member_municipality_name", table_name="member")
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_column("name_folded")
