"""The sender loop: delivers the outbox (`storage.outbox`) at Telegram's limits.

Handlers never call Telegram for messages the bot sends on its own initiative: they queue a
delivery row in the transaction that made the decision, and this loop sends it. Why it is
built the way it is:

- **Pacing, not hammering, in one place.** Every call goes through the bot's `Pacer`
  (`bot.sending.pacer`), the same one direct replies use, so replies and the outbox share
  Telegram's budget and replies go first. Rows are sent at `NOTIFY` priority, or `BULK` for
  announcements (a row priority below zero). Chats the pacer is cooling are skipped at
  claim time: other chats proceed meanwhile.
- **Per-chat order** comes from the claim (`storage.outbox_claims.claim_due`): a chat's next row is
  only taken once the previous one has reached a final state.
- **Short transactions.** Claiming is one write transaction, recording an outcome is
  another; no transaction is open during a Bot API call, so the sender never holds
  SQLite's write lock (or PostgreSQL row locks) while waiting on the network.
- **Outcomes.** Success → sent, with the message id (edits need it). 429 → the pacer waits
  retry_after and sends again; only a wait longer than half the lease comes back here, and
  the row is queued again after it with the attempt refunded: flood control says nothing
  about the message, so it must not exhaust max_attempts.
  403 → unreachable, never retried, and the person's other queued rows end with it.
  400 "message is not modified" → sent (the text is already what we wanted); any other
  400 → failed with Telegram's description. 5xx, timeouts and connection errors → retried
  with exponential backoff (backoff_base·2^(n-1), capped, ±10 % jitter) until
  max_attempts, then failed.
- **Delivery is at least once, and the window is small and known.** A row is marked
  'sending' before the call and 'sent' after it. If the process dies in between, the row
  stays 'sending'; once its claim is older than `lease_seconds`, the next sender takes it
  again. So a crash can send at most `concurrency` messages twice (the ones in flight at
  that moment), and a timeout whose request did reach Telegram can send one message twice;
  nothing is ever lost. The lease must exceed the longest call (PTB's timeouts, a few
  seconds): a sender re-claiming rows another live sender is still sending would double
  them. Run one sender per bot; PostgreSQL's SKIP LOCKED makes a second one safe against
  double claims, but two senders would each pace at the full rate.
- Real time only (datetime.now(UTC), time.monotonic): retries and leases are about
  Telegram and crashes, not about the business clock tests move.
- Logs carry delivery ids and chat ids, never message text.
- The call itself, and how its answer is classified, live in `bot.sending.telegram_calls`.

The bot's HTTP connection pool must allow `concurrency` parallel calls (PTB's default
request has 256 connections; a pool of 1 would turn concurrency into pool timeouts).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar

import telegram
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.sending.pacer import Pacer
from bot.sending.telegram_calls import Job, Outcome, call_telegram
from storage import outbox
from storage import outbox_claims as sending
from storage.db import Database
from storage.models import Delivery

log = logging.getLogger(__name__)

#: Attempts to record an outcome before giving up (the row then waits for the lease).
_RECORD_TRIES: Final = 3
_T = TypeVar("_T")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class OutboxSender:
    """Delivers queued rows: a background loop (`start`/`stop`) or by hand (`run_once`)."""

    def __init__(
        self,
        database: Database,
        bot: telegram.Bot,
        *,
        max_attempts: int = 8,
        lease_seconds: float = 60.0,
        concurrency: int = 8,
        poll_interval: float = 1.0,
        backoff_base: float = 1.0,
        backoff_max: float = 300.0,
        record_every: float = 0.02,
        claim_batch: int = 1,
    ) -> None:
        if concurrency < 1 or max_attempts < 1:
            raise ValueError("concurrency and max_attempts must be positive")
        pacer = getattr(bot, "rate_limiter", None)
        if not isinstance(pacer, Pacer):
            raise TypeError("the outbox sends through the bot's Pacer: build it with one")
        self.database = database
        self.bot = bot
        self.pacer = pacer
        self.max_attempts = max_attempts
        self.lease_seconds = lease_seconds
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.stats: dict[str, int] = dict.fromkeys(
            ("sent", "retried", "failed", "unreachable", "rate_limited"), 0
        )
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._wakeup = asyncio.Event()
        self._inflight: set[int] = set()
        self._transactions: set[asyncio.Task[Any]] = set()  # see _whole()
        # Successes are written in batches (see _record_sent).
        self.record_every = record_every
        self.claim_batch = max(1, claim_batch)
        self._sent_batch: list[tuple[int, int | None]] = []
        self._sent_written: asyncio.Future[None] | None = None
        self._sent_timer: asyncio.TimerHandle | None = None  # when the batch is written

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Run the loop in the background.

        Rows a crashed sender left 'sending' are taken again by the claim once their lease
        has expired (see the module docstring for the at-least-once window this implies).
        """
        if self._task is not None and not self._task.done():
            raise RuntimeError("the outbox sender is already running")
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        """Stop claiming, let the calls in flight finish and record their outcome."""
        self._stopping = True
        self._wakeup.set()
        task, self._task = self._task, None
        if task is not None:
            await task
        self._stopping = False

    async def kill(self) -> None:
        """Stop at once, as a crash would: rows in flight stay 'sending' (tests, bench).

        Successes not yet written are lost with the process, as in a crash: their batch's
        timer would otherwise still write them after this returned (a crash test once saw
        a row it had found 'sending' turn 'sent' behind its back, 1 run in ~50).
        """
        if self._sent_timer is not None:
            self._sent_timer.cancel()
            self._sent_timer, self._sent_batch = None, []
            written, self._sent_written = self._sent_written, None
            if written is not None:
                written.cancel()
        task, self._task = self._task, None
        while task is not None and not task.done():
            # Again until it ends: a library may swallow one cancellation (see _run).
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)
        if self._transactions:
            await asyncio.gather(*self._transactions, return_exceptions=True)
        if task is not None and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]  # a real failure, not the kill

    def wake(self) -> None:
        """A handler committed new rows: deliver them now rather than at the next poll."""
        self._wakeup.set()

    async def idle(self) -> bool:
        """Nothing in flight and nothing due now (the test harness waits for this).

        A stopped sender is idle: there is nothing to wait for until it starts again.
        """
        if not self.running:
            return True
        if self._inflight:
            return False
        async with self.database.read() as session:
            return not await sending.any_due(session, now=_utcnow())

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    # --- one pass, and waiting for the queue to empty ----------------------------------------

    async def run_once(self) -> int:
        """Deliver what is due now; returns the rows that reached a final state or a retry.

        Stops when nothing more may be sent right now (nothing due, the remaining chats
        cooling down, or a 429 pause).
        """
        done = 0
        while not self._stopping:
            jobs = await self._claim(self.concurrency)
            if not jobs:
                break
            done += sum(await asyncio.gather(*(self._deliver(job) for job in jobs)))
        return done

    async def drain(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - the API asked for
        """Wait until no row is queued or sending; raise TimeoutError after `timeout` s.

        With the loop running it only watches; otherwise it runs passes itself.
        """
        deadline = time.monotonic() + timeout
        while True:
            async with self.database.read() as session:
                current = await outbox.counts(session)
            if not current.get(outbox.QUEUED) and not current.get(outbox.SENDING):
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(f"outbox not drained after {timeout} s: {current}")
            if not self.running:
                await self.run_once()
            await asyncio.sleep(min(0.05, self._idle_timeout()))

    # --- the loop ---------------------------------------------------------------------------

    async def _run(self) -> None:
        """Claim into free slots, deliver concurrently, sleep until something changes."""
        log.info("outbox sender started")
        async with asyncio.TaskGroup() as tasks:
            while not self._stopping:
                self._wakeup.clear()
                free = self.concurrency - len(self._inflight)
                # Claim in batches: a claim is a write transaction, and one per freed slot
                # at hundreds of messages a second stalled the loop the pace runs on.
                if free >= min(self.claim_batch, self.concurrency) or (free and not self._inflight):
                    try:
                        jobs = await self._claim(free)
                    except (SQLAlchemyError, OSError):
                        log.exception("outbox: claiming failed; trying again")
                        jobs = []
                        await asyncio.sleep(self.poll_interval)
                    for job in jobs:
                        tasks.create_task(self._deliver(job), name=f"delivery-{job.id}")
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a
                # cancellation that lands as the wait ends, and kill() then never returned.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._idle_timeout()):
                        await self._wakeup.wait()
        log.info("outbox sender stopped")

    def _idle_timeout(self) -> float:
        """How long nothing can change on its own: the poll, a cooling chat, a 429 pause."""
        timeout = self.poll_interval
        change = self.pacer.next_change_in()
        if change is not None:
            timeout = min(timeout, change)
        return max(timeout, 0.001)

    async def _claim(self, limit: int) -> list[Job]:
        """One short write transaction: take due rows of chats that may get a message now."""
        rows, originals = await self._whole(self._claim_rows(limit))
        jobs = []
        for row in rows:
            if row.id in self._inflight:
                # Our own call outlived the lease; it will record the outcome itself.
                log.warning("outbox: delivery %s in flight longer than the lease", row.id)
                continue
            original = None
            if row.edits_delivery_id is not None:
                status, message_id = originals.get(row.edits_delivery_id, ("missing", None))
                original = (row.edits_delivery_id, status, message_id)
            jobs.append(
                Job(
                    row.id,
                    row.chat_id,
                    row.method,
                    dict(row.payload),
                    row.attempts,
                    priority=row.priority,
                    original=original,
                )
            )
            self._inflight.add(row.id)
        return jobs

    async def _claim_rows(
        self, limit: int
    ) -> tuple[list[Delivery], dict[int, tuple[str, int | None]]]:
        async with self.database.write() as session:
            rows = await sending.claim_due(
                session,
                now=_utcnow(),
                limit=limit,
                lease_seconds=self.lease_seconds,
                exclude_chat_ids=self.pacer.cooling_chats(),
            )
            edited = {r.edits_delivery_id for r in rows if r.edits_delivery_id is not None}
            return rows, await sending.originals_message_ids(session, edited)

    async def _whole(self, transaction: Coroutine[Any, Any, _T]) -> _T:
        """Run a transaction to its end even if this sender is cancelled meanwhile.

        A cancellation landing inside a transaction leaves its connection mid-statement,
        and on SQLite that connection can keep the write lock until it is collected: every
        other writer then fails with "database is locked". Shielded, the transaction
        commits or rolls back and the cancellation takes effect right after it, which is
        what a crash just after the commit would do. kill() waits for these.
        """
        task = asyncio.create_task(transaction)
        self._transactions.add(task)
        task.add_done_callback(self._transactions.discard)
        return await asyncio.shield(task)

    # --- one delivery -----------------------------------------------------------------------

    async def _deliver(self, job: Job) -> int:
        """Send one claimed row and record the outcome; 1 when recorded, 0 when handed back."""
        try:
            outcome = await call_telegram(self.bot, job, max_wait=self.lease_seconds / 2)
            await self._apply(job, outcome)
            return 1
        except Exception:
            # Never let one row stop the loop; the row waits for its lease.
            log.exception("outbox: delivery %s to chat %s: unexpected error", job.id, job.chat_id)
            return 0
        finally:
            self._inflight.discard(job.id)
            self._wakeup.set()

    async def _apply(self, job: Job, outcome: Outcome) -> None:
        """Record the outcome in its own short transaction and count it."""
        now = _utcnow()
        kind = outcome.kind
        if kind == "sent":
            await self._record_sent(job.id, outcome.message_id)
            self.stats["sent"] += 1
            log.debug("outbox: delivery %s to chat %s sent", job.id, job.chat_id)
        elif kind == "rate_limited":
            wait = max(outcome.retry_after, 0.0)  # the pacer is paused for it already
            self.stats["rate_limited"] += 1
            log.warning("outbox: 429 on delivery %s; pausing %.1f s", job.id, wait)
            await self._record(
                job.id,
                lambda s: sending.mark_retry(
                    s,
                    job.id,
                    not_before=now + timedelta(seconds=wait),
                    error=f"429 flood control, retry after {wait:g} s",
                    refund_attempt=True,
                ),
            )
        elif kind == "unreachable":
            await self._record(
                job.id, lambda s: sending.mark_unreachable(s, job.id, error=outcome.error, now=now)
            )
            self.stats["unreachable"] += 1
            log.info("outbox: chat %s unreachable (delivery %s)", job.chat_id, job.id)
        elif kind == "transient" and job.attempts < self.max_attempts:
            delay = self._backoff(job.attempts)
            await self._record(
                job.id,
                lambda s: sending.mark_retry(
                    s, job.id, not_before=now + timedelta(seconds=delay), error=outcome.error
                ),
            )
            self.stats["retried"] += 1
            log.info("outbox: delivery %s: %s; retry in %.1f s", job.id, outcome.error, delay)
        else:
            error = outcome.error
            if kind == "transient":
                error = f"gave up after {job.attempts} attempts: {error}"
            await self._record(
                job.id, lambda s: sending.mark_failed(s, job.id, error=error, now=now)
            )
            self.stats["failed"] += 1
            log.warning("outbox: delivery %s to chat %s failed: %s", job.id, job.chat_id, error)

    async def _record_sent(self, delivery_id: int, message_id: int | None) -> None:
        """Record a success together with the others of the next `record_every` seconds.

        At hundreds of messages a second a write transaction per success was the sender's
        main cost; one transaction for each batch (`mark_sent_many`) is not. The call waits
        until its batch is written, so a delivery counts as done only once recorded: a
        crash before the write leaves the batch 'sending', to be sent again after the
        lease, which widens the at-least-once window by at most one batch.
        """
        self._sent_batch.append((delivery_id, message_id))
        if self._sent_written is None:
            self._sent_written = asyncio.get_running_loop().create_future()
            self._sent_timer = asyncio.get_running_loop().call_later(
                self.record_every, self._write_sent_batch
            )
        await asyncio.shield(self._sent_written)

    def _write_sent_batch(self) -> None:
        self._sent_timer = None
        batch, self._sent_batch = self._sent_batch, []
        written, self._sent_written = self._sent_written, None
        assert written is not None
        now = _utcnow()

        async def write() -> None:
            try:
                await self._record(batch[0][0], lambda s: sending.mark_sent_many(s, batch, now=now))
            except BaseException as error:
                if not written.done():
                    written.set_exception(error)
                raise
            if not written.done():
                written.set_result(None)

        task = asyncio.get_running_loop().create_task(write())
        task.add_done_callback(lambda t: t.cancelled() or t.exception())

    def _backoff(self, attempts: int) -> float:
        """backoff_base · 2^(attempts-1), capped at backoff_max, with ±10 % jitter so
        rows that failed together (a Telegram outage) do not all come back together."""
        delay = min(self.backoff_max, self.backoff_base * 2 ** max(attempts - 1, 0))
        return min(self.backoff_max, delay * random.uniform(0.9, 1.1))

    async def _write(self, change: Callable[[AsyncSession], Awaitable[None]]) -> None:
        async with self.database.write() as session:
            await change(session)

    async def _record(
        self, delivery_id: int, change: Callable[[AsyncSession], Awaitable[None]]
    ) -> None:
        """Write an outcome, retrying briefly: losing it would mean a resend after the lease."""
        for attempt in range(1, _RECORD_TRIES + 1):
            try:
                await self._whole(self._write(change))
                return
            except (SQLAlchemyError, OSError):
                if attempt == _RECORD_TRIES:
                    raise
                log.warning("outbox: recording delivery %s failed; retrying", delivery_id)
                await asyncio.sleep(0.2 * attempt)
