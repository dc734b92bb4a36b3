"""The update inbox: every incoming update is stored before Telegram is told it arrived."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import sqlite_bind, sqlite_connection, sqlite_run
from storage.models import InboxUpdate

_C = InboxUpdate.__table__.c


@functools.lru_cache(maxsize=128)
def _sqlite_store(count: int) -> str:
    rows = ", ".join(["(?, ?, ?, ?)"] * count)
    return (
        f"INSERT INTO inbox_update (update_id, chat_id, payload, received_at) VALUES {rows}"
        " ON CONFLICT (update_id) DO NOTHING RETURNING update_id"
    )


async def store_new(
    session: AsyncSession, rows: list[tuple[int, int | None, dict[str, Any]]], now: datetime
) -> set[int]:
    """Insert (update_id, chat_id, payload) rows; return the ids that were not there before.

    The same update_id twice (Telegram re-sending after a crash) has one effect.
    """
    if not rows:
        return set()
    raw = await sqlite_connection(session)
    if raw is not None:
        # Every batch: a prepared multi-row INSERT, not one compiled anew by SQLAlchemy for
        # each batch size (bench/registration.py --profile: ~10 ms a batch).
        payload, received = sqlite_bind(_C.payload), sqlite_bind(_C.received_at)(now)
        values = [v for uid, chat, body in rows for v in (uid, chat, payload(body), received)]
        return {uid for (uid,) in sqlite_run(raw, _sqlite_store(len(rows)), values).fetchall()}
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(InboxUpdate)
        .values(
            [
                {"update_id": uid, "chat_id": chat, "payload": payload, "received_at": now}
                for uid, chat, payload in rows
            ]
        )
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(InboxUpdate.update_id)
    )
    return set((await session.scalars(statement)).all())


async def unprocessed(session: AsyncSession) -> list[InboxUpdate]:
    """Updates stored but not handled (the process stopped mid-way), oldest first."""
    query = (
        select(InboxUpdate)
        .where(InboxUpdate.processed_at.is_(None))
        .order_by(InboxUpdate.update_id)
    )
    return list((await session.scalars(query)).all())


_SQLITE_MARK: Final = "UPDATE inbox_update SET processed_at = ?, payload = ? WHERE update_id = ?"


async def mark_processed(session: AsyncSession, update_ids: list[int], now: datetime) -> None:
    """Done: keep the id (for de-duplication) but drop the payload, which holds personal data."""
    raw = await sqlite_connection(session)
    if raw is not None:
        # Every update's transaction ends with this: a prepared statement (storage/db.py).
        at, empty = sqlite_bind(_C.processed_at)(now), sqlite_bind(_C.payload)({})
        sqlite_run(
            raw, _SQLITE_MARK, [(at, empty, update_id) for update_id in update_ids], many=True
        )
        return
    await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id.in_(update_ids))
        .values(processed_at=now, payload={})
    )


async def purge(session: AsyncSession, now: datetime, keep: timedelta) -> int:
    """Forget handled updates older than `keep`: Telegram never re-sends those."""
    result = await session.execute(
        delete(InboxUpdate).where(
            InboxUpdate.processed_at.is_not(None), InboxUpdate.processed_at < now - keep
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
