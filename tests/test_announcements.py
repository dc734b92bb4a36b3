"""Announcements through the emulator (issue 13): the wizard, exactly the right recipients,
media as composed, Telegram's limits, restarts, stopping, acknowledgements per structure."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from domain.places import Place
from emulator import EmulatedUser, SentMessage
from storage.erasure import erase_account
from storage.models import Account, Announcement, Delivery, Member
from tests.commands import command_env, regjistri
from tests.harness import ADMIN_ID, BotHarness, said
from tests.test_chair_flow import actions, make_officer, wait_for

SEEDED = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def places_of(harness: BotHarness) -> dict[int, Place]:
    assert harness.runner is not None and harness.runner.application is not None
    return harness.runner.application.services.places


def place_named(harness: BotHarness, name: str) -> Place:
    return next(p for p in places_of(harness).values() if p.name == name)


async def seed(
    harness: BotHarness,
    first_id: int,
    count: int,
    municipality: str,
    *,
    status: str = "approved",
    unreachable: bool = False,
    language: str = "sq",
) -> list[int]:
    """Entries written straight to the register (registering thousands through the chat
    would test registration, not announcements); each gets an emulator chat."""
    place = place_named(harness, municipality)
    ids = list(range(first_id, first_id + count))
    async with harness.database.write() as session:
        for n, telegram_id in enumerate(ids):
            session.add(
                Account(
                    telegram_id=telegram_id,
                    language=language,
                    created_at=SEEDED,
                    unreachable_at=SEEDED if unreachable else None,
                )
            )
            session.add(
                Member(
                    telegram_id=telegram_id,
                    full_name=f"Anëtar {telegram_id}",
                    birth_date=date(1980, 1, 1),
                    phone_e164=f"+35569{telegram_id % 10_000_000:07d}",
                    municipality_id=place.id,
                    language=language,
                    status=status,
                    submitted_at=SEEDED,
                    membership_number=f"T{telegram_id}" if status == "approved" else None,
                )
            )
            if n % 500 == 499:
                await session.flush()
    for telegram_id in ids:
        harness.user(telegram_id, "Anëtar")
    return ids


def _button(message: SentMessage, prefix: str) -> str:
    for button in message.buttons:
        if (button.callback_data or "").startswith(prefix):
            return str(button.callback_data)
    raise AssertionError(f"no button {prefix!r} in {[b.callback_data for b in message.buttons]}")


async def compose(
    harness: BotHarness,
    sender: EmulatedUser,
    *path: str,
    text: str | None = "Mbledhje të shtunën në ora 10:00.",
    photo_caption: str | None = None,
    ack: bool = False,
) -> SentMessage:
    """/njoftim, the target's buttons in order, the message; returns the preview."""
    shown = await harness.say(sender, "/njoftim")
    for data in path:
        shown = await harness.press(sender, _button(shown, data))
    if photo_caption is not None:
        await sender.send_photo(caption=photo_caption)
    else:
        assert text is not None
        await sender.send(text)
    preview = await wait_for(sender, lambda m: "ann:v1:send:" in str(m.buttons), timeout=5.0)
    if ack:
        preview = await harness.press(sender, _button(preview, "ann:v1:ack:"))
    return preview


async def report_of(sender: EmulatedUser, within: float = 30.0) -> SentMessage:
    return await wait_for(
        sender,
        lambda m: (m.text or "").startswith("📣") and (m.text or "").count("\n") >= 4,
        timeout=within,
    )


