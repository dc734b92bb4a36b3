"""Privacy holes closed (issue 14's review): what a forged press or a leftover file could leak."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from storage.models import AuditEvent, Delivery
from tests.harness import ADMIN_ID, BotHarness, said
from tests.test_chair_flow import apply, card, entry, make_officer

GROUP = -100777


async def test_a_forged_press_in_a_group_posts_nothing_there(harness: BotHarness) -> None:
    """A chair forges the pending list and a rejection as presses on the bot's message in a
    group: the bot answers with a toast only the chair sees and posts nothing in the group."""
    chair = await make_officer(harness, 7001, "Besa Kola")
    _member, member_id = await apply(harness, 7002, "Arben Hoxha")
    await chair.send_in_group(GROUP, "/start")  # the bot's pointer: its one message there
    signal = harness.emu.chat_signal(GROUP)
    assert await signal.wait_until(lambda: bool(harness.emu.messages(GROUP)), 5.0)
    in_group = harness.emu.messages(GROUP)
    assert len(in_group) == 1
    pointer = in_group[0].message_id

    for data in ("app:v1:list", f"app:v1:reject:{member_id}", "reg:v1:consent:yes"):
        seen = len(chair.callback_answers)
        await chair.press_callback(pointer, data, chat_id=GROUP)
        signal = harness.emu.chat_signal(chair.id)
        assert await signal.wait_until(lambda n=seen: len(chair.callback_answers) > n, 5.0)
        answer = chair.callback_answers[seen]
        assert answer["text"] == said("This button works only in our private chat.")
    await harness.drain_outbox()

    assert len(harness.emu.messages(GROUP)) == 1  # still only the pointer
    texts = [m.text or "" for m in harness.emu.messages(GROUP)]
    assert not any("Arben" in text or "Hoxha" in text for text in texts)
    async with harness.database.read() as session:
        refused = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "press.outside_private_chat")
            )
        ).all()
    assert [event.actor_id for event in refused] == [7001, 7001, 7001]


async def test_after_cancelling_no_typed_detail_stays_in_the_database_files(
    harness: BotHarness,
) -> None:
    """A person types their name and phone, then /anulo: neither is left in the SQLite file
    or in its write-ahead log while the bot keeps running (secure_delete + a checkpoint)."""
    person = harness.user(7101, "Zamira")
    await harness.say(person, "/start")
    await harness.press_toast(person, "✅ Po, jam dakord")
    await harness.say(person, "Zamira Qendrimaj")
    await harness.say(person, "7.9.1991")
    await harness.say(person, "069 887 6543")
    await harness.say(person, "/anulo")
    await harness.drain_outbox()

    path = Path(harness.database_url.split("///", 1)[1])
    stored = b"".join(
        candidate.read_bytes()
        for candidate in (path, path.with_name(path.name + "-wal"))
        if candidate.exists()
    )
    assert stored  # the files were read
    for typed in ("Zamira Qendrimaj", "Qendrimaj", "698876543", "887 6543"):
        assert typed.encode() not in stored, typed


async def _revoke_in_chat(harness: BotHarness, holder_name: str) -> None:
    """The admin revokes a role from the chat: /ftese → Roles → Revoke → Yes."""
    admin = harness.user(ADMIN_ID, "Admin")
    await harness.say(admin, "/ftese")
    roles = await harness.press(admin, "inv:v1:roles")
    revoke = [
        b
        for b in roles.buttons
        if (b.callback_data or "").startswith("inv:v1:revoke:") and holder_name in b.text
    ]
    assert len(revoke) == 1
    role_id = int((revoke[0].callback_data or "").rsplit(":", 1)[1])
    await harness.press(admin, f"inv:v1:revoke:{role_id}")
    await harness.press(admin, f"inv:v1:revoke_yes:{role_id}")


async def test_a_revoked_chair_gets_no_queued_card_and_no_outcome(harness: BotHarness) -> None:
    """Cards still queued for a chair who loses the role are not delivered, and the card they
    already have is not edited with the outcome and the membership number."""
    chair = await make_officer(harness, 7201, "Besa Kola")
    _, first_id = await apply(harness, 7202, "Arben Hoxha")
    held = await card(chair, first_id)
    page = await harness.say(chair, "/ne_pritje")  # a list page with the name on it
    assert "Arben Hoxha" in (page.text or "")

    assert harness.runner is not None and harness.runner.outbox is not None
    await harness.runner.outbox.stop()  # the next card waits in the outbox
    _, second_id = await apply(harness, 7203, "Mira Dervishi")
    await _revoke_in_chat(harness, "Besa Kola")
    await harness.runner.outbox.start()

    admin = harness.user(ADMIN_ID, "Admin")
    await harness.say(admin, "/ne_pritje")
    await harness.press(admin, f"app:v1:approve:{first_id}:0")
    # The admin now decides Korçë (escalated at once): their burst summary's recount is
    # held back BURST_SUMMARY_EDIT_SECONDS, so wait past it.
    await harness.runner.outbox.drain(timeout=25.0)

    assert (await entry(harness, first_id)).status == "approved"  # type: ignore[union-attr]
    texts = [m.text or "" for m in chair.messages]
    assert not any("Dervishi" in text for text in texts)  # ("Mira" is in "Mirato")
    # The card they hold is edited to a line without personal data, and they are told.
    assert held.edits == 1 and "Arben" not in (held.text or "") and "KOR-" not in held.text
    assert held.text == said("This card is no longer available: your role has ended.")
    assert any("Your role has ended" in t or "Roli juaj" in t for t in texts)
    # … and their list page too.
    assert page.edits == 1 and "Arben" not in (page.text or "")
    assert page.text == said("This list is no longer available: your role has ended.")
    async with harness.database.read() as session:
        withheld = await session.scalar(
            select(Delivery.status).where(
                Delivery.chat_id == 7201,
                Delivery.ref_kind == "application",
                Delivery.ref_id == second_id,
            )
        )
    assert withheld == "cancelled"
