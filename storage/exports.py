"""Exports of individuals (issue 15): the rows streamed in the scope's order, and the
export's own record. Memory stays flat whatever the register's size: rows are fetched in
batches from a server-side cursor and written as they come."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.permissions import Scope
from storage.applications import in_scope
from storage.db import sqlite_connection, sqlite_run
from storage.models import Export, Member

BATCH = 5000

# Dates and times come as the database's text: converting 3 values a row to Python objects
# and back to text was most of an export's time (measured: bench/register.py).
COLUMNS = (
    Member.id,
    Member.full_name,
    cast(Member.birth_date, String).label("birth_date"),
    Member.phone_e164,
    Member.phone_verified,
    Member.municipality_id,
    Member.status,
    Member.membership_number,
    cast(Member.submitted_at, String).label("submitted_at"),
    cast(Member.decided_at, String).label("decided_at"),
)


def scope_detail(scope: Scope) -> dict[str, Any]:
    """The scope as stored with the export (ids only)."""
    return {
        "national": scope.national,
        "county_ids": sorted(scope.county_ids),
        "municipality_ids": sorted(scope.municipality_ids),
    }


def scope_from(detail: dict[str, Any]) -> Scope:
    return Scope(
        national=bool(detail.get("national")),
        county_ids=frozenset(int(i) for i in detail.get("county_ids", [])),
        municipality_ids=frozenset(int(i) for i in detail.get("municipality_ids", [])),
    )


async def count_in_scope(session: AsyncSession, scope: Scope) -> int:
    query = in_scope(select(func.count()).select_from(Member), scope)
    return int(await session.scalar(query) or 0)


async def stream_rows(
    session: AsyncSession, scope: Scope, *, limit: int | None = None
) -> AsyncIterator[Sequence[Sequence[Any]]]:
    """The scope's members in COLUMNS order, oldest entry first, a batch at a time.

    On SQLite the statement runs on the transaction's own sqlite3 connection and batches
    come straight from its cursor: the ORM's result machinery cost more than the query
    (bench/register.py: a national export went from ~26 000 to over 100 000 rows/s).
    """
    query = in_scope(select(*COLUMNS), scope).order_by(Member.id)
    if limit is not None:
        query = query.limit(limit)
    raw = await sqlite_connection(session)
    if raw is not None:
        compiled = query.compile(
            dialect=session.bind.dialect, compile_kwargs={"render_postcompile": True}
        )
        names = compiled.positiontup or []
        cursor = sqlite_run(raw, str(compiled), [compiled.params[name] for name in names])
        while batch := cursor.fetchmany(BATCH):
            yield batch
            await asyncio.sleep(0)  # let replies through between batches
        return
    result = await session.stream(query.execution_options(yield_per=BATCH))
    async for partition in result.partitions(BATCH):
        yield partition


async def start_export(
    session: AsyncSession,
    *,
    actor_id: int | None,
    scope: Scope,
    purpose: str | None,
    status: str,
    now: datetime,
) -> Export:
    export = Export(
        actor_id=actor_id,
        scope=scope_detail(scope),
        purpose=purpose,
        status=status,
        created_at=now,
    )
    session.add(export)
    await session.flush()
    return export


async def decide_request(
    session: AsyncSession, export_id: int, *, approver_id: int, approve: bool, now: datetime
) -> Export | None:
    """Approve or refuse a requested export, once; never by the one who asked for it."""
    result = await session.execute(
        update(Export)
        .where(
            Export.id == export_id,
            Export.status == "requested",
            Export.actor_id != approver_id,
        )
        .values(
            status="approved" if approve else "refused", approved_by=approver_id, decided_at=now
        )
        .returning(Export.id)
    )
    if result.scalar() is None:
        return None
    return await session.get(Export, export_id, populate_existing=True)


async def finish_export(session: AsyncSession, export_id: int, rows: int, now: datetime) -> None:
    await session.execute(
        update(Export).where(Export.id == export_id).values(status="done", rows=rows, done_at=now)
    )
