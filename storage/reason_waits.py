"""Rejections waiting for a typed reason (one per decider).

A row rather than process memory, so a reason typed after a restart still lands.

The wait is for the decider's very next message: `since_update_id` is the update that
started (or renewed) it, and any other update of the decider's chat after it (a command, a
press, a reply to something else) ends it. That is read from the inbox, which keeps every
update's id and chat for a day, so the other handlers need not clear anything.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import MISSING_ROWS
from storage.models import DecisionDraft, InboxUpdate


async def wait_for_reason(
    session: AsyncSession,
    telegram_id: int,
    member_id: int,
    now: datetime,
    since_update_id: int | None,
) -> None:
    """The decider's next text message (after `since_update_id`) is the reason for
    rejecting `member_id`."""
    draft = await session.get(DecisionDraft, telegram_id)
    if draft is None:
        draft = DecisionDraft(telegram_id=telegram_id, member_id=member_id, created_at=now)
        session.add(draft)
    draft.member_id = member_id
    draft.created_at = now
    draft.prompt_message_id = None  # the prompt about to be sent replaces the old one
    draft.since_update_id = since_update_id
    draft.reason = None
    await session.flush()


async def hold_reason(
    session: AsyncSession, draft: DecisionDraft, reason: str | None, since_update_id: int | None
) -> None:
    """A typed reason shown back for Send / Change (None: a new one is awaited)."""
    draft.reason = reason
    draft.since_update_id = since_update_id
    await session.flush()


async def acted_since(
    session: AsyncSession, chat_id: int, after_update_id: int, before_update_id: int
) -> bool:
    """Whether the chat sent any update between the two (both excluded)."""
    query = select(
        exists().where(
            InboxUpdate.chat_id == chat_id,
            InboxUpdate.update_id > after_update_id,
            InboxUpdate.update_id < before_update_id,
        )
    )
    return bool(await session.scalar(query))


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
    if (DecisionDraft, telegram_id) in session.info.get(MISSING_ROWS, ()):
        return False  # the turn found none, and nothing was added since (storage/turn.py)
    query = delete(DecisionDraft).where(DecisionDraft.telegram_id == telegram_id)
    if member_id is not None:
        query = query.where(DecisionDraft.member_id == member_id)
    result = await session.execute(query)
    return bool(result.rowcount)  # type: ignore[attr-defined]
