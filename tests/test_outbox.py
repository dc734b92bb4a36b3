"""The outbox: what the bot decided to say reaches people once, in order, at Telegram's pace.

Everything goes through the emulator over HTTP, so PTB's real error mapping (429, 403, 5xx)
is what the sender sees. Storage behaviour that differs between backends runs on SQLite and
PostgreSQL (`db`); the timing-heavy stories run on SQLite only (`sqlite_db`).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Select, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ExtBot

from bot.sending.outbox_sender import OutboxSender
from bot.sending.pacer import Pacer
from emulator import BotApiEmulator
from storage import outbox
from storage import outbox_claims as sending
from storage.accounts import ensure_account, get_account
from storage.db import Database
from storage.models import Delivery


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator()
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[ExtBot[None]]:
    """A bot whose pacer has no per-chat limit and a fast pace: for stories about outcomes."""
    tg_bot = paced_bot(emu, Pacer(rate_per_second=200.0, per_chat_interval=0.0))
    await tg_bot.initialize()
    yield tg_bot
    await tg_bot.shutdown()


def paced_bot(emu: BotApiEmulator, pacer: Pacer) -> ExtBot[Any]:
    return ExtBot(
        token=emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url, rate_limiter=pacer
    )


def fast_sender(db: Database, bot: ExtBot[None], **overrides: Any) -> OutboxSender:
    """A sender with quick retries, on the bot's (fast) pacer."""
    options: dict[str, Any] = {
        "poll_interval": 0.05,
        "backoff_base": 0.05,
    }
    options.update(overrides)
    return OutboxSender(db, bot, **options)


async def send_text(db: Database, chat_id: int, text: str, **extra: Any) -> int:
    """Queue one sendMessage in its own transaction, as a handler would; the delivery id."""
    async with db.write() as session:
        delivery = await outbox.enqueue(
            session,
            chat_id=chat_id,
            method="sendMessage",
            payload={"text": text, **extra.pop("payload", {})},
            now=_now(),
            **extra,
        )
    assert delivery is not None
    return delivery


async def load(db: Database, delivery_id: int) -> Delivery:
    async with db.read() as session:
        delivery = await session.get(Delivery, delivery_id)
    assert delivery is not None
    return delivery


def keyboard(*labels: str) -> dict[str, Any]:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(x, callback_data=x) for x in labels]])
    return markup.to_dict()


# --- the happy path --------------------------------------------------------------------------


async def test_a_queued_message_reaches_the_member_and_the_row_keeps_its_id(
    db: Database, emu: BotApiEmulator, bot: ExtBot[None]
) -> None:
    member = emu.user(1001)
    delivery_id = await send_text(
        db, 1001, "Aplikimi u pranua", payload={"reply_markup": keyboard("Shiko")}
    )

    sender = fast_sender(db, bot)
    await sender.start()
    sender.wake()
    await sender.drain(5)
    await sender.stop()

    received = await member.receive(1)
    assert received.text == "Aplikimi u pranua"
    assert received.button_labels == ["Shiko"]
    row = await load(db, delivery_id)
    assert (row.status, row.message_id, row.attempts) == ("sent", received.message_id, 1)
    assert row.sent_at is not None and row.error is None
    assert sender.stats["sent"] == 1


async def test_the_same_dedupe_key_queued_twice_is_one_message(
    db: Database, emu: BotApiEmulator, bot: ExtBot[None]
) -> None:
    member = emu.user(1001)
    async with db.write() as session:
        first = await outbox.enqueue(
            session,
            chat_id=1001,
            method="sendMessage",
            payload={"text": "Kujtesë"},
            now=_now(),
            dedupe_key="reminder:1001:2026-01-05",
        )
        # The same job running again (a restart, a second process) in another statement.
        again = await outbox.enqueue(
            session,
            chat_id=1001,
            method="sendMessage",
            payload={"text": "Kujtesë"},
            now=_now(),
            dedupe_key="reminder:1001:2026-01-05",
        )
    assert first is not None and again is None

    await fast_sender(db, bot).drain(5)

    assert [m.text for m in member.messages] == ["Kujtesë"]
    async with db.read() as session:
        assert await outbox.counts(session) == {"sent": 1}


