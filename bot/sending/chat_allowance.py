"""One chat's share of Telegram's limits: a burst, then one message per interval.

Telegram lets a bot send about one message a second to one chat after a short burst of
about three. Each chat the pacer (`bot.sending.pacer`) sends to has a token bucket of `burst`
messages, refilled one per `interval` seconds, and may be paused by a 429 for that chat.
Times are monotonic seconds, passed in, so the rules are plain arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ChatAllowance:
    burst: int
    interval: float
    tokens: float
    at: float  # when `tokens` was counted
    paused_until: float = 0.0

    @classmethod
    def full(cls, burst: int, interval: float, now: float) -> ChatAllowance:
        return cls(burst, interval, float(burst), now)

    def tokens_at(self, now: float) -> float:
        if self.interval <= 0:
            return float(self.burst)
        refilled = self.tokens + (now - self.at) / self.interval
        return min(float(self.burst), refilled)

    def ready_at(self, now: float) -> float:
        """When the next message may go (`now` if it may go now)."""
        tokens = self.tokens_at(now)
        ready = now if tokens >= 1.0 else now + (1.0 - tokens) * self.interval
        return max(ready, self.paused_until)

    def take(self, now: float) -> None:
        self.tokens, self.at = self.tokens_at(now) - 1.0, now

    def pause(self, until: float, now: float) -> None:
        """A 429 for this chat: nothing until `until`, and the burst starts from empty."""
        self.paused_until = max(self.paused_until, until)
        self.tokens, self.at = 0.0, now

    def idle(self, now: float) -> bool:
        """Full again and not paused: as if the chat had never been sent to."""
        return self.tokens_at(now) >= self.burst and self.paused_until <= now
