"""Which update the current task is handling, so its write transaction can mark it handled.

The runner marks handled updates in batches, in a transaction of their own. A handler that
writes anyway marks its update inside its own transaction instead: the update's effects and
its "handled" mark then commit together. It is for correctness, not speed: measured side by
side in bench/registration.py, the paced run showed no difference and the saturated one
handled about a tenth fewer updates per second (one more statement in every handler's
transaction, where the batch write had spread one statement over many updates).

What a crash does, then: before the commit, nothing happened and the update is handled
again at the next start; after it, the update is not handled again (a name typed once is
not taken a second time as the answer to the next question), and at most the reply that
was about to be sent is lost; the person's next message or /start shows where they are.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class Handling:
    """One update in hand — its turn; `marked` once a committed transaction recorded it as
    handled.

    The runner (bot/runtime.py) opens the turn: it notes the actor and starts in the default
    language; the handler's transaction (`BotContext.transaction()`) adopts the actor's own
    language, clears their unreachability and marks the update, all before its commit; the
    replies go out after the commit; the runner wakes the outbox last.

    `queued` is set once a committed write of the turn queued an outgoing message (the
    session says so, storage/outbox.py): the runner then wakes the outbox once, after the
    replies. Only then: a wake costs the sender a claim (measured: two statements on every
    registration step when every write woke it).

    `slot` is the runner's concurrency slot the update holds while it works (a bound on
    database and CPU work at once); `waiting_on_telegram()` steps out of it.
    """

    update_id: int
    actor_id: int | None = None  # the Telegram user the update comes from
    marked: bool = False
    queued: bool = False
    slot: asyncio.Semaphore | None = None
    stepped_out: bool = False


@asynccontextmanager
async def waiting_on_telegram() -> AsyncIterator[None]:
    """Give the update's concurrency slot back while it waits on Telegram.

    Sending a reply can wait a pacing slot, a 429's retry_after or a retry's backoff: cheap
    waits that must not keep other people's updates from their database work (measured in
    bench/peak.py: with a fifth of calls failing, 8 slots held through the retries capped
    the whole bot at half of Telegram's rate). Each chat's order is kept by the runner's
    per-chat chain, not by the slot.
    """
    handling = current_update.get()
    if handling is None or handling.slot is None or handling.stepped_out:
        yield
        return
    handling.stepped_out = True
    handling.slot.release()
    try:
        yield
    finally:
        await handling.slot.acquire()
        handling.stepped_out = False


def note_queued() -> None:
    """Record that the update in hand committed outgoing messages (see `Handling.queued`)."""
    handling = current_update.get()
    if handling is not None:
        handling.queued = True


#: Set by the runner around each update; None outside (tests without a runner, jobs).
current_update: ContextVar[Handling | None] = ContextVar("regjistri_update", default=None)
