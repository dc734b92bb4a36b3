"""Many people at once, under Telegram's limits and on a bad day at Telegram: every reply
arrives (issue "Every message reaches its person").

The emulator enforces Telegram's flood control (30 messages/s per bot, 1/s per chat after a
burst of 3, 429 with retry_after) in every test here; the bot's one sending path paces
replies and the outbox together, waits out 429s and retries 5xx and timeouts.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from emulator import EmulatedUser, SentMessage
from storage import outbox
from storage.models import Delivery, Member
from tests.conftest import Harness
from tests.harness import BotHarness, said
from tests.test_chair_flow import make_officer, wait_for

# Rates and latencies: measured with no other test running beside (tests/conftest.py).
pytestmark = pytest.mark.alone

GENERIC_ERROR = (
    "Sorry, something went wrong on our side. What you entered so far is saved: "
    "please try again in a moment."
)


def containing(text: str) -> Callable[[SentMessage], bool]:
    return lambda m: text in (m.text or "")


def with_button(data: str) -> Callable[[SentMessage], bool]:
    return lambda m: any(b.callback_data == data for b in m.buttons)


async def register_at_peak(
    member: EmulatedUser,
    n: int,
    municipality: str = "korce",
    timeout: float = 60.0,  # noqa: ASYNC109
) -> None:
    """A whole registration, each step sent once the bot has asked for it.

    Steps wait for what the bot says (the echo of the answer before), not for a count of
    messages: on a bad day at Telegram a reply can arrive twice.
    """
    phone = f"+355 69 2{n // 1000 % 10}{n // 100 % 10} {n % 100:02d}00"
    await member.send("/start")
    await wait_for(member, with_button("reg:v1:consent:yes"), timeout)
    await member.press("reg:v1:consent:yes")
    await member.wait_callback_answer(timeout)
    await member.send("Arben Hoxha")
    await wait_for(member, containing("Arben Hoxha"), timeout)
    await member.send("5.3.1980")
    await wait_for(member, containing("1980"), timeout)
    await member.send(phone)
    await wait_for(member, containing(phone), timeout)
    await member.send(municipality)
    summary = await wait_for(member, with_button("reg:v1:confirm"), timeout)
    await member.press("reg:v1:confirm")
    await member.wait_edit(summary, timeout)


async def pending_count(harness: BotHarness) -> int:
    async with harness.database.read() as session:
        count = await session.scalar(
            select(func.count()).select_from(Member).where(Member.status == "pending")
        )
    return int(count or 0)


def nobody_saw_the_generic_error(*people: EmulatedUser) -> None:
    generic = said(GENERIC_ERROR)
    for person in people:
        assert not [m for m in person.messages if m.text == generic], person


async def test_fifty_members_who_start_in_the_same_second_all_complete(
    harness: BotHarness,
) -> None:
    members = [harness.user(20_000 + n, f"Anëtar{n}") for n in range(50)]
    await asyncio.gather(*(register_at_peak(m, n) for n, m in enumerate(members)))

    assert await pending_count(harness) == 50
    nobody_saw_the_generic_error(*members)
    # Paced under the limits, not hammering them: at most 1 % of sends met a 429.
    assert harness.emu.flood_rejections <= 0.01 * harness.emu.stats["sent"], (
        harness.emu.flood_rejections,
        harness.emu.stats,
    )


async def test_a_burst_of_stray_input_then_the_answer_is_answered_in_order(
    harness: BotHarness,
) -> None:
    member = harness.user(1001, "Arta")
    await harness.say(member, "/start")
    await harness.press_toast(member, "reg:v1:consent:yes")
    await harness.say(member, "Arta Hoxha")
    other = harness.user(1002, "Besa")

    # Someone else's contact, an old button, an emoji, then the birth date: in one breath.
    await member.send_contact("+355692120002", user_id=other.id)
    await member.press("reg:v1:consent:yes")
    await member.send_sticker("🙂")
    await member.send("5.3.1980")
    replies = await member.receive_all(idle=0.5)

    texts = [m.text or "" for m in replies]
    assert len(replies) >= 3, texts  # the contact, the sticker and the date each answered
    assert "1980" in texts[-1], texts  # and the answer to the date comes last, not lost
    assert member.reply_keyboard and member.reply_keyboard[0][0].request_contact
    assert harness.emu.flood_rejections == 0


def is_listing(m: SentMessage) -> bool:
    """The /ne_pritje page: its Approve buttons carry the page after the id."""
    return any(re.fullmatch(r"app:v1:approve:\d+:\d+", b.callback_data or "") for b in m.buttons)


async def approve_everything_listed(chair: EmulatedUser) -> int:
    """The chair works through /ne_pritje, approving the first one listed until none is."""
    last = chair.messages[-1].message_id if chair.messages else 0
    await chair.send("/ne_pritje")
    page = await wait_for(chair, lambda m: m.message_id > last and is_listing(m), 60)
    approved = 0
    while is_listing(page):
        approve = next(b for b in page.buttons if "approve" in (b.callback_data or ""))
        seen = page.edits
        await chair.press_callback(page.message_id, approve.callback_data or "")
        await chair.wait_edit(page, 60, since=seen)
        approved += 1
    return approved


@pytest.mark.timeout(300)  # about a minute here: Telegram's limits plus a fifth failing
async def test_a_fifth_of_calls_failing_loses_no_registration_and_no_decision(
    make_harness: Harness,
) -> None:
    # PTB gives up on an answer after 1 s here; a "late" fault answers after 1.5 s, when the
    # message was already delivered.
    harness = await make_harness(bot_api_timeout_seconds=1.0, reply_deadline_seconds=60)
    chairs = [
        await make_officer(harness, 5001, "Besa Kola"),
        await make_officer(harness, 5002, "Dritan Leka", county="Durrës", municipality="Durrës"),
    ]
    mix = harness.emu.faults.set_mix(0.2, seed=7, slow=0.3, late=1.5)
    members = [harness.user(30_000 + n, f"Anëtar{n}") for n in range(30)]
    places = ["korce", "durres"]
    await asyncio.gather(
        *(register_at_peak(m, n, places[n % 2], timeout=90) for n, m in enumerate(members))
    )
    assert await pending_count(harness) == 30

    decided = await asyncio.gather(*(approve_everything_listed(chair) for chair in chairs))
    assert decided == [15, 15] and await pending_count(harness) == 0
    for n, member in enumerate(members):
        await wait_for(member, containing(("KOR-", "DUR-")[n % 2]), 60)
    nobody_saw_the_generic_error(*chairs, *members)
    assert mix is not None and all(mix.counts.values()), mix.counts  # every kind was served


async def test_a_broadcast_backlog_does_not_hold_up_a_reply(harness: BotHarness) -> None:
    recipients = [harness.user(50_000 + n, "Marrës") for n in range(600)]
    async with harness.database.write() as session:
        for person in recipients:
            await outbox.enqueue(
                session,
                chat_id=person.id,
                method="sendMessage",
                payload={"text": "Njoftim"},
                now=datetime.now(UTC),
                priority=-10,  # an announcement: the lowest priority
            )
    assert harness.runner is not None and harness.runner.outbox is not None
    harness.runner.outbox.wake()
    await wait_for(recipients[0], containing("Njoftim"), 10)  # the backlog is flowing

    member = harness.user(1001, "Arta")
    waits = []
    for text in ("/start", "/ndihme", "/statusi"):
        started = time.monotonic()
        await member.send(text)
        await member.receive(timeout=10)
        waits.append(time.monotonic() - started)
        await asyncio.sleep(1.1)  # a person's pace, inside the chat's own limit
    delivered = sum(1 for p in recipients if p.messages)
    assert delivered < len(recipients)  # the backlog was still there while we talked
    assert max(waits) < 1.0, waits  # one pacing slot and a round trip, not the queue


async def test_a_reply_refused_past_its_deadline_is_delivered_later_by_the_outbox(
    make_harness: Harness,
) -> None:
    harness = await make_harness(reply_deadline_seconds=1.0)
    member = harness.user(1001, "Arta")
    # Telegram fails every message to this chat for a while: longer than the reply may wait.
    harness.emu.faults.add(status=502, method="sendMessage", chat_id=member.id, times=5)
    await member.send("/start")
    welcome = await wait_for(member, with_button("reg:v1:consent:yes"), 30)
    assert welcome.text
    # The message is on screen before the sender records it as sent: wait for that record.
    assert harness.runner is not None and harness.runner.outbox is not None
    await harness.runner.outbox.drain()
    async with harness.database.read() as session:
        rows = (await session.scalars(select(Delivery).where(Delivery.ref_kind == "reply"))).all()
    assert [(r.chat_id, r.status) for r in rows] == [(member.id, "sent")]  # handed over, sent
    assert len([m for m in member.messages if m.buttons]) == 1  # once, not twice
    nobody_saw_the_generic_error(member)
