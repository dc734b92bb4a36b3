"""The one sending path per bot token: every Bot API call Telegram rate-limits waits here.

Telegram counts every message a bot puts on screens — direct replies, edits, the outbox's
cards and outcomes, announcements — against one budget: about 30 per second per bot and
about 1 per second per chat after a short burst (design §9). A reply sent beside the outbox,
unpaced, is what lost 20 of 50 welcomes when 50 people pressed /start at once. So the
`Pacer` is python-telegram-bot's rate limiter for the bot (`ApplicationBuilder.rate_limiter`)
and every call made through that bot passes through it:

- **One budget, served by priority.** Calls in `PACED_METHODS` wait for a slot: slots are
  spaced `1/rate_per_second` apart (no burst overall, so no one-second window of Telegram's
  ever sees more than the rate), and each chat has a token bucket of `per_chat_burst`
  messages refilled one per `per_chat_interval`. A free slot goes to the waiting call of the
  highest priority (`REPLY` to a person who just acted, then `NOTIFY` — cards, outcomes,
  reminders — then `BULK`) whose chat may receive now; so under a running broadcast a reply
  waits a slot or two, not behind the queue, and a chat that must cool down holds nobody
  else up. Every fifth slot goes to the longest-waiting call, so a storm of replies cannot
  starve the chairs' cards (measured: with 1 000 people starting at once, cards waited
  longer than the outbox's lease without it).
- **429 is a pace, not an error.** The call waits `retry_after` and goes again, first in
  line. Telegram's answer does not say which limit it hit, so a 429 pauses its chat, and
  429s for many chats and calls within a second pause the whole bot (`_rate_limited`). A
  call gives up (re-raises) only when waiting would pass its `max_wait` (the outbox then
  queues the row again durably).
- **5xx, timeouts and connection errors** are retried here, with exponential backoff, for
  calls that ask for it (`retry_transient`, the default for replies) until `deadline`
  seconds have passed since the call began; then the error goes to the caller
  (`handlers.replies` hands the reply to the durable outbox). Telegram has no idempotency
  key: a timeout whose request did arrive is sent again, so a reply can be doubled once per
  timed-out call — the price of never losing it. The outbox keeps its own durable retries
  and does not ask for these.

Pacing is in-process timing, not state: a restart starts with full buckets, which Telegram
tolerates (a few 429s at most, waited out). Two processes on one token would each pace at the
full rate; production with several processes is its own issue.

Callers pass `rate_limit_args={"priority": NOTIFY, "max_wait": 30}` (a `Pace` dict) through
any ExtBot method; a call without it is a reply.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import heapq
import itertools
import logging
import math
import random
import time
import warnings
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final, TypedDict

from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

from bot.sending.chat_allowance import ChatAllowance

log = logging.getLogger(__name__)

#: Served first: the answer to someone who just acted.
REPLY: Final = 0
#: Then what the bot says on its own about one person: cards, outcomes, reminders, digests.
NOTIFY: Final = 1
#: Last: announcements to many.
BULK: Final = 2

#: The methods Telegram's flood control counts (messages put on a screen, and their edits).
PACED_METHODS: Final = frozenset(
    {
        "sendMessage",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "sendContact",
        "sendLocation",
        "sendAudio",
        "sendVideo",
        "sendVoice",
        "sendAnimation",
        "sendSticker",
        "editMessageText",
        "editMessageCaption",
        "editMessageMedia",
        "editMessageReplyMarkup",
    }
)
#: How late a wake-up may be and the pace still keep its schedule (seconds).
TIMER_SLACK: Final = 0.02
#: The one-second window never narrows below this share of the rate (see _narrow_window).
WINDOW_FLOOR: Final = 0.9
#: Every this-many-th slot goes to the longest-waiting call, whatever its priority.
OLDEST_EVERY: Final = 5
#: 429s for this many different chats within a second, and for this share of the calls
#: made in it, mean the bot's limit, not a chat's.
BOT_WIDE_CHATS: Final = 3
BOT_WIDE_SHARE: Final = 0.2
#: Besides the paced ones, calls a reply may retry on 5xx: answering a press.
_RETRIABLE_UNPACED: Final = frozenset({"answerCallbackQuery"})


class Pace(TypedDict, total=False):
    """`rate_limit_args` of one call."""

    priority: int  # REPLY (default), NOTIFY or BULK
    max_wait: float  # give up on 429s that would make the call wait longer (seconds)
    retry_transient: bool  # retry 5xx/timeouts until the deadline (default: replies only)


def retry_after_seconds(error: RetryAfter) -> float:
    """retry_after as seconds, whether PTB hands out an int or (PTB_TIMEDELTA) a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: Any = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


