"""Telegram accounts: the language a person chose and whether Telegram still delivers to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account
from storage.prepared import Prepared


async def get_account(session: AsyncSession, telegram_id: int) -> Account | None:
    return await session.get(Account, telegram_id)


async def language_of(session: AsyncSession, telegram_id: int, default: str) -> str:
    """The language to speak to a person in: the one they chose, else the default.

    The one place the fallback is written (messages, menus, notifications all use it).
    """
    language = await session.scalar(
        select(Account.language).where(Account.telegram_id == telegram_id)
    )
    return language or default


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


async def open_account(
    session: AsyncSession, telegram_id: int, language: str, now: datetime
) -> None:
    """Make sure the person has an account (consent): one INSERT that does nothing when
    they have one, no object loaded or flushed."""
    await _OPEN_ACCOUNT.run(session, telegram_id=telegram_id, language=language, now=now)


_OPEN_ACCOUNT = Prepared.per_dialect(
    lambda insert: (
        insert(Account)
        .values(
            telegram_id=bindparam("telegram_id"),
            language=bindparam("language"),
            created_at=bindparam("now"),
        )
        .on_conflict_do_nothing()
    )
)


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
    """They wrote to the bot again, so they unblocked it: deliver to them again."""
    await session.execute(
        update(Account)
        .where(Account.telegram_id == telegram_id)
        .values(unreachable_at=None)
        .execution_options(synchronize_session=False)
    )