# --- order ----------------------------------------------------------------------------------


async def test_claim_takes_one_row_per_chat_and_never_overtakes_a_waiting_one(
    db: Database,
) -> None:
    a1 = await send_text(db, 1, "a1")
    await send_text(db, 1, "a2")
    b1 = await send_text(db, 2, "b1")
    async with db.write() as session:
        claimed = await sending.claim_due(session, now=_now(), limit=10, lease_seconds=60)
        assert [d.id for d in claimed] == [a1, b1]
        # a1 fails transiently and waits a minute: a2 must wait behind it.
        await sending.mark_retry(
            session, a1, not_before=_now() + timedelta(minutes=1), error="NetworkError"
        )
        await sending.mark_sent(session, b1, message_id=7, now=_now())
    async with db.write() as session:
        assert await sending.claim_due(session, now=_now(), limit=10, lease_seconds=60) == []


async def test_a_chats_messages_and_an_edit_arrive_in_the_order_queued(
    db: Database, emu: BotApiEmulator, bot: ExtBot[None]
) -> None:
    member = emu.user(1001)
    # The first message is slow to send, so the edit is queued while it is in flight.
    emu.faults.add(latency=0.3, method="sendMessage", times=1)
    first = await send_text(db, 1001, "Aplikim i ri", payload={"reply_markup": keyboard("Po")})
    await send_text(db, 1001, "e dyta")

    sender = fast_sender(db, bot)
    await sender.start()
    await emu.wait_for_call("sendMessage")
    async with db.write() as session:
        edit = await outbox.enqueue_edit(
            session, original_id=first, payload={"text": "Aplikim i ri — pranuar"}, now=_now()
        )
    assert edit is not None and (await load(db, edit)).edits_delivery_id == first
    await send_text(db, 1001, "e treta")
    sender.wake()
    await sender.drain(5)
    await sender.stop()

    calls = [(name, params.get("text")) for name, params in emu.calls if name != "getMe"]
    assert calls == [
        ("sendMessage", "Aplikim i ri"),
        ("sendMessage", "e dyta"),
        ("editMessageText", "Aplikim i ri — pranuar"),
        ("sendMessage", "e treta"),
    ]
    assert [m.text for m in member.messages] == ["Aplikim i ri — pranuar", "e dyta", "e treta"]
    assert member.messages[0].button_labels == []  # the edit carried no buttons


# --- edits ----------------------------------------------------------------------------------


async def test_an_edit_before_the_original_is_sent_rewrites_it(
    db: Database, emu: BotApiEmulator, bot: ExtBot[None]
) -> None:
    chair = emu.user(2001)
    original = await send_text(
        db, 2001, "Aplikim nga Korçë", payload={"reply_markup": keyboard("Prano", "Refuzo")}
    )
    async with db.write() as session:
        assert (
            await outbox.enqueue_edit(
                session,
                original_id=original,
                payload={"text": "Aplikim nga Korçë — vendosur", "reply_markup": keyboard("OK")},
                now=_now(),
            )
            is None
        )

    await fast_sender(db, bot).drain(5)

    assert emu.count("editMessageText") == 0
    assert [(m.text, m.button_labels) for m in chair.messages] == [
        ("Aplikim nga Korçë — vendosur", ["OK"])
    ]


