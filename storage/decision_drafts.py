"""Rejections waiting for a typed reason (one per decider)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DecisionDraft


async def wait_for_reason(
    session: AsyncSession, telegram_id: int, member_id: int, now: datetime
) -> None:
    draft = await session.get(DecisionDraft, telegram_id)
    if draft is None:
        session.add(DecisionDraft(telegram_id=telegram_id, member_id=member_id, created_at=now))
    else:
        draft.member_id = member_id
        draft.created_at = now
    await session.flush()


async def reason_wait(session: AsyncSession, telegram_id: int) -> DecisionDraft | None:
    return await session.get(DecisionDraft, telegram_id)


async def clear_reason_wait(session: AsyncSession, telegram_id: int) -> bool:
    result = await session.execute(
        delete(DecisionDraft).where(DecisionDraft.telegram_id == telegram_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
