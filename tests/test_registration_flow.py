"""A member registers, end to end, through the emulator (python-telegram-bot's real HTTP stack)."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Member, RegistrationDraft
from tests.harness import BotHarness


async def test_a_member_types_korce_and_is_pending_in_korce(harness: BotHarness) -> None:
    member = harness.user(1001, "Arta")
    welcome = await harness.say(member, "/start")
    assert "reg:v1:consent:yes" in [b.callback_data for b in welcome.buttons]

    asked_name = await harness.press(member, "reg:v1:consent:yes")
    assert asked_name.text
    asked_birth = await harness.say(member, "arben hoxha")
    assert "Arben Hoxha" in (asked_birth.text or "")
    asked_phone = await harness.say(member, "5.3.1980")
    assert "1980" in (asked_phone.text or "")
    assert member.reply_keyboard and member.reply_keyboard[0][0].request_contact
    asked_place = await harness.say(member, "069 212 3456")
    assert "+355 69 212 3456" in (asked_place.text or "")
    summary = await harness.say(member, "korce")
    assert "Korçë" in (summary.text or "")
    done = await harness.press(member, "reg:v1:confirm")
    assert "Korçë" in (done.text or "")

    async with harness.database.read() as session:
        entry = await session.scalar(select(Member).where(Member.telegram_id == 1001))
        draft = await session.get(RegistrationDraft, 1001)
    assert entry is not None and entry.status == "pending"
    assert entry.full_name == "Arben Hoxha" and entry.phone_e164 == "+355692123456"
    assert draft is None
