"""What the retention sweep finds (design §8): decided entries past their period,
abandoned drafts, and finished messages that still carry text."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text, cast, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery, Member, RegistrationDraft
from storage.outbox import FINAL

#: Entries that are over: kept only for the retention period, then erased.
CLOSED = ("rejected", "withdrawn", "ended")


async def closed_entries_before(session: AsyncSession, cutoff: datetime) -> list[Member]:
    query = select(Member).where(Member.status.in_(CLOSED), Member.decided_at < cutoff)
    return list((await session.scalars(query)).all())


async def drafts_untouched_since(session: AsyncSession, cutoff: datetime) -> list[int]:
    query = select(RegistrationDraft.telegram_id).where(RegistrationDraft.updated_at < cutoff)
    return list((await session.scalars(query)).all())


async def blank_finished_deliveries(session: AsyncSession) -> int:
    """Every message that reached its final state loses its text and buttons: what was
    said stays said in the chat, the database keeps only ids and the outcome. Edits find
    their message by id, never by the original's text."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.status.in_(FINAL), cast(Delivery.payload, Text) != "{}")
        .values(payload={})
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
