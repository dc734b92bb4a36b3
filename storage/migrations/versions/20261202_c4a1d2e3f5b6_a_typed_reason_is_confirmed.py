"""a typed reason is confirmed before it is sent

The wait for a typed rejection reason ends on any other action in the decider's chat, so it
remembers the update after which a message is the reason; and a typed reason is shown back
with Send / Change, so it is held on the wait until Send.

Revision ID: c4a1d2e3f5b6
Revises: 5b1e0c7d2a94
Create Date: 2026-12-02 10:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "c4a1d2e3f5b6"
down_revision: str | Sequence[str] | None = "5b1e0c7d2a94"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("decision_draft", schema=None) as batch_op:
        batch_op.add_column(sa.Column("since_update_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.String(length=220), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decision_draft", schema=None) as batch_op:
        batch_op.drop_column("reason")
        batch_op.drop_column("since_update_id")
