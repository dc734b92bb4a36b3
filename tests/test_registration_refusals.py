"""Every refusal of the registration, through the emulator: a kind message, the step asked
again, nothing already entered lost."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from emulator import EmulatedUser
from storage.models import AuditEvent, Member, RegistrationDraft
from tests.harness import BotHarness, said

NAME_Q = "What is your full name? Write your first name and surname, for example: Arben Hoxha."


async def _at_name(harness: BotHarness, user: EmulatedUser) -> None:
    await harness.say(user, "/start")
    await harness.press_toast(user, "reg:v1:consent:yes")


async def _draft(harness: BotHarness, user_id: int) -> RegistrationDraft | None:
    async with harness.database.read() as session:
        return await session.get(RegistrationDraft, user_id)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("Arben", "Please write both your first name and your surname, for example: Arben Hoxha."),
        ("Arben Hoxha 2", "A name cannot contain digits. Please write your full name in letters."),
        (
            "Arben 😀 Hoxha",
            "A name can only contain letters, spaces, hyphens and apostrophes. "
            "Please write your full name without emoji or other signs.",
        ),
    ],
)
async def test_a_bad_name_is_refused_kindly(harness: BotHarness, typed: str, problem: str) -> None:
    user = harness.user(2001)
    await _at_name(harness, user)
    reply = await harness.say(user, typed)
    assert reply.text == said(problem)
    draft = await _draft(harness, 2001)
    assert draft is not None and draft.step == "name" and draft.full_name is None


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        (
            "5.3.80",
            "Please write the year with four digits, for example: 5.3.1980 rather than 5.3.80.",
        ),
        (
            "31.2.1980",
            "That date does not exist in the calendar. Please check the day and the month.",
        ),
        ("nesër", None),  # unreadable
        ("1.1.2090", "That date is in the future. Please write your date of birth."),
    ],
)
async def test_a_bad_birth_date_is_refused_and_the_name_kept(
    harness: BotHarness, typed: str, problem: str | None
) -> None:
    user = harness.user(2002)
    await _at_name(harness, user)
    await harness.say(user, "Arben Hoxha")
    reply = await harness.say(user, typed)
    if problem:
        assert reply.text == said(problem)
    draft = await _draft(harness, 2002)
    assert draft is not None and draft.step == "birth_date" and draft.full_name == "Arben Hoxha"


async def test_too_young_names_the_minimum_age(harness: BotHarness) -> None:
    user = harness.user(2003)
    await _at_name(harness, user)
    await harness.say(user, "Arben Hoxha")
    reply = await harness.say(user, "1.1.2015")
    assert "18" in (reply.text or "")
    assert (await _draft(harness, 2003)).step == "birth_date"  # type: ignore[union-attr]


async def _at_phone(harness: BotHarness, user: EmulatedUser) -> None:
    await _at_name(harness, user)
    await harness.say(user, "Arben Hoxha")
    await harness.say(user, "5.3.1980")


async def test_letters_for_a_phone_are_refused_and_the_contact_button_stays(
    harness: BotHarness,
) -> None:
    user = harness.user(2004)
    await _at_phone(harness, user)
    reply = await harness.say(user, "numri im")
    assert reply.reply_markup and "keyboard" in reply.reply_markup
    assert (await _draft(harness, 2004)).step == "phone"  # type: ignore[union-attr]


async def test_a_merely_possible_number_is_confirmed_not_refused(harness: BotHarness) -> None:
    user = harness.user(2005)
    await _at_phone(harness, user)
    reply = await harness.say(user, "067 123 4567")  # 067 1xx: possible, not valid
    assert "reg:v1:phone:yes" in [b.callback_data for b in reply.buttons]
    await harness.press(user, "reg:v1:phone:yes")
    draft = await _draft(harness, 2005)
    assert (
        draft is not None and draft.phone_e164 == "+355671234567" and draft.step == "municipality"
    )


async def test_someone_elses_contact_is_refused_and_audited(harness: BotHarness) -> None:
    user = harness.user(2006)
    await _at_phone(harness, user)
    await user.send_contact("+355692000111", user_id=4242)
    reply = await harness.answer(user)
    assert reply.text == said(
        "That is someone else's contact. Please share your own number with the button below, "
        "or type it."
    )
    async with harness.database.read() as session:
        events = (await session.scalars(select(AuditEvent.action))).all()
    assert "registration.foreign_contact" in events
    assert (await _draft(harness, 2006)).phone_e164 is None  # type: ignore[union-attr]


async def test_the_own_contact_is_stored_as_verified(harness: BotHarness) -> None:
    user = harness.user(2007)
    await _at_phone(harness, user)
    await user.send_contact("355692000222")  # Telegram sends it without the +
    await harness.answer(user)
    draft = await _draft(harness, 2007)
    assert draft is not None and draft.phone_e164 == "+355692000222" and draft.phone_verified


async def _at_municipality(harness: BotHarness, user: EmulatedUser, phone: str) -> None:
    await _at_phone(harness, user)
    await harness.say(user, phone)


async def test_a_typo_is_offered_back_for_confirmation(harness: BotHarness) -> None:
    user = harness.user(2008)
    await _at_municipality(harness, user, "069 200 0008")
    reply = await harness.say(user, "Tirna")
    muni_buttons = [b for b in reply.buttons if (b.callback_data or "").startswith("reg:v1:muni:")]
    assert len(muni_buttons) == 1
    summary = await harness.press(user, muni_buttons[0].callback_data or "")
    assert "Tiranë" in (summary.text or "")


async def test_an_old_district_offers_its_municipalities(harness: BotHarness) -> None:
    user = harness.user(2009)
    await _at_municipality(harness, user, "069 200 0009")
    reply = await harness.say(user, "rrethi i Lushnjës")
    labels = " ".join(b.text for b in reply.buttons)
    assert "Lushnjë" in labels and "Divjakë" in labels


async def test_nonsense_offers_the_county_picker(harness: BotHarness) -> None:
    user = harness.user(2010)
    await _at_municipality(harness, user, "069 200 0010")
    reply = await harness.say(user, "xyzzy")
    assert [b.callback_data for b in reply.buttons] == ["reg:v1:counties"]
    counties = await harness.press(user, "reg:v1:counties")
    assert len(counties.buttons) == 12
    korce_county = next(b for b in counties.buttons if b.text == "Korçë")
    municipalities = await harness.press(user, korce_county.callback_data or "")
    korce = next(b for b in municipalities.buttons if b.text == "Korçë")
    summary = await harness.press(user, korce.callback_data or "")
    assert "Korçë" in (summary.text or "")
    assert (await _draft(harness, 2010)).step == "summary"  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "location"])
async def test_off_step_messages_get_a_friendly_re_ask(harness: BotHarness, kind: str) -> None:
    user = harness.user(2011)
    await _at_name(harness, user)
    await harness.say(user, "Arben Hoxha")
    sender = {
        "sticker": user.send_sticker,
        "photo": user.send_photo,
        "voice": user.send_voice,
        "location": lambda: user.send_location(41.3, 19.8),
    }[kind]
    await sender()
    replies = await user.receive_all(idle=0.3)
    assert len(replies) == 2  # the kind note and the question again
    assert (await _draft(harness, 2011)).full_name == "Arben Hoxha"  # type: ignore[union-attr]


async def test_forged_registration_buttons_change_nothing(harness: BotHarness) -> None:
    user = harness.user(2012)
    await _at_name(harness, user)
    last = user.last
    assert last is not None
    for data in [
        "reg:v1:confirm",
        "reg:v1:muni:9999",
        "reg:v9:confirm",
        "garbage",
        "reg:v1:field:x",
    ]:
        await user.press_callback(last.message_id, data)
        await user.receive_all(idle=0.2)
    draft = await _draft(harness, 2012)
    assert draft is not None and draft.step == "name"
    async with harness.database.read() as session:
        assert await session.scalar(select(Member).where(Member.telegram_id == 2012)) is None


async def test_lista_opens_the_picker_only_at_the_municipality_step(harness: BotHarness) -> None:
    user = harness.user(2013)
    early = await harness.say(user, "/lista")
    assert early.text == said(
        "The list of municipalities is offered when you register: send /start."
    )
    await _at_municipality(harness, user, "069 200 0013")
    picker = await harness.say(user, "/lista")
    assert len(picker.buttons) == 12 and all(
        (b.callback_data or "").startswith("reg:v1:county:") for b in picker.buttons
    )


async def test_no_to_a_possible_number_asks_the_phone_again(harness: BotHarness) -> None:
    user = harness.user(2014)
    await _at_phone(harness, user)
    await harness.say(user, "067 123 4567")
    await harness.press(user, "reg:v1:phone:no")
    draft = await _draft(harness, 2014)
    assert draft is not None and draft.step == "phone" and draft.phone_e164 is None
    assert draft.pending is None


async def test_summary_back_and_cancel(harness: BotHarness) -> None:
    user = harness.user(2015)
    await _at_municipality(harness, user, "069 200 0015")
    summary = await harness.say(user, "Fier")
    await harness.press(user, "reg:v1:edit")
    back = await harness.press(user, "reg:v1:back")
    assert back.message_id == summary.message_id and "Fier" in (back.text or "")
    cancelled = await harness.press(user, "reg:v1:cancel")
    assert cancelled.message_id == summary.message_id and not cancelled.buttons
    assert await _draft(harness, 2015) is None
