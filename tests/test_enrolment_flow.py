"""Enrolment links and consent, end to end through the emulator.

A link `t.me/<bot>?start=korce` opens the registration with Korçë chosen; «✅ Yes, I agree»
is answered with a toast (the welcome already asked for the name); a typed yes or no works
too.
"""

from __future__ import annotations

from sqlalchemy import select

from emulator import EmulatedUser
from storage.models import Account, Consent, Member, Municipality, RegistrationDraft
from tests.harness import BotHarness, said

MUNICIPALITY_Q = "Which municipality do you live in? Type its name, for example: Korçë."
NAME_TOAST = "Thank you! Now write your first name and surname, for example: Arben Hoxha."
PRESET = (
    "The link you opened registers you with the branch in {municipality}. You can change the "
    "municipality before you send your application."
)
MESSAGES = ("sendMessage", "editMessageText", "copyMessage", "sendPhoto")


async def _entry(harness: BotHarness, user_id: int) -> Member | None:
    async with harness.database.read() as session:
        return await session.scalar(select(Member).where(Member.telegram_id == user_id))


async def _id_of(harness: BotHarness, name: str) -> int:
    async with harness.database.read() as session:
        found = await session.scalar(select(Municipality.id).where(Municipality.name == name))
    assert found is not None
    return found


async def _draft(harness: BotHarness, user_id: int) -> RegistrationDraft | None:
    async with harness.database.read() as session:
        return await session.get(RegistrationDraft, user_id)


def _asked_municipality(user: EmulatedUser) -> bool:
    question = said(MUNICIPALITY_Q)
    return any(question in (m.text or "") for m in user.messages)


def _messages_to(harness: BotHarness, user: EmulatedUser) -> int:
    return sum(
        1 for method, p in harness.emu.calls if method in MESSAGES and p.get("chat_id") == user.id
    )


async def test_the_korce_link_skips_the_municipality_question(harness: BotHarness) -> None:
    member = harness.user(5001, "Arta")
    welcome = await harness.say(member, "/start korce")
    assert (welcome.text or "").startswith(said(PRESET, municipality="Korçë"))
    await harness.press_toast(member, "✅ Po, jam dakord")
    await harness.say(member, "Arben Hoxha")
    await harness.say(member, "5.3.1980")
    summary = await harness.say(member, "069 212 5001")
    assert "Korçë" in (summary.text or "")
    assert "reg:v1:edit" in [b.callback_data for b in summary.buttons]  # changeable, as ever
    await harness.press(member, "reg:v1:confirm")
    entry = await _entry(harness, 5001)
    assert entry is not None and entry.status == "pending"
    assert await _id_of(harness, "Korçë") == entry.municipality_id
    assert not _asked_municipality(member)
    # Five messages from the link to the application (the consent press costs none).
    assert _messages_to(harness, member) == 5


async def test_an_unknown_code_is_a_normal_registration(harness: BotHarness) -> None:
    member = harness.user(5002)
    welcome = await harness.say(member, "/start nowhere-at-all")
    plain = await harness.say(harness.user(5099), "/start")
    assert welcome.text == plain.text and welcome.buttons == plain.buttons
    await harness.press_toast(member, "✅ Po, jam dakord")
    await harness.say(member, "Arben Hoxha")
    await harness.say(member, "5.3.1980")
    asked = await harness.say(member, "069 212 5002")
    assert said(MUNICIPALITY_Q) in (asked.text or "")
    await harness.say(member, "Vlorë")
    await harness.press(member, "reg:v1:confirm")
    entry = await _entry(harness, 5002)
    assert entry is not None and entry.municipality_id == await _id_of(harness, "Vlorë")


async def test_restarts_between_the_link_and_the_name_keep_the_municipality(
    harness: BotHarness,
) -> None:
    member = harness.user(5003)
    await harness.say(member, "/start korce")
    await harness.restart()  # before the press: the button carries the municipality
    await harness.press_toast(member, "✅ Po, jam dakord")
    draft = await _draft(harness, 5003)
    assert draft is not None and draft.municipality_id == await _id_of(harness, "Korçë")
    await harness.restart()  # after it: the draft in the database has it
    await harness.say(member, "Arben Hoxha")
    await harness.say(member, "5.3.1980")
    summary = await harness.say(member, "069 212 5003")
    assert "Korçë" in (summary.text or "")
    await harness.press(member, "reg:v1:confirm")
    entry = await _entry(harness, 5003)
    assert entry is not None and entry.municipality_id == await _id_of(harness, "Korçë")
    assert not _asked_municipality(member)


async def test_a_link_fills_a_draft_waiting_for_its_municipality(harness: BotHarness) -> None:
    member = harness.user(5004)
    await harness.say(member, "/start")
    await harness.press_toast(member, "✅ Po, jam dakord")
    await harness.say(member, "Arben Hoxha")
    await harness.say(member, "5.3.1980")
    asked = await harness.say(member, "069 212 5004")
    assert said(MUNICIPALITY_Q) in (asked.text or "")
    summary = await harness.say(member, "/start vlore")
    assert "Vlorë" in (summary.text or "") and "reg:v1:confirm" in [
        b.callback_data for b in summary.buttons
    ]
    # A draft that has its municipality keeps it: the link resumes, as /start does.
    again = await harness.say(member, "/start korce")
    assert "Vlorë" in (again.text or "") and "Korçë" not in (again.text or "")


