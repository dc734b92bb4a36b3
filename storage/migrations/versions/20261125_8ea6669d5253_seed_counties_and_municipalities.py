"""seed counties and municipalities

Revision ID: 8ea6669d5253
Revises: d9390900d87d
Create Date: 2026-11-25 14:14:02.101870+00:00

A data revision, so that `db upgrade` alone gives a register ready to take members: the 12
counties and 61 municipalities from storage/seed/*.csv, each municipality with its code.
Insert-if-missing, matched by name: running it on a database that has some or all of the
rows changes nothing that exists.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from storage.seed import load_counties, load_municipalities, seed_reference_data

# revision identifiers, used by Alembic.
revision: str = "8ea6669d5253"
down_revision: str | Sequence[str] | None = "d9390900d87d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Insert the counties and municipalities that are missing."""
    if context.is_offline_mode():
        raise NotImplementedError("the reference data is seeded online only (no --sql)")
    seed_reference_data(op.get_bind())


def downgrade() -> None:
    """Remove the seeded rows; fails (foreign keys) once anything refers to them."""
    municipality = sa.table("municipality", sa.column("name", sa.String))
    county = sa.table("county", sa.column("name", sa.String))
    op.execute(
        municipality.delete().where(
            municipality.c.name.in_([m.name for m in load_municipalities()])
        )
    )
    op.execute(county.delete().where(county.c.name.in_([c.name for c in load_counties()])))
