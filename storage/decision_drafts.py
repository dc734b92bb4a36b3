"""Rejections waiting for a typed reason (one per decider).

A row rather than process memory, so a reason typed after a restart still lands.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DecisionDraft


async def wait_for_reason(
    session: AsyncSession, telegram_id: int, member_id: int, now: datetime
) -> None:
    """The decider's next text message is the reason for rejecting `member_id`."""
    draft = await session.get(DecisionDraft, telegram_id)
    if draft is None:
        session.add(DecisionDraft(telegram_id=telegram_id, member_id=member_id, created_at=now))
    else:
        draft.member_id = member_id
        draft.created_at = now
        draft.prompt_message_id = None  # the prompt about to be sent replaces the old one
    await session.flush()


async def remember_prompt(
    session: AsyncSession, telegram_id: int, member_id: int, message_id: int
) -> None:
    """The message that asked for the reason (sent after the wait was committed)."""
    await session.execute(
        update(DecisionDraft)
        .where(DecisionDraft.telegram_id == telegram_id, DecisionDraft.member_id == member_id)
        .values(prompt_message_id=message_id)
    )


async def reason_wait(session: AsyncSession, telegram_id: int) -> DecisionDraft | None:
    return await session.get(DecisionDraft, telegram_id)


async def clear_reason_wait(
    session: AsyncSession, telegram_id: int, member_id: int | None = None
) -> bool:
    """Drop the decider's wait; with `member_id`, only a wait for that application.

    Deciding (or pressing on) one application must not drop a rejection of another that
    the decider is still typing the reason for.
    """
    query = delete(DecisionDraft).where(DecisionDraft.telegram_id == telegram_id)
    if member_id is not None:
        query = query.where(DecisionDraft.member_id == member_id)
    result = await session.execute(query)
    return bool(result.rowcount)  # type: ignore[attr-defined]
