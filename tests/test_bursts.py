"""A rally: applications reach a chair faster than Telegram delivers to one chat, so the chair
gets one summary, edited as the count grows, instead of a card each."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import select

from storage.models import Delivery
from tests.conftest import Harness
from tests.harness import BotHarness
from tests.test_chair_flow import apply, has_button, make_officer, wait_for


async def test_queued_cards_fold_into_one_summary_with_the_count(harness: BotHarness) -> None:
    chair = await make_officer(harness, 3001, "Drita Kola")
    await harness.drain_outbox()
    sender = harness.runner.outbox  # type: ignore[union-attr]
    assert sender is not None
    await sender.stop()  # the chair's chat is "busy": cards wait for their turn
    for n in range(5):
        await apply(harness, 4100 + n, name=f"Anëtar Numër{'i' * (n + 1)}")
    await sender.start()
    await harness.drain_outbox()

    summary = await wait_for(chair, has_button("app:v1:list"))
    assert "5" in (summary.text or "")
    cards = [
        m
        for m in chair.messages
        if any(b.callback_data.startswith("app:v1:approve:") for b in m.buttons if b.callback_data)
    ]
    assert cards == []  # none of the five came as its own message
    async with harness.database.read() as session:
        folded = (
            await session.scalars(
                select(Delivery).where(Delivery.chat_id == 3001, Delivery.ref_kind == "application")
            )
        ).all()
    assert folded and {d.status for d in folded} == {"cancelled"}

    listing = await harness.press(chair, "app:v1:list")
    assert (
        len([b for b in listing.buttons if (b.callback_data or "").startswith("app:v1:approve:")])
        == 5
    )


async def test_a_quiet_chair_gets_one_card_per_application(harness: BotHarness) -> None:
    chair = await make_officer(harness, 3002, "Besa Kola")
    _, member_id = await apply(harness, 4200)
    await wait_for(chair, has_button(f"app:v1:approve:{member_id}"))
    assert not any(has_button("app:v1:list")(m) for m in chair.messages)


async def test_a_decision_brings_the_summary_count_down(make_harness: Harness) -> None:
    harness = await make_harness(burst_summary_edit_seconds=1)
    chair = await make_officer(harness, 3003, "Arta Kola")
    await harness.drain_outbox()
    sender = harness.runner.outbox  # type: ignore[union-attr]
    assert sender is not None
    await sender.stop()
    for n in range(3):
        await apply(harness, 4300 + n, name=f"Anëtar Numër{'i' * (n + 1)}")
    await sender.start()
    summary = await wait_for(chair, has_button("app:v1:list"))
    assert "3" in (summary.text or "")
    listing = await harness.press(chair, "app:v1:list")
    approve = next(
        b for b in listing.buttons if (b.callback_data or "").startswith("app:v1:approve:")
    )
    assert listing.message_id != summary.message_id  # the summary stays a summary
    await harness.press(chair, approve.callback_data or "")
    await harness.drain_outbox()
    assert summary.edits >= 1 and "3" not in (summary.text or "")
    assert "2" in (summary.text or "") and summary.buttons[0].callback_data == "app:v1:list"


async def test_a_burst_edits_the_summary_at_most_once_a_settle_window(
    make_harness: Harness,
) -> None:
    harness = await make_harness(burst_summary_edit_seconds=5)
    chair = await make_officer(harness, 3004, "Arta Kola")
    await harness.drain_outbox()
    sender = harness.runner.outbox  # type: ignore[union-attr]
    assert sender is not None
    await sender.stop()
    await apply(harness, 4400, name="Anëtar Numëri")
    await apply(harness, 4401, name="Anëtar Numërii")
    await sender.start()
    summary = await wait_for(chair, has_button("app:v1:list"))
    assert "2" in (summary.text or "")
    started = time.monotonic()
    await asyncio.gather(
        *(apply(harness, 4402 + n, name=f"Anëtar Numër{'i' * (n + 3)}") for n in range(4))
    )
    await wait_for(
        chair, lambda m: m.message_id == summary.message_id and "6" in (m.text or ""), 15
    )
    windows = (time.monotonic() - started) // 5 + 1
    # Four more applications, but the count was edited at most once a window (one edit each
    # would have cost four messages of the bot's budget).
    assert 1 <= summary.edits <= windows < 4, (summary.edits, windows)
