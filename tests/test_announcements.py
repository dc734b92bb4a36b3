"""Announcements through the emulator (issue 13): the wizard, exactly the right recipients,
media as composed, Telegram's limits, restarts, stopping, acknowledgements per structure."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from domain.places import Place
from emulator import EmulatedUser, SentMessage
from storage.models import Account, Member
from tests.harness import ADMIN_ID, BotHarness
from tests.test_chair_flow import actions, wait_for

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
