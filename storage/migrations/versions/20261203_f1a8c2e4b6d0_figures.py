"""figures: county population, a tally of entries kept by triggers, the indexes /statistika reads

The counties get their 2023 census population (storage/seed/counties.csv; the totals are
complete), filled here where it is missing, so coverage per 1 000 inhabitants is known for
every county.

`member_tally` counts the entries of each municipality in each status; triggers on
`member` keep it, on SQLite and PostgreSQL alike, so it cannot drift whichever code
inserts, erases, decides or moves an entry. Counting 1 000 000 entries by municipality and
status took ~120 ms on SQLite; the tally is read in under 1 ms (bench/register.py).

Indexes: weekly registrations per municipality (municipality_id, submitted_at); the
pending of a place in submission order (municipality_id, status, submitted_at); the
unreachable, from a partial index of the few accounts that blocked the bot, matched to
their place by a covering (telegram_id, status, municipality_id) index.

Revision ID: f1a8c2e4b6d0
Revises: b4e6a8c0d2f5
Create Date: 2026-12-03 09:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from storage.seed import load_counties

revision: str = "f1a8c2e4b6d0"
down_revision: str | Sequence[str] | None = "b4e6a8c0d2f5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNREACHABLE = "unreachable_at IS NOT NULL"

# SQLite refuses a table alias in a trigger; unqualified, `entries` is the stored row's.
_ADD = """INSERT INTO member_tally (municipality_id, status, entries)
        VALUES (NEW.municipality_id, NEW.status, 1)
        ON CONFLICT (municipality_id, status) DO UPDATE SET entries = {existing}entries + 1;"""
_REMOVE = """UPDATE member_tally SET entries = entries - 1
        WHERE municipality_id = OLD.municipality_id AND status = OLD.status;"""
_CHANGED = "OLD.status IS NOT NEW.status OR OLD.municipality_id IS NOT NEW.municipality_id"

_ADD_SQLITE = _ADD.format(existing="")

SQLITE_TRIGGERS = (
    f"CREATE TRIGGER member_tally_insert AFTER INSERT ON member BEGIN {_ADD_SQLITE} END",
    f"CREATE TRIGGER member_tally_delete AFTER DELETE ON member BEGIN {_REMOVE} END",
    "CREATE TRIGGER member_tally_update AFTER UPDATE OF status, municipality_id ON member "
    f"WHEN {_CHANGED} BEGIN {_REMOVE} {_ADD_SQLITE} END",
)
POSTGRESQL_TRIGGERS = (
    f"""CREATE FUNCTION member_tally_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN {_REMOVE} END IF;
        IF TG_OP <> 'DELETE' THEN {_ADD.format(existing="member_tally.")} END IF;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER member_tally_insert_delete AFTER INSERT OR DELETE ON member "
    "FOR EACH ROW EXECUTE FUNCTION member_tally_change()",
    "CREATE TRIGGER member_tally_update AFTER UPDATE OF status, municipality_id ON member "
    f"FOR EACH ROW WHEN ({_CHANGED.replace('IS NOT', 'IS DISTINCT FROM')}) "
    "EXECUTE FUNCTION member_tally_change()",
)


def upgrade() -> None:
    with op.batch_alter_table("county", schema=None) as batch_op:
        batch_op.add_column(sa.Column("population_2023", sa.Integer(), nullable=True))
    if not context.is_offline_mode():
        _fill_county_populations()
    op.create_table(
        "member_tally",
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_member_tally_municipality_id_municipality"),
        ),
        sa.PrimaryKeyConstraint("municipality_id", "status", name=op.f("pk_member_tally")),
    )
    op.execute(
        "INSERT INTO member_tally (municipality_id, status, entries) "
        "SELECT municipality_id, status, count(*) FROM member GROUP BY municipality_id, status"
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)
    op.create_index(
        "ix_member_municipality_submitted", "member", ["municipality_id", "submitted_at"]
    )
    op.create_index(
        "ix_member_municipality_status_submitted",
        "member",
        ["municipality_id", "status", "submitted_at"],
    )
    op.create_index(
        "ix_member_telegram_place", "member", ["telegram_id", "status", "municipality_id"]
    )
    op.create_index(
        "ix_account_unreachable",
        "account",
        ["unreachable_at", "telegram_id"],
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
    op.drop_index("ix_member_telegram_place", table_name="member")
    op.drop_index("ix_member_municipality_status_submitted", table_name="member")
    op.drop_index("ix_member_municipality_submitted", table_name="member")
    op.execute("DROP TRIGGER IF EXISTS member_tally_update" + _on_member())
    op.execute("DROP TRIGGER IF EXISTS member_tally_insert" + _on_member())
    op.execute("DROP TRIGGER IF EXISTS member_tally_delete" + _on_member())
    op.execute("DROP TRIGGER IF EXISTS member_tally_insert_delete" + _on_member())
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS member_tally_change()")
    op.drop_table("member_tally")
    with op.batch_alter_table("county", schema=None) as batch_op:
        batch_op.drop_column("population_2023")


def _on_member() -> str:
    return " ON member" if op.get_bind().dialect.name == "postgresql" else ""