async def test_only_the_latest_edit_of_a_sent_message_is_sent(
    db: Database, emu: BotApiEmulator, bot: ExtBot[None]
) -> None:
    chair = emu.user(2001)
    original = await send_text(db, 2001, "Aplikim")
    sender = fast_sender(db, bot)
    await sender.drain(5)

    async with db.write() as session:
        first = await outbox.enqueue_edit(
            session, original_id=original, payload={"text": "Aplikim (1)"}, now=_now()
        )
        second = await outbox.enqueue_edit(
            session, original_id=original, payload={"text": "Aplikim (2)"}, now=_now()
        )
    assert first is not None and first == second
    await sender.drain(5)

    assert emu.count("editMessageText") == 1
    assert [(m.text, m.edits) for m in chair.messages] == [("Aplikim (2)", 1)]


async def test_nothing_is_queued_to_edit_a_message_that_was_never_sent(
    db: Database,
) -> None:
    original = await send_text(db, 2001, "Aplikim", ref_kind="member", ref_id=5)
    async with db.write() as session:
        assert await outbox.cancel_for_ref(session, "member", 5, now=_now()) == 1
        assert (
            await outbox.enqueue_edit(
                session, original_id=original, payload={"text": "x"}, now=_now()
            )
            is None
        )
        assert [d.status for d in await outbox.deliveries_for(session, "member", 5)] == [
            "cancelled"
        ]


# --- Telegram says no -----------------------------------------------------------------------


async def test_flood_control_pauses_the_sender_and_nothing_is_lost_or_doubled(
    sqlite_db: Database, emu: BotApiEmulator, bot: ExtBot[None]
) -> None:
    members = [emu.user(3000 + i) for i in range(5)]
    emu.faults.add(status=429, retry_after=1, method="sendMessage", times=1)
    ids = [await send_text(sqlite_db, m.id, f"Njoftim {m.id}") for m in members]

    sender = fast_sender(sqlite_db, bot)
    started = time.monotonic()
    await sender.drain(10)
    elapsed = time.monotonic() - started

    assert elapsed >= 1.0  # the refused message waited out retry_after
    assert [[msg.text for msg in m.messages] for m in members] == [
        [f"Njoftim {m.id}"] for m in members
    ]
    # The pacer waited it out and sent again: the row never came back as rate limited.
    assert emu.stats["429"] == 1 and bot.rate_limiter.stats["rate_limited"] == 1  # type: ignore[union-attr]
    assert sender.stats["rate_limited"] == 0
    # A 429 is not the message's fault: it does not use up an attempt.
    assert [(await load(sqlite_db, i)).attempts for i in ids] == [1] * 5


async def test_a_member_who_blocked_the_bot_is_marked_unreachable_and_not_retried(
    db: Database, emu: BotApiEmulator, bot: ExtBot[None]
) -> None:
    blocked, other = emu.user(1001), emu.user(1002)
    async with db.write() as session:
        await ensure_account(session, 1001, "sq", _now())
    blocked.block(notify=False)
    first = await send_text(db, 1001, "Aplikimi u pranua")
    later = [await send_text(db, 1001, f"Kujtesë {i}") for i in range(2)]
    await send_text(db, 1002, "Njoftim")

    sender = fast_sender(db, bot)
    await sender.drain(5)
    await asyncio.sleep(0.2)
    await sender.run_once()

    assert [m.text for m in other.messages] == ["Njoftim"]
    assert [p["chat_id"] for p in emu.calls_of("sendMessage")].count(1001) == 1
    statuses = [(await load(db, i)).status for i in [first, *later]]
    assert statuses == ["unreachable"] * 3
    assert "blocked" in ((await load(db, first)).error or "")
    async with db.read() as session:
        account = await get_account(session, 1001)
    assert account is not None and account.unreachable_at is not None
    assert sender.stats["unreachable"] == 1