async def test_national_staff_announce_a_photo_to_korce_county_with_acknowledgements(
    harness: BotHarness,
) -> None:
    korce = await seed(harness, 20_000, 3, "Korçë")
    pogradec = await seed(harness, 20_100, 2, "Pogradec", language="en")
    durres = await seed(harness, 20_200, 2, "Durrës")
    pending = await seed(harness, 20_300, 1, "Korçë", status="pending")
    rejected = await seed(harness, 20_400, 1, "Korçë", status="rejected")
    blocked = await seed(harness, 20_500, 1, "Korçë", unreachable=True)
    admin = harness.user(ADMIN_ID, "Admin")
    county = place_named(harness, "Korçë").county_id

    preview = await compose(
        harness,
        admin,
        "ann:v1:cty:county",
        f"ann:v1:to:county:{county}",
        photo_caption="Takim në Korçë",
        ack=True,
    )
    assert "5" in (preview.text or "")  # 3 in Korçë, 2 in Pogradec
    assert "1" in (preview.text or "")  # the one who blocked the bot, left out
    copy_back = [m for m in harness.emu.messages(ADMIN_ID) if "photo" in m.raw]
    assert copy_back, "the preview shows the message as recipients will see it"
    # Nothing went out before Send.
    assert all(not harness.emu.messages(i) for i in korce + pogradec)

    await harness.press(admin, _button(preview, "ann:v1:send:"))
    report = await report_of(admin)
    # The progress message was edited up to 100 %, its Stop button gone.
    progress = next(m for m in harness.emu.messages(ADMIN_ID) if "(100%)" in (m.text or ""))
    assert not progress.buttons and progress.edits >= 1
    for member in korce + pogradec:
        photos = [m for m in harness.emu.messages(member) if "photo" in m.raw]
        assert len(photos) == 1 and photos[0].text == "Takim në Korçë"
    for outsider in durres + pending + rejected + blocked:
        assert not harness.emu.messages(outsider)
    assert report.text is not None and "5" in report.text

    # Acknowledgements: once per person, whatever the presses.
    first = harness.emu.users[korce[0]]
    photo = next(m for m in harness.emu.messages(korce[0]) if "photo" in m.raw)
    english = next(m for m in harness.emu.messages(pogradec[0]) if "photo" in m.raw)
    assert [b.text for b in photo.buttons] == ["✅ E lexova"]
    assert [b.text for b in english.buttons] == ["✅ I've read it"]
    await first.press_callback(photo.message_id, _button(photo, "ann:v1:read:"))
    await first.press_callback(photo.message_id, _button(photo, "ann:v1:read:"))
    other = harness.emu.users[pogradec[0]]
    await other.press_callback(english.message_id, _button(english, "ann:v1:read:"))
    # A stranger pressing a forged acknowledgement counts nothing.
    await harness.emu.users[durres[0]].press_callback(
        photo.message_id, _button(photo, "ann:v1:read:")
    )
    await asyncio.sleep(0.5)
    shown = await harness.say(admin, "/njoftimet")
    number = _button(shown, "ann:v1:show:").rsplit(":", 1)[1]
    details = await harness.press(admin, f"ann:v1:show:{number}")
    text = details.text or ""
    assert "Korçë: 1 / 3" in text and "Pogradec: 1 / 2" in text, text
    assert [e.detail["recipients"] for e in await actions(harness, "announcement.launched")] == [5]


async def test_a_chair_reaches_only_their_municipality_even_with_forged_presses(
    harness: BotHarness,
) -> None:
    chair = await make_officer(harness, 21_001, "Besa Kola")  # chair of Korçë
    korce = await seed(harness, 21_100, 2, "Korçë")
    durres = await seed(harness, 21_200, 2, "Durrës")
    pogradec = await seed(harness, 21_300, 1, "Pogradec")
    korce_place, durres_place = place_named(harness, "Korçë"), place_named(harness, "Durrës")

    menu = await harness.say(chair, "/njoftim")
    offered = [b.callback_data for b in menu.buttons]
    assert offered == [f"ann:v1:to:municipality:{korce_place.id}", "ann:v1:cancel:0"]
    # Forged targets: another municipality, the chair's county, everyone, all chairs.
    for forged in (
        f"ann:v1:to:municipality:{durres_place.id}",
        f"ann:v1:to:county:{korce_place.county_id}",
        "ann:v1:to:all",
        "ann:v1:to:chairs",
        f"ann:v1:mun:{korce_place.county_id}",
        "ann:v1:to:municipality:999999",
        "ann:v1:to:bogus:1",
    ):
        await chair.press_callback(menu.message_id, forged)
        refused = await harness.answer(chair)
        assert "ann:v1:send:" not in str(refused.buttons)
    assert len(await actions(harness, "announcement.refused")) == 7

    # A sticker is no announcement: said so, and the wizard still waits for the message.
    await harness.say(chair, "/njoftim")
    await harness.press(chair, f"ann:v1:to:municipality:{korce_place.id}")
    await chair.send_sticker()
    refused = await harness.answer(chair)
    assert refused.text == said(
        "That cannot be sent as an announcement. Send a text, or a photo, a video or a "
        "document (with a caption if you like)."
    )
    await chair.send("Takim i degës")
    preview = await wait_for(chair, lambda m: "ann:v1:send:" in str(m.buttons))
    await harness.press(chair, _button(preview, "ann:v1:send:"))
    await report_of(chair)
    for member in korce:
        assert [m.text for m in harness.emu.messages(member)] == ["Takim i degës"]
    for outsider in durres + pogradec:
        assert not harness.emu.messages(outsider)

    # A member is no officer: no wizard, no forged send.
    member = harness.emu.users[korce[0]]
    refused = await harness.say(member, "/njoftim")
    assert "ann:v1" not in str(refused.buttons)
    await member.press_callback(refused.message_id, f"ann:v1:to:municipality:{korce_place.id}")
    await harness.answer(member)
    async with harness.database.read() as session:
        drafts = await session.scalar(
            select(func.count()).where(Announcement.sender_id == korce[0])
        )
    assert drafts == 0


