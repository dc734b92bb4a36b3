"""figures: county population and the indexes /statistika reads

The counties get their 2023 census population (storage/seed/counties.csv; the totals are
complete), filled here where it is missing, so coverage per 1 000 inhabitants is known for
every county. Weekly registrations of a municipality or a county read a range of
submission times per municipality from one index; the unreachable members are found from
a partial index of the few accounts that blocked the bot instead of reading every account
(bench/register.py, 1 000 000 members: figures under 100 ms).

Revision ID: f1a8c2e4b6d0
Revises: e7b3c9d1a2f4
Create Date: 2026-12-03 09:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from storage.seed import load_counties

revision: str = "f1a8c2e4b6d0"
down_revision: str | Sequence[str] | None = "e7b3c9d1a2f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNREACHABLE = "unreachable_at IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("county", schema=None) as batch_op:
        batch_op.add_column(sa.Column("population_2023", sa.Integer(), nullable=True))
    if not context.is_offline_mode():
        _fill_county_populations()
    op.create_index(
        "ix_member_municipality_submitted", "member", ["municipality_id", "submitted_at"]
    )
    op.create_index(
        "ix_account_unreachable",
        "account",
        ["unreachable_at"],
        sqlite_where=sa.text(UNREACHABLE),
        postgresql_where=sa.text(UNREACHABLE),
    )


def _fill_county_populations() -> None:
    """Only where missing: an operator's later correction survives a re-run."""
    county = sa.table(
        "county", sa.column("name", sa.String), sa.column("population_2023", sa.Integer)
    )
    for seed in load_counties():
        if seed.population_2023 is None:
            continue
        op.execute(
            county.update()
            .where(county.c.name == seed.name, county.c.population_2023.is_(None))
            .values(population_2023=seed.population_2023)
        )


def downgrade() -> None:
    op.drop_index("ix_account_unreachable", table_name="account")
    op.drop_index("ix_member_municipality_submitted", table_name="member")
    with op.batch_alter_table("county", schema=None) as batch_op:
        batch_op.drop_column("population_2023")
