"""Telegram accounts: the language a person chose and whether Telegram still delivers to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account


async def get_account(session: AsyncSession, telegram_id: int) -> Account | None:
    return await session.get(Account, telegram_id)


async def ensure_account(
    session: AsyncSession, telegram_id: int, language: str, now: datetime
) -> Account:
    """The person's account, created on first need (consent or a language choice)."""
    account = await session.get(Account, telegram_id)
    if account is None:
        account = Account(telegram_id=telegram_id, language=language, created_at=now)
        session.add(account)
        await session.flush()
    return account


async def set_language(
    session: AsyncSession, telegram_id: int, language: str, now: datetime
) -> Account:
    account = await ensure_account(session, telegram_id, language, now)
    account.language = language
    return account


async def mark_unreachable(session: AsyncSession, telegram_id: int, now: datetime) -> None:
    await session.execute(
        update(Account)
        .where(Account.telegram_id == telegram_id, Account.unreachable_at.is_(None))
        .values(unreachable_at=now)
    )


async def mark_reachable(session: AsyncSession, telegram_id: int) -> None:
    """A person who writes to the bot again has unblocked it."""
    await session.execute(
        update(Account)
        .where(Account.telegram_id == telegram_id, Account.unreachable_at.is_not(None))
        .values(unreachable_at=None)
    )