@dataclass(order=True)
class _Waiter:
    priority: int
    seq: int
    chat_id: int | None = field(compare=False)
    granted: asyncio.Future[None] = field(compare=False)


class Pacer(BaseRateLimiter[Pace]):
    """Telegram's limits for one bot token, shared by every sender in this process."""

    def __init__(
        self,
        *,
        rate_per_second: float = 28.0,
        per_chat_interval: float = 1.05,
        per_chat_burst: int = 3,
        deadline: float = 30.0,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        paid_rate_per_second: float = 1000.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_per_second <= 0 or per_chat_burst < 1 or per_chat_interval < 0:
            raise ValueError("rate_per_second and per_chat_burst must be positive")
        self.rate_per_second = rate_per_second
        self.per_chat_interval = per_chat_interval
        self.per_chat_burst = per_chat_burst
        self.deadline = deadline
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.paid_rate_per_second = paid_rate_per_second
        self._next_paid_slot = 0.0
        self._clock = clock
        self.stats: dict[str, int] = dict.fromkeys(
            ("granted", "rate_limited", "bot_wide_pauses", "transient_retries", "gave_up"), 0
        )
        self._waiters: list[_Waiter] = []  # sorted: priority, then arrival
        self._seq = itertools.count()
        self._buckets: dict[int, ChatAllowance] = {}
        # (ready at, chat) of chats that may not receive now: a heap, so asking which chats
        # cool down costs their number, not that of every chat ever sent to (measured: with
        # 10 000 recipients, scanning every bucket was the broadcast's largest cost).
        self._cooling: list[tuple[float, int]] = []
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._recent_429s: list[tuple[float, int]] = []  # (when, chat) in the last second
        self._recent_grants: deque[float] = deque()  # when slots were granted, last second
        # Never more than the rate in any one-second window, which is how Telegram counts:
        # a call counts from its grant until one second after its answer (`_window` holds
        # the answers of the last second, `_open` the calls granted and not answered).
        # Telegram counts it at some moment in between, so however the network and the
        # event loop shift calls, no second of Telegram's sees more than the window
        # (measured: counted at the grant only, calls arrived bunched by ~25 ms and a
        # broadcast at 0.99 of the limit met 429s).
        self._window: deque[float] = deque()
        self._open = 0
        self._window_cap = max(1, int(rate_per_second))
        self._backlog = False  # calls were still waiting when the last slot was granted
        self._window_narrowed_at = 0.0
        self._refusals: deque[float] = deque()  # 429s of paced calls, last second
        self._step = max(1, round(rate_per_second * 0.01))
        self._changed: asyncio.Event | None = None
        self._dispatcher: asyncio.Task[None] | None = None

    # --- BaseRateLimiter ----------------------------------------------------------------

    async def initialize(self) -> None:
        """Nothing to open: the dispatcher starts with the first call that waits."""

    async def shutdown(self) -> None:
        task, self._dispatcher = self._dispatcher, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for waiter in self._waiters:
            if not waiter.granted.done():
                waiter.granted.cancel()
        self._waiters.clear()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Pace | None,
    ) -> Any:
        pace: Pace = rate_limit_args or {}
        priority = pace.get("priority", REPLY)
        paced = endpoint in PACED_METHODS
        chat_id = data.get("chat_id") if paced else None
        if not isinstance(chat_id, int):
            chat_id = None  # a @channel username: only the bot-wide limit applies
        retry_transient = pace.get(
            "retry_transient", priority == REPLY and (paced or endpoint in _RETRIABLE_UNPACED)
        )
        started = self._clock()
        max_wait = pace.get("max_wait", self.deadline)
        seq = next(self._seq)  # kept across retries: a retried call stays first in line
        failures = 0
        # Telegram's paid broadcasts have a budget of their own (up to 1000/s): their calls
        # take slots of a lane of their own and leave the 30/s of everything else alone.
        paid = paced and bool(data.get("allow_paid_broadcast"))
        while True:
            if paid:
                await self._paid_slot()
            elif paced:  # the rest (answers to presses, getMe, menus) are not messages
                await self.acquire(chat_id, priority, seq=seq)
            try:
                return await self._call(callback, args, kwargs, counted=paced and not paid)
            except RetryAfter as error:
                wait = retry_after_seconds(error)
                self.stats["rate_limited"] += 1
                if self._clock() + wait - started > max_wait:
                    if paced:
                        self._rate_limited(chat_id, wait)
                    self.stats["gave_up"] += 1
                    raise
                log.info("429 on %s; waiting %.1f s", endpoint, wait)
                if paced:
                    self._refund()  # refused: it put nothing on a screen
                    self._rate_limited(chat_id, wait)
                else:
                    # Answering a press is not a message: its 429 says nothing about the
                    # messages' budget (measured: treating it as the bot's limit paused
                    # every send a second at a time), so only this call waits.
                    await asyncio.sleep(wait)
            except NetworkError as error:  # 5xx, timeouts, connection errors
                if paced and not isinstance(error, BadRequest | TimedOut):
                    self._refund()  # a 5xx put nothing on a screen; a timeout may have
                if not retry_transient or isinstance(error, BadRequest):  # PTB: a NetworkError
                    raise
                failures += 1
                delay = self._backoff(failures)
                if self._clock() + delay - started > self.deadline:
                    self.stats["gave_up"] += 1
                    raise
                self.stats["transient_retries"] += 1
                log.info(
                    "%s on %s; retry %d in %.1f s", type(error).__name__, endpoint, failures, delay
                )
                await asyncio.sleep(delay)

    async def _call(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        *,
        counted: bool,
    ) -> Any:
        """The call itself; a counted one stays in the window until its answer is back."""
        try:
            return await callback(*args, **kwargs)
        finally:
            if counted:
                self._answered()

    def _answered(self) -> None:
        """A granted call is over: from now on it counts in the window by its answer's time."""
        self._open -= 1
        self._window.append(self._clock())
        if self._changed is not None:
            self._changed.set()

    # --- slots ------------------------------------------------------------------------------

    async def acquire(
        self, chat_id: int | None, priority: int = REPLY, *, seq: int | None = None
    ) -> None:
        """Wait for this call's slot (a send to `chat_id` may start when this returns)."""
        if not self._waiters and self._grant_at_once(chat_id):
            return
        loop = asyncio.get_running_loop()
        waiter = _Waiter(
            priority, next(self._seq) if seq is None else seq, chat_id, loop.create_future()
        )
        bisect.insort(self._waiters, waiter)
        self._ensure_dispatcher()
        try:
            await waiter.granted
        except asyncio.CancelledError:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)
            if waiter.granted.done() and not waiter.granted.cancelled():
                self._answered()  # granted, then cancelled before the call: no call open
            raise

    async def _paid_slot(self) -> None:
        """The next slot of the paid-broadcast lane, spaced 1/paid_rate_per_second apart."""
        now = self._clock()
        slot = max(now, self._next_paid_slot, self._paused_until)
        self._next_paid_slot = slot + 1.0 / self.paid_rate_per_second
        if slot > now:
            await asyncio.sleep(slot - now)

    def cooling_chats(self) -> list[int]:
        """Chats that may not receive a message right now (the outbox claims around them)."""
        now = self._clock()
        self._prune_cooling(now)
        chats = {chat for _, chat in self._cooling}
        return [
            c for c in chats if (b := self._buckets.get(c)) is not None and b.ready_at(now) > now
        ]

    def next_change_in(self) -> float | None:
        """Seconds until a paused bot or a cooling chat may send again; None if none waits."""
        now = self._clock()
        self._prune_cooling(now)
        times = [self._cooling[0][0]] if self._cooling else []
        if self._paused_until > now:
            times.append(self._paused_until)
        return min(times) - now if times else None

    def _narrow_window(self, now: float) -> None:
        """Fewer grants per second after 429s, more again after quiet seconds.

        A lone 429 with the window full means our calls reach Telegram more bunched than
        we granted them (the network and the event loop shift each by a few
        milliseconds): a step of 1 % off the window, down to WINDOW_FLOOR of the rate.
        Several 429s within a second mean the limit itself is lower than configured
        (another process on the token, a stricter Telegram): the window becomes what was
        accepted in that second. A quiet second gives back 1 % (`_window_frees_at`).
        """
        self._refusals.append(now)
        while self._refusals and self._refusals[0] <= now - 1.0:
            self._refusals.popleft()
        while self._window and self._window[0] <= now - 1.0:
            self._window.popleft()
        if len(self._refusals) >= BOT_WIDE_CHATS:
            accepted = len(self._window) - len(self._refusals)
            self._window_cap = max(1, min(self._window_cap, accepted))
        elif len(self._window) >= self._window_cap - 1:
            floor = max(1, int(self.rate_per_second * WINDOW_FLOOR))
            self._window_cap = max(min(floor, self._window_cap), self._window_cap - self._step)
        self._window_narrowed_at = now

    def _window_frees_at(self, now: float) -> float:
        """When the one-second window has room for one more grant (`now` or earlier: now)."""
        while self._window and self._window[0] <= now - 1.0:
            self._window.popleft()
        full = max(1, int(self.rate_per_second))
        if self._window_cap < full and now - self._window_narrowed_at >= 1.0:
            self._window_cap = min(full, self._window_cap + self._step)
            self._window_narrowed_at = now
        if len(self._window) + self._open < self._window_cap:
            return 0.0
        # Full: room comes when an answer leaves the window, or when a call is answered.
        return self._window[0] + 1.0 if self._window else math.inf

    def _prune_cooling(self, now: float) -> None:
        while self._cooling and self._cooling[0][0] <= now:
            heapq.heappop(self._cooling)

    def _note_cooling(self, chat_id: int, bucket: ChatAllowance, now: float) -> None:
        """A bucket only ever gets readier later, never sooner: the noted time is a lower
        bound, so a chat is never let through early."""
        ready = bucket.ready_at(now)
        if ready > now:
            heapq.heappush(self._cooling, (ready, chat_id))

    def _ensure_dispatcher(self) -> None:
        if self._changed is None:
            self._changed = asyncio.Event()
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch(), name="pacer")
        self._changed.set()

    async def _dispatch(self) -> None:
        """Hand out slots: the best waiter whose chat may receive, one per 1/rate seconds."""
        assert self._changed is not None
        while True:
            self._changed.clear()
            now = self._clock()
            wake_at: float | None = None
            if self._waiters:
                slot = max(self._next_slot, self._paused_until, self._window_frees_at(now))
                wake_at = slot if slot > now else self._grant_one(now)
            if wake_at is None and self._waiters:
                continue  # granted one: look again at once for the next slot
            timeout = None if wake_at is None or wake_at == math.inf else max(wake_at - now, 0.0)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._changed.wait()

    def _grant_at_once(self, chat_id: int | None) -> bool:
        """With nobody waiting, a call whose slot and chat are free takes the slot here.

        It is the grant the dispatcher would make on its next turn (the only waiter is
        the best one), without the future and the two event-loop wake-ups in between:
        most replies find the pacer idle (measured: the dispatcher's hand-off was ~3 % of
        a registration step's event-loop time, bench/registration.py under py-spy).
        """
        now = self._clock()
        if max(self._next_slot, self._paused_until, self._window_frees_at(now)) > now:
            return False
        bucket = self._bucket(chat_id, now)
        if bucket is not None and bucket.ready_at(now) > now:
            return False
        self._take_slot(chat_id, bucket, now)
        return True

    def _grant_one(self, now: float) -> float | None:
        """Grant the slot to the best eligible waiter; else say when the first chat cools down.

        The best is the first by priority, except every `OLDEST_EVERY`-th slot, which goes
        to the longest-waiting: under a storm of replies the chairs' cards and a broadcast
        still move (at least that share of the budget), and nothing waits forever.
        """
        soonest = float("inf")
        chosen: tuple[int, _Waiter, ChatAllowance | None] | None = None
        oldest_first = self.stats["granted"] % OLDEST_EVERY == OLDEST_EVERY - 1
        for index, waiter in enumerate(self._waiters):
            if waiter.granted.done():  # cancelled meanwhile
                del self._waiters[index]
                return None
            bucket = self._bucket(waiter.chat_id, now)
            ready = now if bucket is None else bucket.ready_at(now)
            if ready > now:
                soonest = min(soonest, ready)
                continue
            if chosen is None or waiter.seq < chosen[1].seq:
                chosen = (index, waiter, bucket)
            if not oldest_first:
                break
        if chosen is None:
            return soonest
        index, waiter, bucket = chosen
        del self._waiters[index]
        self._take_slot(waiter.chat_id, bucket, now)
        waiter.granted.set_result(None)
        return None

    def _take_slot(self, chat_id: int | None, bucket: ChatAllowance | None, now: float) -> None:
        """Book a granted call: its chat's allowance, the next slot, the open window."""
        if bucket is not None:
            bucket.take(now)
            assert chat_id is not None
            self._note_cooling(chat_id, bucket, now)
        # A wake-up comes late (the event loop sleeps in whole milliseconds and is busy
        # with other callbacks: at 300/s a 3.4 ms gap often became 5, and the pace fell to
        # 0.7 of the rate). The slots keep their schedule through up to TIMER_SLACK of
        # lateness, catching up at once, so the average holds; what keeps the catch-up
        # from overrunning Telegram's one-second window is the window itself (`_window`).
        # Only a backlog catches up: after an idle spell the pace starts afresh from now,
        # with no burst.
        interval = 1.0 / self.rate_per_second
        catch_up = TIMER_SLACK if self._backlog else 0.0
        self._next_slot = max(now - catch_up, self._next_slot) + interval
        self._backlog = bool(self._waiters)
        self._open += 1
        self.stats["granted"] += 1
        self._recent_grants.append(now)
        if len(self._recent_grants) > 4 * self.rate_per_second:
            self._recent_grants.popleft()
        self._forget_idle_chats(now)

    # --- per-chat buckets ----------------------------------------------------------------

    def _bucket(self, chat_id: int | None, now: float) -> ChatAllowance | None:
        if chat_id is None:
            return None
        bucket = self._buckets.get(chat_id)
        if bucket is None:
            bucket = ChatAllowance.full(self.per_chat_burst, self.per_chat_interval, now)
            self._buckets[chat_id] = bucket
        return bucket

    def _forget_idle_chats(self, now: float) -> None:
        """Drop buckets that are full again, so a long run does not keep every chat ever."""
        if len(self._buckets) < 4096:
            return
        for chat_id in [c for c, b in self._buckets.items() if b.idle(now)]:
            del self._buckets[chat_id]

    # --- 429 and backoff -----------------------------------------------------------------------

    def _rate_limited(self, chat_id: int | None, wait: float) -> None:
        """Pause the chat, and the whole bot when the 429s say it is the bot's limit.

        One 429 pauses its chat only: the pacer keeps the bot under its overall limit, so a
        lone 429 is most likely about that chat. When, within the last second, 429s came for
        `BOT_WIDE_CHATS` different chats and for at least `BOT_WIDE_SHARE` of the calls
        granted, it is the bot's own limit (another process on the token, or a lower limit
        than configured) and every slot waits; so does a 429 for a call without a chat.
        """
        now = self._clock()
        self._narrow_window(now)
        if chat_id is not None:
            bucket = self._bucket(chat_id, now)
            assert bucket is not None
            bucket.pause(now + wait, now)
            self._note_cooling(chat_id, bucket, now)
            self._recent_429s = [(t, c) for t, c in self._recent_429s if t > now - 1.0]
            self._recent_429s.append((now, chat_id))
        while self._recent_grants and self._recent_grants[0] <= now - 1.0:
            self._recent_grants.popleft()
        chats = {c for _, c in self._recent_429s}
        share = len(self._recent_429s) / max(len(self._recent_grants), 1)
        if chat_id is None or (len(chats) >= BOT_WIDE_CHATS and share >= BOT_WIDE_SHARE):
            self._paused_until = max(self._paused_until, now + wait)
            self.stats["bot_wide_pauses"] += 1
        if self._changed is not None:
            self._changed.set()

    def _refund(self) -> None:
        """Give back the slot of a call Telegram refused, so failures do not slow the rest."""
        self._next_slot = max(self._clock(), self._next_slot - 1.0 / self.rate_per_second)

    def _backoff(self, failures: int) -> float:
        delay = min(self.backoff_max, self.backoff_base * 2 ** (failures - 1))
        return delay * random.uniform(0.8, 1.2)
