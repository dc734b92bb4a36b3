"""The export writer on SQLite and PostgreSQL: the same rows, in the scope, text as people
read it (the SQLite path reads its own cursor, PostgreSQL streams through SQLAlchemy)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from sqlalchemy import select

from domain.permissions import Grant, RoleKind, scope_of
from storage.db import Database
from storage.geography import list_places
from storage.models import Member, Municipality
from usecases.exports import write_csv

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


async def test_the_writer_gives_the_same_rows_on_both_backends(db: Database) -> None:
    async with db.write() as session:
        ids = (await session.scalars(select(Municipality.id).order_by(Municipality.id))).all()
        for n, municipality_id in enumerate(ids[:3]):
            session.add(
                Member(
                    telegram_id=80_000 + n,
                    full_name=f"Arbën Çela {chr(ord('A') + n)}",
                    birth_date=date(1980, 3, 5),
                    phone_e164=f"+35569212{n:04d}",
                    municipality_id=municipality_id,
                    language="sq",
                    status="approved" if n else "pending",
                    submitted_at=NOW,
                    decided_at=NOW if n else None,
                    membership_number=f"X-{n}" if n else None,
                )
            )
    async with db.read() as session:
        places = {p.id: p for p in await list_places(session)}
        out = io.StringIO()
        only_first = scope_of([Grant(1, RoleKind.CHAIR, None, ids[0])])
        written = await write_csv(session, only_first, 7, out, places)
        everything = io.StringIO()
        total = await write_csv(
            session, scope_of([Grant(1, RoleKind.ADMIN)]), 8, everything, places
        )
    header, *rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert written == 1 and len(rows) == 1 and len(header) == 12
    (row,) = rows
    assert row[0] == "E7" and row[2] == "Arbën Çela A" and row[3] == "1980-03-05"
    assert row[4] == "+355692120000" and row[6] == places[ids[0]].name
    assert row[10].startswith("2026-12-03 10:00") and row[11] == ""
    assert total == 3
