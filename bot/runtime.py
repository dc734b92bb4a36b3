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
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBUserWarning

from bot.application import LONG_POLL_SECONDS, build_application
from bot.sending.outbox_sender import OutboxSender
from bot.telegram_http import close_requests
from domain.clock import Clock
from domain.i18n import set_language
from handlers.commands import set_default_commands
from handlers.context import RegjistriApplication
from handlers.turn import Handling, current_update
from storage import inbox
from storage.db import Database
from storage.schema import needs_upgrade, upgrade
from usecases.config import Settings

log = logging.getLogger(__name__)
# We call getUpdates through do_api_request on purpose (to keep the raw JSON); PTB suggests
# Bot.get_updates instead with a warning on every call.
warnings.filterwarnings("ignore", message="Please use 'Bot.getUpdates'", category=PTBUserWarning)
ALLOWED_UPDATES = ["message", "callback_query"]
INBOX_KEEP = timedelta(days=1)


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _chat_of(raw: dict[str, Any]) -> int | None:
    """The chat an update belongs to (its handling order is kept per chat)."""
    for kind in ("message", "edited_message", "callback_query", "my_chat_member"):
        body = raw.get(kind)
        if isinstance(body, dict):
            chat = body.get("chat") or (body.get("message") or {}).get("chat") or body.get("from")
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                return int(chat["id"])
    return None


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
        self._storing: asyncio.Task[None] | None = None  # a fetched batch being stored
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
        from bot.application import on_start

        await on_start(application)
        self.outbox = OutboxSender(
            self.database,
            application.bot,
            max_attempts=self.settings.outbox_max_attempts,
            concurrency=self.settings.outbox_concurrency,
            lease_seconds=self.settings.outbox_lease_seconds,
        )
        application.services.wake_outbox = self.outbox.wake
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
            # Cancelled mid long poll; a batch being stored finishes (its updates are then
            # dispatched and handled below): a write cancelled mid-transaction can leave
            # SQLite's lock with a connection nobody closes.
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        if self._storing is not None:
            with contextlib.suppress(Exception):
                await self._storing
        if self._chains:
            await asyncio.gather(*self._chains.values(), return_exceptions=True)
        if self._marker is not None:
            self._handled_event.set()  # it ends after one last flush: no cancel mid-write
            await self._marker
            await self._flush_handled()
        if self.outbox is not None:
            await self.outbox.stop()
        if self.application is not None:
            if self.application.running:
                await self.application.stop()
            await self.application.shutdown()
            await close_requests(self.application.bot)
        await self.database.dispose()

    @property
    def busy(self) -> bool:
        """Updates fetched and not yet handled (the test harness waits for this)."""
        storing = self._storing is not None and not self._storing.done()
        return storing or bool(self._chains)

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
                # The raw JSON, not Update objects: it is what the inbox stores, and turning
                # Updates back into dicts cost ~3 ms each (measured, bench/registration.py).
                raw = await bot.do_api_request(
                    "getUpdates",
                    api_kwargs={
                        "offset": offset,
                        "timeout": self.poll_timeout,
                        "allowed_updates": ALLOWED_UPDATES,
                    },
                    read_timeout=self.poll_timeout + 10,
                )
                failures = 0
            except RetryAfter as error:
                await asyncio.sleep(_seconds(error.retry_after))
                continue
            except (NetworkError, TimedOut):
                failures += 1
                await asyncio.sleep(min(30.0, 0.5 * 2**failures))
                continue
            if not raw:
                continue
            self._storing = asyncio.create_task(self._store_and_dispatch(list(raw)))  # type: ignore[arg-type]
            try:
                await asyncio.shield(self._storing)  # see stop()
            except (SQLAlchemyError, OSError):
                # Not stored, so not confirmed either: the same offset fetches it again.
                log.exception("storing %d updates failed; fetching them again", len(raw))
                await asyncio.sleep(1.0)
                continue
            # The next getUpdates with this offset confirms the batch: it is stored now.
            offset = int(raw[-1]["update_id"]) + 1  # type: ignore[index]

    async def _store_and_dispatch(self, raw: list[dict[str, Any]]) -> None:
        rows = [(int(item["update_id"]), _chat_of(item), item) for item in raw]
        async with self.database.write() as session:
            fresh = await inbox.store_new(session, rows, datetime.now(UTC))
        assert self.application is not None
        for update_id, chat_id, item in rows:
            if update_id in fresh:
                self._dispatch(Update.de_json(item, self.application.bot), chat_id)

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
        user = update.effective_user
        actor_id = user.id if user is not None else None
        handling = Handling(update.update_id, actor_id=actor_id, slot=self._slots)
        token = current_update.set(handling)
        # The default language until the turn's transaction reads the actor's own.
        set_language(self.settings.default_language)
        try:
            async with self._slots:
                # process_update hands handler errors to the error handler; it does not raise.
                # Replies step out of the slot while they wait (handlers.turn).
                await self.application.process_update(update)
        finally:
            current_update.reset(token)
        if handling.queued:
            # After the replies: what the turn queued goes out behind what it answered.
            self.application.services.wake_outbox()
        if not handling.marked:  # no write transaction of the handler recorded it
            self._handled.append(update.update_id)
            self._handled_event.set()

    async def _mark_handled(self) -> None:
        """Mark handled updates in batches: one write for many updates, not one each.

        An update handled but not yet marked when the process dies is handled again at the
        next start (at-least-once); handlers are written so a repeat is harmless (they
        re-read the step from the database) and the window is one batch (~50 ms).
        """
        while not self._stopping.is_set():
            await self._handled_event.wait()
            await asyncio.sleep(0.05)
            try:
                await self._flush_handled()
            except (SQLAlchemyError, OSError):
                # Unmarked updates would only be handled again after a restart; keep trying.
                log.exception("marking handled updates failed; trying again")
                await asyncio.sleep(1.0)

    async def _flush_handled(self) -> None:
        self._handled_event.clear()
        batch, self._handled = self._handled, []
        if batch:
            try:
                async with self.database.write() as session:
                    await inbox.mark_processed(session, batch, datetime.now(UTC))
            except BaseException:
                self._handled[:0] = batch  # marked with the next batch
                self._handled_event.set()
                raise