async def test_two_bad_gateways_then_success_is_sent_on_the_third_attempt(
    db: Database, emu: BotApiEmulator, bot: ExtBot[None]
) -> None:
    member = emu.user(1001)
    emu.faults.add(status=502, method="sendMessage", times=2)
    delivery_id = await send_text(db, 1001, "Mirë se erdhe")

    sender = fast_sender(db, bot)
    await sender.drain(5)

    row = await load(db, delivery_id)
    assert (row.status, row.attempts) == ("sent", 3)
    assert [m.text for m in member.messages] == ["Mirë se erdhe"]
    assert sender.stats["retried"] == 2


async def test_a_server_that_keeps_failing_fails_the_row_after_max_attempts(
    sqlite_db: Database, emu: BotApiEmulator, bot: ExtBot[None]
) -> None:
    emu.user(1001)
    emu.faults.add(status=500, method="sendMessage", times=100)
    delivery_id = await send_text(sqlite_db, 1001, "Tekst personal: Alba Hoxha")

    sender = fast_sender(sqlite_db, bot, max_attempts=3)
    await sender.drain(5)

    row = await load(sqlite_db, delivery_id)
    assert (row.status, row.attempts) == ("failed", 3)
    assert emu.count("sendMessage") == 3
    assert row.error is not None and "3 attempts" in row.error
    assert "Alba" not in row.error and len(row.error) <= 255


# --- restarts ---------------------------------------------------------------------------------


async def _sent(db: Database) -> int:
    async with db.read() as session:
        return (await outbox.counts(session)).get("sent", 0)


async def _wait_sent(db: Database, at_least: int) -> None:
    for _ in range(200):
        if await _sent(db) >= at_least:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"fewer than {at_least} sent")


async def _wait_in_flight(db: Database, emu: BotApiEmulator) -> None:
    """Until a row is 'sending' and its call has reached the emulator but is unanswered."""
    for _ in range(400):
        asked = {params["chat_id"] for params in emu.calls_of("sendMessage")}
        async with db.read() as session:
            sending = {d.chat_id for d in (await session.execute(outbox_rows("sending"))).scalars()}
        if any(not emu.user(chat).messages for chat in sending & asked):
            return
        await asyncio.sleep(0.005)
    raise AssertionError("no call in flight")


async def test_restarts_send_everyone_exactly_once_except_the_calls_in_flight_at_a_crash(
    sqlite_db: Database, emu: BotApiEmulator, bot: ExtBot[None]
) -> None:
    members = [emu.user(4000 + i) for i in range(20)]
    ids = {m.id: await send_text(sqlite_db, m.id, f"Njoftim {m.id}") for m in members}
    # Slow answers, so that calls are in flight when the process dies.
    emu.faults.add(latency=0.2, times=1000)

    # 1. A graceful stop finishes its calls: nothing is sent twice.
    first = fast_sender(sqlite_db, bot, concurrency=4)
    await first.start()
    await _wait_sent(sqlite_db, 5)
    await first.stop()
    async with sqlite_db.read() as session:
        assert "sending" not in await outbox.counts(session)

    # 2. A crash: the task is cancelled mid-call, its rows stay 'sending'.
    second = fast_sender(sqlite_db, bot, concurrency=4)
    await second.start()
    await _wait_sent(sqlite_db, await _sent(sqlite_db) + 2)  # mid-run
    await _wait_in_flight(sqlite_db, emu)  # not between two batches of calls
    await second.kill()
    async with sqlite_db.read() as session:
        left_sending = {
            d.chat_id for d in (await session.execute(outbox_rows("sending"))).scalars()
        }
    assert 0 < len(left_sending) <= 4
    await asyncio.sleep(0.3)  # the calls that reached Telegram complete there
    reached_telegram = {m.id for m in members if m.id in left_sending and m.messages}

    # 3. The next sender takes the stale rows again once their lease has expired.
    emu.faults.clear()
    third = fast_sender(sqlite_db, bot, concurrency=4, lease_seconds=0.5)
    await third.start()
    await third.drain(10)
    await third.stop()

    received = {m.id: [msg.text for msg in m.messages] for m in members}
    assert all(texts and set(texts) == {f"Njoftim {chat}"} for chat, texts in received.items())
    doubled = {chat for chat, texts in received.items() if len(texts) > 1}
    # Exactly the in-flight window: rows left 'sending' whose call had reached Telegram.
    assert doubled == reached_telegram and 1 <= len(doubled) <= 4
    assert all(len(texts) <= 2 for texts in received.values())
    async with sqlite_db.read() as session:
        assert await outbox.counts(session) == {"sent": 20}
    for chat in left_sending:
        assert (await load(sqlite_db, ids[chat])).attempts == 2