async def test_the_chairs_target_reaches_chairs_and_no_member(harness: BotHarness) -> None:
    chair_korce = await make_officer(harness, 22_001, "Besa Kola")
    chair_durres = await make_officer(
        harness, 22_002, "Arta Leka", county="Durrës", municipality="Durrës"
    )
    members = await seed(harness, 22_100, 3, "Korçë")
    admin = harness.user(ADMIN_ID, "Admin")
    preview = await compose(harness, admin, "ann:v1:to:chairs", text="Kryetarët: mbledhje")
    await harness.press(admin, _button(preview, "ann:v1:send:"))
    await report_of(admin)
    for chair in (chair_korce, chair_durres):
        assert any(m.text == "Kryetarët: mbledhje" for m in chair.messages)
    for member in members:
        assert not harness.emu.messages(member)


async def test_blocked_recipients_are_marked_unreachable_and_counted(harness: BotHarness) -> None:
    members = await seed(harness, 23_000, 4, "Korçë")
    harness.emu.users[members[0]].block(notify=False)
    admin = harness.user(ADMIN_ID, "Admin")
    place = place_named(harness, "Korçë")
    preview = await compose(
        harness,
        admin,
        "ann:v1:cty:municipality",
        f"ann:v1:mun:{place.county_id}",
        f"ann:v1:to:municipality:{place.id}",
    )
    await harness.press(admin, _button(preview, "ann:v1:send:"))
    report = await report_of(admin)
    assert report.text is not None
    assert said("Unreachable (blocked the bot): {n}", n=1) in report.text
    assert said("Delivered: {n}", n=3) in report.text
    async with harness.database.read() as session:
        account = await session.get(Account, members[0])
    assert account is not None and account.unreachable_at is not None
    # The next announcement leaves them out from the start.
    again = await compose(
        harness,
        admin,
        "ann:v1:cty:municipality",
        f"ann:v1:mun:{place.county_id}",
        f"ann:v1:to:municipality:{place.id}",
    )
    assert said("Recipients: {n}", n=3) in (again.text or "")
    assert said("Left out, as they blocked the bot: {n}", n=1) in (again.text or "")


async def _sent_copies(harness: BotHarness) -> int:
    async with harness.database.read() as session:
        return int(
            await session.scalar(
                select(func.count()).where(
                    Delivery.ref_kind == "announcement", Delivery.status == "sent"
                )
            )
            or 0
        )


async def _to_municipality(harness: BotHarness, sender: EmulatedUser, name: str) -> SentMessage:
    place = place_named(harness, name)
    return await compose(
        harness,
        sender,
        "ann:v1:cty:municipality",
        f"ann:v1:mun:{place.county_id}",
        f"ann:v1:to:municipality:{place.id}",
        text="Njoftim për të gjithë",
    )


