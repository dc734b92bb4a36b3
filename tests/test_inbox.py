"""The update inbox: an update is stored before Telegram is told it arrived, so a crash in
between loses nothing, and one handled in a writing transaction is marked in that same
transaction, so a restart does not handle it twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import text
from telegram import Bot

from storage import inbox
from storage.db import SQLITE_BUSY_TIMEOUT_MS, Database
from storage.models import InboxUpdate, RegistrationDraft
from tests.harness import TOKEN, BotHarness


async def _at_name_step(harness: BotHarness, user_id: int) -> None:
    user = harness.user(user_id)
    await harness.say(user, "/start")
    await harness.press_toast(user, "reg:v1:consent:yes")


async def test_an_update_stored_before_a_crash_is_handled_at_the_next_start(
    harness: BotHarness,
) -> None:
    await _at_name_step(harness, 3101)
    await harness.stop()
    user = harness.user(3101)
    await user.send("Arben Hoxha")
    raw = harness.emu.pending_updates[-1]
    # The dead process had stored the update and confirmed it to Telegram (the next
    # getUpdates offset), so Telegram will not send it again: only the inbox has it.
    async with harness.database.write() as session:
        await inbox.store_new(session, [(raw["update_id"], user.id, raw)], datetime.now(UTC))
    async with Bot(TOKEN, base_url=harness.emu.base_url) as bot:
        await bot.get_updates(offset=raw["update_id"] + 1, timeout=0)
    assert harness.emu.pending_updates == []

    await harness.start()
    asked_birth = await harness.answer(user)
    assert "Arben Hoxha" in (asked_birth.text or "")
    async with harness.database.read() as session:
        draft = await session.get(RegistrationDraft, 3101)
        stored = await session.get(InboxUpdate, raw["update_id"])
    assert draft is not None and draft.full_name == "Arben Hoxha" and draft.step == "birth_date"
    assert stored is not None and stored.processed_at is not None and not stored.payload


async def test_a_handled_update_is_marked_with_its_effects_and_not_handled_again(
    harness: BotHarness,
) -> None:
    await _at_name_step(harness, 3102)
    user = harness.user(3102)
    await user.send("Arben Hoxha")
    update_id = harness.emu.last_update_id
    await user.receive()
    # Read as soon as the answer arrives: the mark committed with the draft, before the
    # answer was sent, not in the runner's batch ~50 ms after the handler returned.
    async with harness.database.read() as session:
        stored = await session.get(InboxUpdate, update_id)
        draft = await session.get(RegistrationDraft, 3102)
    assert stored is not None and stored.processed_at is not None and not stored.payload
    assert draft is not None and draft.full_name == "Arben Hoxha"
    await user.receive_all()

    # A restart replays nothing: the name is not taken again as an answer to the next step.
    await harness.restart()
    before = len(user.messages)
    await user.send("5.3.1980")
    await harness.answer(user)
    new = user.messages[before:]
    assert len(new) == 1 and "1980" in (new[0].text or "")


async def test_a_batch_that_cannot_be_stored_is_fetched_again(harness: BotHarness) -> None:
    """Another process holds SQLite's write lock longer than the busy timeout: storing the
    update fails, so the bot must not confirm it; once the lock is free it is handled."""
    await _at_name_step(harness, 3103)
    user = harness.user(3103)
    before = len(user.messages)
    other_process = Database(harness.database_url)
    try:
        async with other_process.write() as session:
            await session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the lock is taken
            await user.send("Arben Hoxha")
            await asyncio.sleep(SQLITE_BUSY_TIMEOUT_MS / 1000 + 1.0)
            assert len(user.messages) == before  # nothing handled while it was locked
    finally:
        await other_process.dispose()

    asked_birth = await user.receive(timeout=10.0)
    assert "Arben Hoxha" in (asked_birth.text or "")
    async with harness.database.read() as session:
        draft = await session.get(RegistrationDraft, 3103)
    assert draft is not None and draft.full_name == "Arben Hoxha"