def outbox_rows(status: str) -> Select[tuple[Delivery]]:
    return select(Delivery).where(Delivery.status == status)


async def test_two_senders_on_one_database_never_send_a_row_twice(
    db: Database, emu: BotApiEmulator, bot: ExtBot[None]
) -> None:
    members = [emu.user(5000 + i) for i in range(30)]
    for m in members:
        await send_text(db, m.id, f"Njoftim {m.id}")
    emu.faults.add(latency=0.02, times=1000)
    other_process = Database(db.url)  # its own engine and pool, like a second process
    try:
        senders = [fast_sender(db, bot), fast_sender(other_process, bot)]
        for sender in senders:
            await sender.start()
        await senders[0].drain(10)
        for sender in senders:
            await sender.stop()
    finally:
        await other_process.dispose()

    assert [len(m.messages) for m in members] == [1] * 30
    assert sum(s.stats["sent"] for s in senders) == 30


# --- Telegram's limits -------------------------------------------------------------------------


@pytest.mark.alone  # a rate: measured with no other test beside it
async def test_the_default_pace_stays_under_telegrams_flood_control(
    sqlite_db: Database, emu: BotApiEmulator, bot: ExtBot[None]
) -> None:
    emu.flood_control(global_per_second=30, per_chat_per_second=1)
    members = [emu.user(10_000 + i) for i in range(200)]
    busy = emu.user(99)
    # The busy chat first, so its 20 messages are spread over the whole run.
    for i in range(20):
        await send_text(sqlite_db, busy.id, f"Mesazh {i}")
    async with sqlite_db.write() as session:
        for m in members:
            await outbox.enqueue(
                session, chat_id=m.id, method="sendMessage", payload={"text": "Njoftim"}, now=_now()
            )

    default_bot = paced_bot(emu, Pacer())  # 28/s; per chat a burst of 3, then 1 per 1.05 s
    await default_bot.initialize()
    sender = OutboxSender(sqlite_db, default_bot, poll_interval=0.05)
    await sender.start()
    await sender.drain(40)
    await sender.stop()
    await default_bot.shutdown()

    assert all(len(m.messages) == 1 for m in members)
    assert [m.text for m in busy.messages] == [f"Mesazh {i}" for i in range(20)]
    assert emu.stats["429"] <= 2, emu.stats
    async with sqlite_db.read() as session:
        rows = list((await session.execute(outbox_rows("sent"))).scalars())
    many = sorted(r.sent_at for r in rows if r.chat_id != busy.id)  # type: ignore[type-var]
    rate = (len(many) - 1) / (many[-1] - many[0]).total_seconds()
    assert 24 <= rate <= 29, rate  # paced at 28/s: under Telegram's 30, not far below it
    one_chat = [r.sent_at for r in sorted(rows, key=lambda r: r.id) if r.chat_id == busy.id]
    # A burst of three, then about one a second: any n messages of the chat span at least
    # n - 3 seconds (recorded after each answer, so allow a tenth for the noise).
    for i, j in itertools.combinations(range(len(one_chat)), 2):
        span = (one_chat[j] - one_chat[i]).total_seconds()  # type: ignore[operator]
        assert span >= (j - i + 1 - 3) * 0.9, (i, j, span)
    assert (one_chat[-1] - one_chat[0]).total_seconds() >= 16  # type: ignore[operator]