async def test_a_pending_member_who_opens_a_link_is_told_where_they_stand(
    harness: BotHarness,
) -> None:
    member = harness.user(5005)
    await harness.register(member, phone="069 212 5005")
    status = await harness.say(member, "/start vlore")
    # The status, with its one button (withdraw), not the consent buttons of a new start.
    assert "Korçë" in (status.text or "")
    assert [b.callback_data for b in status.buttons] == ["me:v1:withdraw"]
    entry = await _entry(harness, 5005)
    assert entry is not None and entry.municipality_id == await _id_of(harness, "Korçë")


async def test_english_on_the_link_keeps_the_municipality(harness: BotHarness) -> None:
    member = harness.user(5006)
    await harness.say(member, "/start korce")
    welcome = await harness.press(member, "🇬🇧 English")
    assert (welcome.text or "").startswith(said(PRESET, "en", municipality="Korçë"))
    toast = await harness.press_toast(member, "✅ Yes, I agree")
    assert toast == said(NAME_TOAST, "en")
    draft = await _draft(harness, 5006)
    assert draft is not None and draft.municipality_id == await _id_of(harness, "Korçë")


async def test_a_name_typed_right_after_the_press_is_the_name(harness: BotHarness) -> None:
    member = harness.user(5007)
    await harness.say(member, "/start")
    await member.press("✅ Po, jam dakord")
    await member.send("Arben Hoxha")  # without waiting for the toast
    asked = await harness.answer(member)
    assert asked.text == said(
        "Thank you, {name}. When were you born? For example: 5.3.1980.", name="Arben Hoxha"
    )


async def test_pressing_again_is_harmless_and_no_after_agreeing_cancels(
    harness: BotHarness,
) -> None:
    member = harness.user(5008)
    await harness.say(member, "/start")
    assert await harness.press_toast(member, "✅ Po, jam dakord") == said(NAME_TOAST)
    assert await harness.press_toast(member, "✅ Po, jam dakord") == said(NAME_TOAST)
    await harness.say(member, "Arben Hoxha")
    again = await harness.press_toast(member, "✅ Po, jam dakord")
    assert again == said("You have already agreed. Please answer the last question above.")
    draft = await _draft(harness, 5008)
    assert draft is not None and draft.full_name == "Arben Hoxha"
    cancelled = await harness.press(member, "Jo, faleminderit")
    assert cancelled.text == said(
        "Registration cancelled. Nothing you entered has been kept. "
        "Send /start whenever you want to begin again."
    )
    assert await _draft(harness, 5008) is None
    async with harness.database.read() as session:
        assert await session.scalar(select(Consent).where(Consent.telegram_id == 5008)) is None


async def test_a_typed_po_is_consent(harness: BotHarness) -> None:
    member = harness.user(5009)
    await harness.say(member, "/start")
    asked = await harness.say(member, "po")
    assert asked.text == said(NAME_TOAST)
    asked_birth = await harness.say(member, "Arben Hoxha")
    assert "Arben Hoxha" in (asked_birth.text or "")
    async with harness.database.read() as session:
        assert await session.scalar(select(Consent).where(Consent.telegram_id == 5009))


async def test_a_typed_no_stores_nothing_and_anything_else_shows_the_buttons(
    harness: BotHarness,
) -> None:
    member = harness.user(5010)
    await harness.say(member, "/start")
    name_too_early = await harness.say(member, "Arben Hoxha")
    assert (name_too_early.text or "").startswith(
        said("Please tap one of the buttons below: «✅ Yes, I agree» or «No, thank you».")
    )
    assert "reg:v1:consent:yes" in [b.callback_data for b in name_too_early.buttons]
    refused = await harness.say(member, "Jo")
    assert refused.text == said(
        "That is fine: nothing has been stored. If you change your mind, send /start."
    )
    assert await _draft(harness, 5010) is None
    async with harness.database.read() as session:
        assert await session.get(Account, 5010) is None
        assert await session.scalar(select(Consent).where(Consent.telegram_id == 5010)) is None


async def test_forged_consent_data_changes_nothing(harness: BotHarness) -> None:
    member = harness.user(5011)
    welcome = await harness.say(member, "/start")
    await harness.press_toast(member, "✅ Po, jam dakord")
    await harness.say(member, "Arben Hoxha")
    signal = harness.emu.chat_signal(member.id)
    for forged in ("reg:v1:consent", "reg:v1:consent:maybe"):
        seen = len(member.callback_answers)
        await member.press_callback(welcome.message_id, forged)
        assert await signal.wait_until(lambda n=seen: len(member.callback_answers) > n, 5.0)
        assert member.callback_answers[seen]["text"] == said("That button is no longer active.")
    draft = await _draft(harness, 5011)
    assert draft is not None and draft.full_name == "Arben Hoxha"
