"""A member registers, end to end, through the emulator (python-telegram-bot's real HTTP stack)."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Account, Consent, Member, RegistrationDraft
from tests.harness import BotHarness, said


async def test_a_member_types_korce_and_is_pending_in_korce(harness: BotHarness) -> None:
    member = harness.user(1001, "Arta")
    welcome = await harness.say(member, "/start")
    assert "reg:v1:consent:yes" in [b.callback_data for b in welcome.buttons]

    toast = await harness.press_toast(member, "reg:v1:consent:yes")
    assert toast == said(
        "Thank you! Now write your first name and surname, for example: Arben Hoxha."
    )
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
    # Korçë has no chair here: the member is told the truth, that national staff have it.
    assert done.text == said(
        "Thank you! Your application has been sent to the party's national staff, who will "
        "review it. We will let you know here as soon as it is decided. You can check where "
        "it stands at any time with /status."
    )

    async with harness.database.read() as session:
        entry = await session.scalar(select(Member).where(Member.telegram_id == 1001))
        draft = await session.get(RegistrationDraft, 1001)
    assert entry is not None and entry.status == "pending"
    assert entry.full_name == "Arben Hoxha" and entry.phone_e164 == "+355692123456"
    assert draft is None


async def test_a_restart_mid_registration_loses_nothing(harness: BotHarness) -> None:
    member = harness.user(1002, "Blerina")
    await harness.say(member, "/start")
    await harness.press_toast(member, "reg:v1:consent:yes")
    await harness.say(member, "Blerina Shehu")
    await harness.say(member, "05/03/1980")

    await harness.restart()  # the whole bot stops; a new Runner starts on the same database

    back = await harness.say(member, "/start")
    assert back.reply_markup and back.reply_markup.get("keyboard")  # the phone question again
    await harness.say(member, "+355 69 212 0002")
    summary = await harness.say(member, "Durrës")
    assert "Blerina Shehu" in (summary.text or "") and "Durrës" in (summary.text or "")
    await harness.press(member, "reg:v1:confirm")
    async with harness.database.read() as session:
        entry = await session.scalar(select(Member).where(Member.telegram_id == 1002))
    assert entry is not None and entry.birth_date.isoformat() == "1980-03-05"


async def test_edit_re_asks_one_field_and_returns_to_the_summary(harness: BotHarness) -> None:
    member = harness.user(1003)
    await harness.say(member, "/start")
    await harness.press_toast(member, "reg:v1:consent:yes")
    await harness.say(member, "Arben Hoxha")
    await harness.say(member, "1980-03-05")
    await harness.say(member, "0692120003")
    await harness.say(member, "Shkodra")
    picker = await harness.press(member, "reg:v1:edit")
    assert "reg:v1:field:municipality" in [b.callback_data for b in picker.buttons]
    await harness.press(member, "reg:v1:field:birth_date")
    summary = await harness.say(member, "5 mars 1981")
    assert "1981" in (summary.text or "") and "Shkodër" in (summary.text or "")
    assert "reg:v1:confirm" in [b.callback_data for b in summary.buttons]


async def test_cancel_discards_the_draft_and_its_consent(harness: BotHarness) -> None:
    member = harness.user(1004)
    await harness.say(member, "/start")
    await harness.press_toast(member, "reg:v1:consent:yes")
    await harness.say(member, "Arben Hoxha")
    await harness.say(member, "/anulo")
    async with harness.database.read() as session:
        assert await session.get(RegistrationDraft, 1004) is None
        assert await session.scalar(select(Consent).where(Consent.telegram_id == 1004)) is None


async def test_declining_consent_stores_nothing(harness: BotHarness) -> None:
    member = harness.user(1005)
    await harness.say(member, "/start")
    await harness.press(member, "reg:v1:consent:no")
    async with harness.database.read() as session:
        assert await session.get(RegistrationDraft, 1005) is None
        assert await session.get(Account, 1005) is None


async def test_the_same_account_is_not_registered_twice(harness: BotHarness) -> None:
    member = harness.user(1006)
    await harness.register(member, phone="069 212 0006")
    again = await harness.say(member, "/start")
    assert "reg:v1:consent:yes" not in [b.callback_data for b in again.buttons]
    async with harness.database.read() as session:
        count = len((await session.scalars(select(Member).where(Member.telegram_id == 1006))).all())
    assert count == 1


async def test_a_typed_number_of_someone_elses_entry_reveals_nothing(harness: BotHarness) -> None:
    # A stranger typing numbers one by one must not learn which are registered: a number
    # of the register and a fresh one get the same answer (design §8).
    await harness.register(harness.user(1007), phone="069 212 0007")
    answers = []
    for user_id, number in ((1008, "+355692120007"), (1018, "+355692120017")):
        other = harness.user(user_id)
        await harness.say(other, "/start")
        await harness.press_toast(other, "reg:v1:consent:yes")
        await harness.say(other, "Dritan Hoxha")
        await harness.say(other, "1.1.1990")
        reply = await harness.say(other, number)
        answers.append((reply.text or "").replace(number[-2:], "NN"))
    assert answers[0] == answers[1]
    assert "another Telegram account" not in answers[0]


async def test_status_tells_a_member_where_they_stand(harness: BotHarness) -> None:
    member = harness.user(1009)
    nothing = await harness.say(member, "/statusi")
    assert nothing.text == said("You are not in the register yet. Send /start to register.")
    await harness.register(member, phone="069 212 0009")
    pending = await harness.say(member, "/status")
    assert "Korçë" in (pending.text or "")


async def test_english_on_request_and_the_menus_per_language(harness: BotHarness) -> None:
    member = harness.user(1010)
    await harness.say(member, "/start")
    welcome_en = await harness.press(member, "lang:v1:set:en")
    assert "reg:v1:consent:yes" in [b.callback_data for b in welcome_en.buttons]
    await harness.press_toast(member, "reg:v1:consent:yes")
    asked = await harness.say(member, "Arben Hoxha")
    assert asked.text == said(
        "Thank you, {name}. When were you born? For example: 5.3.1980.", "en", name="Arben Hoxha"
    )
    await harness.say(member, "5 March 1980")
    await harness.say(member, "+355 69 212 0010")
    summary = await harness.say(member, "Vlora")
    assert "Vlorë" in (summary.text or "") and "March 5, 1980" in (summary.text or "")
    done = await harness.press(member, "reg:v1:confirm")
    assert done.text == said(
        "Thank you! Your application has been sent to the party's national staff, who will "
        "review it. We will let you know here as soon as it is decided. You can check where "
        "it stands at any time with /status.",
        "en",
        municipality="Vlorë",
    )
    async with harness.database.read() as session:
        entry = await session.scalar(select(Member).where(Member.telegram_id == 1010))
    assert entry is not None and entry.language == "en"
    menus = [p for m, p in harness.emu.calls if m == "setMyCommands"]
    assert {p.get("language_code") for p in menus} >= {None, "en"}
    chat_menu = [p for p in menus if "1010" in str(p.get("scope"))]
    assert chat_menu and "language" in str(chat_menu[-1]["commands"])


async def test_in_a_group_the_bot_points_to_a_private_chat(harness: BotHarness) -> None:
    member = harness.user(1011)
    await member.send_in_group(-100500, "/start")
    await harness.emu.wait_for_call("sendMessage")
    sent = [
        p for m, p in harness.emu.calls if m == "sendMessage" and str(p.get("chat_id")) == "-100500"
    ]
    assert sent and "t.me/regjistri_test_bot?start=" in str(sent[-1].get("reply_markup"))


async def test_help_shows_role_commands_only_to_role_holders(harness: BotHarness) -> None:
    member_help = await harness.say(harness.user(1012), "/ndihme")
    assert "/ne_pritje" not in (member_help.text or "")
    admin_help = await harness.say(harness.user(9001, "Admin"), "/help")
    assert "/ne_pritje" in (admin_help.text or "") and "/ftese" in (admin_help.text or "")


async def test_a_person_who_writes_again_is_reachable_again(harness: BotHarness) -> None:
    member = harness.user(1013)
    await harness.register(member, phone="069 212 0013")
    async with harness.database.write() as session:
        account = await session.get(Account, 1013)
        assert account is not None
        account.unreachable_at = harness.clock.now()  # as the outbox does on a 403
    await harness.say(member, "/statusi")
    await harness.say(member, "hello")  # a plain message goes through a write transaction
    async with harness.database.read() as session:
        account = await session.get(Account, 1013)
    assert account is not None and account.unreachable_at is None


async def test_replies_without_database_work_still_speak_the_chosen_language(
    harness: BotHarness,
) -> None:
    member = harness.user(1014)
    await harness.say(member, "/start")
    await harness.press(member, "lang:v1:set:en")
    reply = await harness.say(member, "/nosuchcommand")
    assert reply.text == said("I do not know that command. Send /help to see what I can do.", "en")


async def test_in_a_group_commands_for_other_bots_are_left_alone(harness: BotHarness) -> None:
    member = harness.user(1015)
    await member.send_in_group(-100501, "/start@some_other_bot")
    await member.send_in_group(-100501, "/start@regjistri_test_bot")
    await harness.emu.wait_for_call("sendMessage")
    await member.receive_all(idle=0.3)
    sent = [
        p for m, p in harness.emu.calls if m == "sendMessage" and str(p.get("chat_id")) == "-100501"
    ]
    assert len(sent) == 1