async def test_a_crash_halfway_through_2000_loses_nothing_and_doubles_only_what_was_in_flight(
    make_harness: Any,
) -> None:
    harness = await make_harness(
        send_rate_per_second=400, outbox_lease_seconds=2, outbox_concurrency=16
    )
    harness.emu.flood_control(global_per_second=500, per_chat_per_second=1, per_chat_burst=3)
    members = await seed(harness, 30_000, 2000, "Tiranë")
    admin = harness.user(ADMIN_ID, "Admin")
    preview = await _to_municipality(harness, admin, "Tiranë")
    await harness.press(admin, _button(preview, "ann:v1:send:"))
    while await _sent_copies(harness) < 1000:  # noqa: ASYNC110 - watching the database
        await asyncio.sleep(0.05)
    assert harness.runner is not None and harness.runner.outbox is not None
    in_flight = len(harness.runner.outbox._inflight)
    await harness.runner.outbox.kill()  # no graceful stop: rows stay 'sending'
    await harness.restart()
    await report_of(admin, within=60)
    copies = [
        sum(1 for m in harness.emu.messages(i) if m.text == "Njoftim për të gjithë")
        for i in members
    ]
    assert min(copies) == 1, "a recipient was lost"
    doubled = sum(n - 1 for n in copies)
    # At most the copies in flight when it died, plus the successes not yet recorded
    # (one batch of OutboxSender.record_every).
    assert doubled <= in_flight + 16, (doubled, in_flight)


async def _press_send(sender: EmulatedUser, preview: SentMessage) -> None:
    """Send pressed without waiting for the bot to settle (the harness's press would wait
    for the whole broadcast to be delivered)."""
    await sender.press_callback(preview.message_id, _button(preview, "ann:v1:send:"))


async def test_stop_ends_a_running_announcement_and_the_report_says_so(
    harness: BotHarness,
) -> None:
    members = await seed(harness, 31_000, 150, "Korçë")
    admin = harness.user(ADMIN_ID, "Admin")
    preview = await _to_municipality(harness, admin, "Korçë")
    await _press_send(admin, preview)
    progress = await wait_for(admin, lambda m: "ann:v1:stop:" in str(m.buttons))
    while await _sent_copies(harness) < 20:  # noqa: ASYNC110 - watching the database
        await asyncio.sleep(0.05)
    await admin.press_callback(progress.message_id, _button(progress, "ann:v1:stop:"))
    stopping = await wait_for(admin, lambda m: (m.text or "").startswith("⏹"))
    assert "ann:v1" not in str(stopping.buttons)
    report = await report_of(admin)
    title = said("📣 Announcement no. {number} to {target} was stopped.", number=1, target="X")
    assert report.text is not None and report.text.startswith(title.split("X")[0])
    got = sum(1 for i in members if harness.emu.messages(i))
    assert 20 <= got < 150, got
    await asyncio.sleep(1.5)
    assert sum(1 for i in members if harness.emu.messages(i)) == got  # nothing after the report
    assert await actions(harness, "announcement.stopped")


async def test_members_registering_during_a_broadcast_are_answered_at_once(
    harness: BotHarness,
) -> None:
    """300 copies at Telegram's 30/s take ten seconds; a person's replies go first all along."""
    await seed(harness, 32_000, 300, "Korçë")
    admin = harness.user(ADMIN_ID, "Admin")
    preview = await _to_municipality(harness, admin, "Korçë")
    await _press_send(admin, preview)
    while await _sent_copies(harness) < 10:  # noqa: ASYNC110 - watching the database
        await asyncio.sleep(0.05)
    newcomer = harness.user(32_900, "Drita")
    waits = []

    async def step(action: Any) -> SentMessage:
        started = time.monotonic()
        await action
        reply = await newcomer.receive(timeout=5.0)
        waits.append(time.monotonic() - started)
        return reply

    await step(newcomer.send("/start"))
    consent = newcomer.messages[-1]
    await newcomer.press_callback(consent.message_id, _button(consent, "reg:v1:consent"))
    for text in ("Drita Marku", "5.3.1980", "069 212 9999", "korce"):
        await step(newcomer.send(text))
    assert await _sent_copies(harness) < 300, "the broadcast was still running"
    assert max(waits) < 1.5, waits
    assert len(waits) == 5


