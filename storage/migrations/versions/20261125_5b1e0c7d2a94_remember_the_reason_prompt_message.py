"""remember the reason prompt's message

A typed rejection reason edits the prompt that asked for it, so its buttons do not stay
there looking actionable; for that the prompt's message id is kept with the wait.

Revision ID: 5b1e0c7d2a94
Revises: 018f0a6927de
Create Date: 2026-11-25 16:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "5b1e0c7d2a94"
down_revision: str | Sequence[str] | None = "018f0a6927de"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("decision_draft", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prompt_message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decision_draft", schema=None) as batch_op:
        batch_op.drop_column("prompt_message_id")
