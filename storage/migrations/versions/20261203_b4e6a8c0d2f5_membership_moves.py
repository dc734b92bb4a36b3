"""membership moves: a move to another municipality waits for that branch to accept

Revision ID: b4e6a8c0d2f5
Revises: a3d5f7b9c1e2
Create Date: 2026-12-03 10:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b4e6a8c0d2f5"
down_revision: str | Sequence[str] | None = "a3d5f7b9c1e2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("move_to_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("move_asked_by", sa.BigInteger(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_member_move_to_id_municipality"), "municipality", ["move_to_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_member_move_to_id_municipality"), type_="foreignkey"
        )
        batch_op.drop_column("move_asked_by")
        batch_op.drop_column("move_to_id")