async def test_an_announcement_sent_later_waits_for_its_time(harness: BotHarness) -> None:
    members = await seed(harness, 33_000, 3, "Korçë")
    admin = harness.user(ADMIN_ID, "Admin")
    preview = await _to_municipality(harness, admin, "Korçë")
    asked = await harness.press(admin, _button(preview, "ann:v1:later:"))
    assert asked.text == said(
        "When should it be sent? Write the time in Tirana time, for example 18:30 for today "
        "(or tomorrow, if that time has passed) or 5.12 18:30 for another day."
    )
    wrong = await harness.say(admin, "nesër")
    assert wrong.text == said("I could not read that time. Write it like 18:30 or 5.12 18:30.")
    # The clock says 10:00 in Tirana (09:00 UTC): 10:30 is half an hour away.
    scheduled_preview = await harness.say(admin, "10:30")
    assert "ann:v1:now:" in str(scheduled_preview.buttons)
    await harness.press(admin, _button(scheduled_preview, "ann:v1:send:"))
    await asyncio.sleep(2.0)
    assert all(not harness.emu.messages(i) for i in members)
    harness.clock.advance(minutes=31)
    await report_of(admin)
    assert all(len(harness.emu.messages(i)) == 1 for i in members)
    assert await actions(harness, "announcement.scheduled")


async def test_regjistri_announce_on_the_server_with_the_running_bot_delivering(
    harness: BotHarness, tmp_path: Path
) -> None:
    members = await seed(harness, 34_000, 3, "Pogradec")
    outsiders = await seed(harness, 34_100, 2, "Korçë")
    message = tmp_path / "msg.txt"
    message.write_text("Kongresi i degës: e shtunë, ora 10:00.\n", encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "announce",
        "--target",
        "municipality:pogradec",
        "--text-file",
        str(message),
        "--ack",
        env=command_env(DATABASE_URL=harness.database_url),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, _err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, _err.decode()
    printed = out.decode()
    assert "Announcement no. 1: 3 recipients queued." in printed
    assert "Delivered: 3" in printed and "Pogradec: 0 / 3" in printed
    for member in members:
        got = harness.emu.messages(member)
        assert [m.text for m in got] == ["Kongresi i degës: e shtunë, ora 10:00."]
        assert [b.text for b in got[0].buttons] == ["✅ E lexova"]
    for outsider in outsiders:
        assert not harness.emu.messages(outsider)
    assert [e.detail for e in await actions(harness, "announcement.sent")] == [
        {"target": f"municipality:{place_named(harness, 'Pogradec').id}", "ack": True, "via": "cli"}
    ]


def test_a_wrong_target_or_an_empty_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite3'}"}
    wrong = regjistri(
        "announce", "--target", "planet:Mars", "--text-file", str(empty), env=env, cwd=tmp_path
    )
    assert wrong.returncode == 2 and "--target must be" in wrong.stderr
    empty_run = regjistri(
        "announce", "--target", "all", "--text-file", str(empty), env=env, cwd=tmp_path
    )
    assert empty_run.returncode == 2 and "1 to 4096 characters" in empty_run.stderr


async def test_telegram_refusing_faster_than_we_pace_is_honoured_without_a_storm_of_429s(
    make_harness: Any,
) -> None:
    """The bot paces at 28/s; this Telegram allows 15/s. The 429s that follow are waited
    out and make the pacer slow down: few of them, every copy delivered once."""
    harness = await make_harness()
    harness.emu.flood_control(global_per_second=15, per_chat_per_second=1, per_chat_burst=3)
    members = await seed(harness, 35_000, 90, "Korçë")
    admin = harness.user(ADMIN_ID, "Admin")
    preview = await _to_municipality(harness, admin, "Korçë")
    await _press_send(admin, preview)
    await report_of(admin, within=60)
    assert all(
        sum(1 for m in harness.emu.messages(i) if m.text == "Njoftim për të gjithë") == 1
        for i in members
    )
    # Without honouring them, about half of the calls would be refused.
    assert harness.emu.stats["429"] <= 12, harness.emu.stats


async def test_a_recipient_erasing_their_data_mid_broadcast_does_not_hold_it_up(
    harness: BotHarness,
) -> None:
    members = await seed(harness, 36_000, 60, "Korçë")
    admin = harness.user(ADMIN_ID, "Admin")
    preview = await _to_municipality(harness, admin, "Korçë")
    await _press_send(admin, preview)
    while await _sent_copies(harness) < 5:  # noqa: ASYNC110 - watching the database
        await asyncio.sleep(0.05)
    async with harness.database.write() as session:
        await erase_account(session, members[-1], harness.clock.now())
    report = await report_of(admin, within=30)
    assert report.text is not None and said("Delivered: {n}", n=59) in report.text
    assert not harness.emu.messages(members[-1])
