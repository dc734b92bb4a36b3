"""Errors, injected faults and flood control: the unhappy paths the outbox must survive.

Telegram answers every failure with the same JSON envelope and, for flood control, a
``retry_after`` the client must honour. Tests need to provoke each of these on demand and in a
predictable order, so rules are consumed first-added-first. A random `FaultMix` stands for
a bad day at Telegram: a share of calls answered 5xx, 429, slowly, or too late (the message
is delivered but the answer comes after the client gave up, so a retry doubles it).
"""

from __future__ import annotations

import math
import random
import time
from collections import deque
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

# Methods that put something on a user's screen: the ones Telegram rate-limits, the ones
# ``faults.add(method=None)`` targets and the ones counted in ``stats["sent"]``.
SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "copyMessage",
        "sendPhoto",
        "sendDocument",
        "editMessageText",
        "editMessageReplyMarkup",
    }
)


class ApiError(Exception):
    """A Bot API error answer: HTTP status plus Telegram's error envelope."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        """The JSON Telegram sends for this error."""
        payload: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            payload["parameters"] = {"retry_after": self.retry_after}
        return payload


def bad_request(detail: str) -> ApiError:
    """Shortcut for Telegram's most common answer."""
    return ApiError(400, f"Bad Request: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    """A 429 exactly as Telegram words it."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


BLOCKED = "Forbidden: bot was blocked by the user"


def default_description(status: int) -> str:
    """Telegram-like wording for a status code, used when a rule gives none."""
    if status == 403:
        return BLOCKED
    if status == 400:
        return "Bad Request: injected fault"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


@dataclass
class FaultRule:
    """One injected fault; ``times`` counts down as calls hit it."""

    status: int | None
    latency: float | None
    retry_after: int | None
    method: str | None
    chat_id: int | None
    times: int
    description: str | None

    def matches(self, method: str, chat_id: Any) -> bool:
        """None as method means "any sending method"; None as chat_id means any chat."""
        if self.method is None:
            if method not in SENDING_METHODS:
                return False
        elif self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def error(self) -> ApiError:
        """The answer this rule produces (only for status rules)."""
        assert self.status is not None
        if self.status == 429:
            retry_after = self.retry_after if self.retry_after is not None else 1
            error = too_many_requests(retry_after)
            if self.description:
                error.description = self.description
            return error
        return ApiError(
            self.status,
            self.description or default_description(self.status),
            retry_after=self.retry_after,
        )


#: What a `FaultMix` draws from, in equal shares.
MIX_KINDS = ("5xx", "429", "slow", "late")


@dataclass
class FaultMix:
    """A random share of calls fails; `counts` says how many of each kind were served."""

    share: float
    rng: random.Random
    slow: float
    late: float
    kinds: tuple[str, ...] = MIX_KINDS

    def __post_init__(self) -> None:
        self.counts: dict[str, int] = dict.fromkeys(self.kinds, 0)

    def draw(self, method: str) -> str | None:
        if method not in SENDING_METHODS and method != "answerCallbackQuery":
            return None
        if self.rng.random() >= self.share:
            return None
        kind = self.rng.choice(self.kinds)
        self.counts[kind] += 1
        return kind


class FaultInjector:
    """Ordered list of fault rules; ``emu.faults``."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self.mix: FaultMix | None = None

    def set_mix(
        self,
        share: float | None,
        *,
        seed: int = 1,
        slow: float = 0.5,
        late: float = 2.0,
        kinds: tuple[str, ...] = MIX_KINDS,
    ) -> FaultMix | None:
        """Fail `share` of the sending calls (and press answers) at random, in equal parts
        5xx, 429 (retry_after 1), a `slow` answer, and a `late` one: delivered, answered after
        `late` seconds (set it past the client's read timeout). None switches it off."""
        self.mix = (
            None if share is None else FaultMix(share, random.Random(seed), slow, late, kinds)
        )
        return self.mix

    def add(
        self,
        *,
        status: int | None = None,
        latency: float | None = None,
        retry_after: int | None = None,
        method: str | None = None,
        chat_id: int | None = None,
        times: int = 1,
        description: str | None = None,
    ) -> FaultRule:
        """Queue a fault: either an error ``status`` or a ``latency`` in seconds."""
        if (status is None) == (latency is None):
            raise ValueError("give exactly one of status= or latency=")
        if status is not None and not 400 <= status <= 599:
            raise ValueError(f"status must be a 4xx/5xx code, got {status}")
        if times < 1:
            raise ValueError("times must be at least 1")
        rule = FaultRule(status, latency, retry_after, method, chat_id, times, description)
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Drop every pending rule."""
        self.rules.clear()

    def _consume(self, method: str, chat_id: Any, *, latency: bool) -> FaultRule | None:
        for rule in self.rules:
            if (rule.latency is not None) == latency and rule.matches(method, chat_id):
                rule.times -= 1
                if rule.times <= 0:
                    self.rules.remove(rule)
                return rule
        return None

    def take(self, method: str, chat_id: Any) -> tuple[float, ApiError | None, float]:
        """What this call meets: a delay before it, an error instead of it, a delay after it.

        The first matching latency rule and the first matching error rule are consumed; then
        the random mix, if any, may add its own fault.
        """
        delay_rule = self._consume(method, chat_id, latency=True)
        error_rule = self._consume(method, chat_id, latency=False)
        delay = (delay_rule.latency or 0.0) if delay_rule else 0.0
        error = error_rule.error() if error_rule else None
        late = 0.0
        kind = self.mix.draw(method) if self.mix is not None and error is None else None
        if kind == "5xx":
            error = ApiError(502, "Bad Gateway")
        elif kind == "429":
            error = too_many_requests(1)
        elif kind == "slow":
            assert self.mix is not None
            delay += self.mix.slow
        elif kind == "late":
            assert self.mix is not None
            late = self.mix.late
        return delay, error, late

    def __len__(self) -> int:
        return len(self.rules)


class FloodControl:
    """Telegram's documented limits: a sliding one-second window for the whole bot, and per
    chat a bucket of `per_chat_burst` messages refilled `per_chat_per_second` a second (about
    one a second after a short burst of about three)."""

    WINDOW = 1.0

    def __init__(
        self,
        global_per_second: int | None,
        per_chat_per_second: float | None,
        per_chat_burst: int = 3,
    ) -> None:
        self.global_per_second = global_per_second
        self.per_chat_per_second = per_chat_per_second
        self.per_chat_burst = per_chat_burst
        self._global: deque[float] = deque()
        self._chats: dict[Any, tuple[float, float]] = {}  # chat → (tokens, at)

    def _prune(self, window: deque[float], now: float) -> None:
        while window and window[0] <= now - self.WINDOW:
            window.popleft()

    def _chat_tokens(self, chat_id: Any, now: float) -> float:
        assert self.per_chat_per_second is not None
        tokens, at = self._chats.get(chat_id, (float(self.per_chat_burst), now))
        return min(float(self.per_chat_burst), tokens + (now - at) * self.per_chat_per_second)

    def admit(self, chat_id: Any, now: float | None = None) -> None:
        """Record an accepted send, or raise the 429 Telegram would answer."""
        now = time.monotonic() if now is None else now
        self._prune(self._global, now)
        if self.global_per_second is not None and len(self._global) >= self.global_per_second:
            raise too_many_requests(max(1, math.ceil(self._global[0] + self.WINDOW - now)))
        per_chat = chat_id is not None and self.per_chat_per_second is not None
        if per_chat:
            tokens = self._chat_tokens(chat_id, now)
            if tokens < 1.0:
                assert self.per_chat_per_second is not None
                wait = (1.0 - tokens) / self.per_chat_per_second
                raise too_many_requests(max(1, math.ceil(wait)))
            self._chats[chat_id] = (tokens - 1.0, now)
        self._global.append(now)
