"""Typed access to what handlers need: `context.db`, `context.settings`, … (style.md §2)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import Application, CallbackContext, ExtBot

from domain.clock import Clock
from domain.i18n import set_language
from domain.places import MunicipalityMatcher, Place
from handlers.turn import current_update, note_queued
from storage import inbox, outbox
from storage.accounts import mark_reachable
from storage.drafts import ERASED_PERSONAL_DATA
from storage.turn import read_turn
from usecases.config import Settings
from usecases.services import Services

if TYPE_CHECKING:
    from storage.db import Database


class RegjistriApplication(Application):  # type: ignore[type-arg]
    """PTB's Application carrying our services (Application itself has __slots__)."""

    def __init__(self, services: Services, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The context handed to every handler.

    `transaction()` and `reading()` open the update's unit of work and, in the same
    session, adopt the person's stored language: one query inside a transaction the handler
    opens anyway, rather than a separate read per update (measured: the separate read was a
    third of the paced latency in bench/registration.py).
    """

    @property
    def actor_id(self) -> int | None:
        """The Telegram user the update comes from (the runner notes it as the turn opens)."""
        handling = current_update.get()
        return handling.actor_id if handling is not None else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One write transaction, speaking the actor's language.

        It also marks the update being handled as handled, so both commit together
        (handlers/turn.py).
        """
        handling = current_update.get()
        async with self.db.write() as session:
            await self._adopt_language(session, writable=True)
            yield session
            if handling is not None and not handling.marked:
                await inbox.mark_processed(session, [handling.update_id], datetime.now(UTC))
            queued = bool(session.info.get(outbox.QUEUED_MESSAGES))
            erased = bool(session.info.get(ERASED_PERSONAL_DATA))
        if handling is not None:
            handling.marked = True  # committed
            handling.queued = handling.queued or queued
        if erased:
            # The erased rows' old pages would stay in the write-ahead log until SQLite
            # checkpoints on its own; empty it now (storage/db.py).
            await self.db.checkpoint()

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A plain write after the turn's transaction (what a sent reply's id adds)."""
        async with self.db.write() as session:
            yield session
            queued = bool(session.info.get(outbox.QUEUED_MESSAGES))
        if queued:
            note_queued()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read-only session, speaking the actor's language."""
        async with self.db.read() as session:
            await self._adopt_language(session, writable=False)
            yield session

    async def resolve_language(self) -> None:
        """For handlers that answer without touching the database otherwise."""
        async with self.reading():
            pass

    async def _adopt_language(self, session: AsyncSession, *, writable: bool) -> None:
        if self.actor_id is None:
            return
        # The account, the draft and the wait for a reason in one statement; the handler's
        # storage calls find them in the session (storage/turn.py).
        turn = await read_turn(session, self.actor_id)
        if turn.language is None:
            return
        set_language(turn.language)
        if writable and turn.unreachable_since is not None:
            # They write to the bot again, so they unblocked it: deliver to them again.
            await mark_reachable(session, self.actor_id)

    @property
    def services(self) -> Services:
        app = self.application
        assert isinstance(app, RegjistriApplication)
        return app.services

    @property
    def db(self) -> Database:
        return self.services.database

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def matcher(self) -> MunicipalityMatcher:
        assert self.services.matcher is not None, "places are loaded in post_init"
        return self.services.matcher

    @property
    def places(self) -> dict[int, Place]:
        return self.services.places
