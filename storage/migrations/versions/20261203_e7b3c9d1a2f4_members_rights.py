"""members' rights: typed numbers no longer unique, reads of a record findable by subject

Only Telegram-verified numbers stay unique among active entries, so a typed number neither
tells a stranger that it is registered nor locks its verified owner out; a plain index
keeps the clash look-up fast. The audit gets an index by subject for "who looked at my
data". An account remembers the field of its entry being corrected.

Revision ID: e7b3c9d1a2f4
Revises: c4a1d2e3f5b6
Create Date: 2026-12-03 08:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e7b3c9d1a2f4"
down_revision: str | Sequence[str] | None = "c4a1d2e3f5b6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "status IN ('pending', 'approved')"
ACTIVE_VERIFIED = "status IN ('pending', 'approved') AND phone_verified"


def upgrade() -> None:
    op.drop_index("uq_member_active_phone", table_name="member")
    op.create_index(
        "uq_member_active_verified_phone",
        "member",
        ["phone_e164"],
        unique=True,
        sqlite_where=sa.text(ACTIVE_VERIFIED),
        postgresql_where=sa.text(ACTIVE_VERIFIED),
    )
    op.create_index("ix_member_phone_e164", "member", ["phone_e164"])
    op.create_index("ix_audit_event_subject", "audit_event", ["subject_kind", "subject_id"])
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("correcting", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("correcting_since", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("correcting_since")
        batch_op.drop_column("correcting")
    op.drop_index("ix_audit_event_subject", table_name="audit_event")
    op.drop_index("ix_member_phone_e164", table_name="member")
    op.drop_index("uq_member_active_verified_phone", table_name="member")
    op.create_index(
        "uq_member_active_phone",
        "member",
        ["phone_e164"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )
