"""The pacer's rules, on a fake Bot API call (no network): who goes first, how fast, and
what a 429 pauses. End to end, under the emulator's flood control, see test_peak.py."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from telegram.error import BadRequest, NetworkError, RetryAfter

from bot.sending.pacer import BULK, NOTIFY, REPLY, Pacer


class FakeApi:
    """Records when each call went out; can answer with errors first."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, str]] = []
        self.errors: dict[str, list[Exception]] = {}

    def call(self, label: str) -> Any:
        async def callback() -> str:
            errors = self.errors.get(label)
            if errors:
                raise errors.pop(0)
            self.sent.append((time.monotonic(), label))
            return label

        return callback


async def send(pacer: Pacer, api: FakeApi, label: str, chat: int, **pace: Any) -> Any:
    return await pacer.process_request(
        api.call(label), (), {}, "sendMessage", {"chat_id": chat}, pace or None
    )


@pytest.fixture
async def api() -> FakeApi:
    return FakeApi()


async def test_slots_are_spaced_at_the_rate(api: FakeApi) -> None:
    pacer = Pacer(rate_per_second=20, per_chat_interval=0)
    await asyncio.gather(*(send(pacer, api, str(n), chat=n) for n in range(11)))
    times = [t for t, _ in api.sent]
    assert times[-1] - times[0] >= 10 / 20 * 0.95  # 11 calls: 10 gaps of 1/20 s
    await pacer.shutdown()


async def test_an_idle_pacer_lets_a_call_through_without_its_dispatcher(api: FakeApi) -> None:
    pacer = Pacer(rate_per_second=10, per_chat_interval=0)
    await send(pacer, api, "first", chat=1)
    assert pacer._dispatcher is None  # granted in place: no task, no hand-off
    await asyncio.gather(*(send(pacer, api, f"next{n}", chat=2 + n) for n in range(2)))
    assert pacer._dispatcher is not None  # the second call found the slot taken and waited
    times = [t for t, _ in api.sent]
    assert times[2] - times[0] >= 2 / 10 * 0.95  # still one slot per 1/rate
    await pacer.shutdown()


async def test_a_reply_goes_before_waiting_notifications_and_bulk(api: FakeApi) -> None:
    pacer = Pacer(rate_per_second=10, per_chat_interval=0)
    backlog = [
        asyncio.create_task(send(pacer, api, f"bulk{n}", chat=100 + n, priority=BULK))
        for n in range(5)
    ] + [
        asyncio.create_task(send(pacer, api, f"card{n}", chat=200 + n, priority=NOTIFY))
        for n in range(3)
    ]
    await asyncio.sleep(0.01)  # the backlog is waiting; bulk0 found the pacer idle and went
    reply = asyncio.create_task(send(pacer, api, "reply", chat=1, priority=REPLY))
    await asyncio.gather(reply, *backlog)
    order = [label for _, label in api.sent]
    # A call that finds the pacer idle goes at once, whatever its priority (bulk0). The
    # reply then waits one slot, not behind the queue; cards (notifications) go before the
    # announcement's bulk, except that every fifth slot goes to the longest-waiting call
    # (bulk1 here), so bulk is never starved.
    assert order == ["bulk0", "reply", "card0", "card1", "bulk1", "card2"] + [
        f"bulk{n}" for n in range(2, 5)
    ]
    await pacer.shutdown()


async def test_a_chat_gets_a_burst_then_one_per_interval(api: FakeApi) -> None:
    pacer = Pacer(rate_per_second=100, per_chat_interval=0.3, per_chat_burst=3)
    await asyncio.gather(*(send(pacer, api, str(n), chat=7) for n in range(5)))
    times = [t - api.sent[0][0] for t, _ in api.sent]
    assert times[2] < 0.1  # the burst of three
    assert times[3] >= 0.3 * 0.9 and times[4] >= 0.6 * 0.9  # then one per interval
    await pacer.shutdown()


async def test_one_429_pauses_its_chat_and_three_chats_pause_the_bot(api: FakeApi) -> None:
    pacer = Pacer(rate_per_second=100, per_chat_interval=0)
    api.errors["a"] = [RetryAfter(1)]
    started = time.monotonic()
    await asyncio.gather(send(pacer, api, "a", chat=1), send(pacer, api, "b", chat=2))
    when = {label: t - started for t, label in api.sent}
    assert when["b"] < 0.5 <= 1.0 <= when["a"]  # only chat 1 waited
    assert pacer.stats["bot_wide_pauses"] == 0

    for label in ("c", "d", "e"):
        api.errors[label] = [RetryAfter(1)]
    started = time.monotonic()
    await asyncio.gather(*(send(pacer, api, x, chat=n) for n, x in enumerate("cdef", 10)))
    when = {label: t - started for t, label in api.sent}
    assert when["f"] >= 0.9  # three chats refused within a second: the bot's limit
    assert pacer.stats["bot_wide_pauses"] >= 1
    await pacer.shutdown()


async def test_5xx_is_retried_for_replies_and_handed_back_for_the_outbox(api: FakeApi) -> None:
    pacer = Pacer(rate_per_second=100, per_chat_interval=0, backoff_base=0.01)
    api.errors["reply"] = [NetworkError("Bad Gateway"), NetworkError("Bad Gateway")]
    assert await send(pacer, api, "reply", chat=1) == "reply"
    api.errors["card"] = [NetworkError("Bad Gateway")]
    with pytest.raises(NetworkError):
        await send(pacer, api, "card", chat=2, priority=NOTIFY, retry_transient=False)
    api.errors["bad"] = [BadRequest("Message is not modified")]  # PTB: a NetworkError too
    with pytest.raises(BadRequest):
        await send(pacer, api, "bad", chat=3)
    assert pacer.stats["transient_retries"] == 2
    await pacer.shutdown()


async def test_a_reply_gives_up_at_the_deadline(api: FakeApi) -> None:
    pacer = Pacer(rate_per_second=100, per_chat_interval=0, deadline=0.3, backoff_base=0.1)
    api.errors["down"] = [NetworkError("Bad Gateway")] * 20
    started = time.monotonic()
    with pytest.raises(NetworkError):
        await send(pacer, api, "down", chat=1)
    assert 0.05 <= time.monotonic() - started <= 0.35  # never past the deadline
    assert pacer.stats["gave_up"] == 1
    await pacer.shutdown()


async def test_a_storm_of_replies_does_not_starve_a_card(api: FakeApi) -> None:
    pacer = Pacer(rate_per_second=50, per_chat_interval=0)
    replies = [asyncio.create_task(send(pacer, api, f"r{n}", chat=n)) for n in range(40)]
    await asyncio.sleep(0.05)
    card = asyncio.create_task(send(pacer, api, "card", chat=999, priority=NOTIFY))
    more = [asyncio.create_task(send(pacer, api, f"s{n}", chat=500 + n)) for n in range(40)]
    await asyncio.gather(card, *replies, *more)
    order = [label for _, label in api.sent]
    # The card goes after the replies that were already waiting (the oldest lane takes them
    # in turn) but before the replies that came after it, all 40 of them.
    assert order.index("card") < order.index("s39")
    await pacer.shutdown()


async def test_a_429_on_answering_a_press_does_not_hold_up_messages(api: FakeApi) -> None:
    pacer = Pacer(rate_per_second=100, per_chat_interval=0)
    api.errors["answer"] = [RetryAfter(1)]
    started = time.monotonic()
    answer = pacer.process_request(
        api.call("answer"), (), {}, "answerCallbackQuery", {"callback_query_id": "1"}, None
    )
    messages = [send(pacer, api, f"m{n}", chat=n) for n in range(3)]
    await asyncio.gather(answer, *messages)
    when = {label: t - started for t, label in api.sent}
    assert when["answer"] >= 0.9  # the press's answer waited its retry_after
    assert max(when[f"m{n}"] for n in range(3)) < 0.5  # messages did not
    assert pacer.stats["bot_wide_pauses"] == 0
    await pacer.shutdown()


async def test_repeated_429s_lower_the_pace_to_what_was_accepted(api: FakeApi) -> None:
    """A limit lower than configured (another process on the token): several 429s within a
    second make the window what Telegram accepted in it; quiet seconds widen it again."""
    pacer = Pacer(rate_per_second=40, per_chat_interval=0)
    for label in ("r0", "r1", "r2"):
        api.errors[label] = [RetryAfter(1)]
    started = time.monotonic()
    await asyncio.gather(*(send(pacer, api, f"r{n}", chat=n, priority=BULK) for n in range(10)))
    assert pacer._window_cap < 40
    narrowed = pacer._window_cap
    await asyncio.gather(
        *(send(pacer, api, f"s{n}", chat=100 + n, priority=BULK) for n in range(2 * narrowed))
    )
    times = sorted(t for t, label in api.sent if label.startswith("s"))
    busiest = max(sum(1 for u in times if t <= u < t + 1.0) for t in times)
    assert busiest <= narrowed + 1, (busiest, narrowed)  # the narrowed window held
    assert time.monotonic() - started >= 1.0
    await pacer.shutdown()


async def test_paid_broadcasts_have_a_lane_of_their_own(api: FakeApi) -> None:
    """Copies sent with allow_paid_broadcast go at the paid rate and leave the ordinary
    budget to replies: 40 paid copies and a reply at 5/s take about no time."""
    pacer = Pacer(rate_per_second=5, per_chat_interval=0, paid_rate_per_second=400)

    async def paid(n: int) -> Any:
        return await pacer.process_request(
            api.call(f"p{n}"),
            (),
            {},
            "copyMessage",
            {"chat_id": 1000 + n, "allow_paid_broadcast": True},
            {"priority": BULK},
        )

    started = time.monotonic()
    await asyncio.gather(*(paid(n) for n in range(40)), send(pacer, api, "reply", chat=1))
    elapsed = time.monotonic() - started
    assert 40 / 400 * 0.9 <= elapsed < 0.5  # spaced at 400/s, not 5/s
    assert pacer.stats["granted"] == 1  # only the reply took an ordinary slot
    await pacer.shutdown()
