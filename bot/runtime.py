"""Running the bot: the update inbox loop, the outbox sender and the jobs, started and stopped
together.

python-telegram-bot confirms an update to Telegram as soon as it asks for the next batch,
before handlers ran (design §9). So the Runner polls itself: each batch is written to the
`inbox_update` table first, and only then is the next batch requested (which confirms the
previous one). Updates are handled concurrently across people but in order for each chat;
an update left unhandled by a crash is handled at the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from telegram import Update
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.app import LONG_POLL_SECONDS, build_application
from bot.clock import Clock
from bot.commands import set_default_commands
from bot.config import Settings
from bot.context import RegjistriApplication
from bot.outbox import OutboxSender
from storage import inbox
from storage.db import Database
from storage.schema import needs_upgrade, upgrade

log = logging.getLogger(__name__)
ALLOWED_UPDATES = ["message", "callback_query"]
INBOX_KEEP = timedelta(days=1)


class Runner:
    """The bot's whole lifecycle: `await runner.start()` … `await runner.stop()`."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        poll_timeout: int = LONG_POLL_SECONDS,
    ) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        self.poll_timeout = poll_timeout
        self.database = Database(settings.resolved_database_url())
        self.application: RegjistriApplication | None = None
        self.outbox: OutboxSender | None = None
        self._poller: asyncio.Task[None] | None = None
        self._chains: dict[int, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(settings.concurrent_updates)
        self._stopping = asyncio.Event()
        self._handled: list[int] = []
        self._handled_event = asyncio.Event()
        self._marker: asyncio.Task[None] | None = None

    async def start(self) -> RegjistriApplication:
        url = self.settings.resolved_database_url()
        if await needs_upgrade(url):
            await upgrade(url)
        application = build_application(self.settings, self.database, clock=self.clock)
        self.application = application
        await application.initialize()
        if application.post_init:
            await application.post_init(application)
        await application.bot.delete_webhook(drop_pending_updates=False)
        await set_default_commands(application)
        from bot.lifecycle import on_start

        await on_start(application)
        self.outbox = OutboxSender(
            self.database,
            application.bot,
            rate_per_second=self.settings.outbox_rate_per_second,
            per_chat_interval=self.settings.outbox_per_chat_interval_seconds,
            max_attempts=self.settings.outbox_max_attempts,
        )
        application.services.outbox = self.outbox
        await application.start()
        await self.outbox.start()
        await self._replay_unhandled()
        self._marker = asyncio.create_task(self._mark_handled(), name="regjistri-inbox-marker")
        self._poller = asyncio.create_task(self._poll(), name="regjistri-inbox-poller")
        return application

    async def stop(self) -> None:
        """Stop fetching, finish the updates in hand, flush nothing half-done, close."""
        self._stopping.set()
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        if self._chains:
            await asyncio.gather(*self._chains.values(), return_exceptions=True)
        if self._marker is not None:
            self._marker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._marker
            await self._flush_handled()
        if self.outbox is not None:
            await self.outbox.stop()
        if self.application is not None:
            if self.application.running:
                await self.application.stop()
            await self.application.shutdown()
        await self.database.dispose()

    def request_stop(self) -> None:
        """Ask `run_forever` to stop (from a signal handler)."""
        self._stopping.set()

    async def run_forever(self) -> None:
        await self.start()
        try:
            await self._stopping.wait()
        finally:
            await self.stop()

    # --- the inbox --------------------------------------------------------------------------

    async def _replay_unhandled(self) -> None:
        async with self.database.read() as session:
            rows = await inbox.unprocessed(session)
        assert self.application is not None
        for row in rows:
            log.info("handling update %s left over from the last run", row.update_id)
            update = Update.de_json(row.payload, self.application.bot)
            self._dispatch(update, row.chat_id)

    async def _poll(self) -> None:
        assert self.application is not None
        bot = self.application.bot
        offset: int | None = None
        failures = 0
        while not self._stopping.is_set():
            try:
                updates = await bot.get_updates(
                    offset=offset,
                    timeout=self.poll_timeout,
                    allowed_updates=ALLOWED_UPDATES,
                )
                failures = 0
            except RetryAfter as error:
                await asyncio.sleep(
                    float(
                        error.retry_after
                        if isinstance(error.retry_after, int)
                        else error.retry_after.total_seconds()
                    )
                )
                continue
            except (NetworkError, TimedOut):
                failures += 1
                await asyncio.sleep(min(30.0, 0.5 * 2**failures))
                continue
            if not updates:
                continue
            await self._store_and_dispatch(updates)
            # The next get_updates with this offset confirms the batch: it is stored now.
            offset = updates[-1].update_id + 1

    async def _store_and_dispatch(self, updates: tuple[Update, ...]) -> None:
        rows = []
        for update in updates:
            chat = update.effective_chat
            rows.append((update.update_id, chat.id if chat else None, update.to_dict()))
        async with self.database.write() as session:
            fresh = await inbox.store_new(session, rows, datetime.now(UTC))
        for update, (_, chat_id, _) in zip(updates, rows, strict=True):
            if update.update_id in fresh:
                self._dispatch(update, chat_id)

    def _dispatch(self, update: Update, chat_id: int | None) -> None:
        """Handle after the chat's previous update (per-chat order), within the concurrency."""
        key = chat_id if chat_id is not None else -update.update_id
        previous = self._chains.get(key)
        task = asyncio.create_task(self._handle(update, previous))
        self._chains[key] = task
        task.add_done_callback(lambda done: self._forget(key, done))

    def _forget(self, key: int, task: asyncio.Task[None]) -> None:
        if self._chains.get(key) is task:
            del self._chains[key]

    async def _handle(self, update: Update, previous: asyncio.Task[None] | None) -> None:
        if previous is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(previous)
        assert self.application is not None
        async with self._slots:
            # process_update hands handler errors to the error handler; it does not raise.
            await self.application.process_update(update)
        self._handled.append(update.update_id)
        self._handled_event.set()

    async def _mark_handled(self) -> None:
        """Mark handled updates in batches: one write for many updates, not one each.

        An update handled but not yet marked when the process dies is handled again at the
        next start (at-least-once); handlers are written so a repeat is harmless (they
        re-read the step from the database) and the window is one batch (~50 ms).
        """
        while True:
            await self._handled_event.wait()
            await asyncio.sleep(0.05)
            await self._flush_handled()

    async def _flush_handled(self) -> None:
        self._handled_event.clear()
        batch, self._handled = self._handled, []
        if batch:
            async with self.database.write() as session:
                await inbox.mark_processed(session, batch, datetime.now(UTC))
