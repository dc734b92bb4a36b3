"""Small things a newcomer trips over, through the emulator: who received the application,
commands named in the reader's language, aliases, groups, dates and names as written."""

from __future__ import annotations

from typing import Any

from handlers.commands import COMMANDS, menu
from tests.harness import BotHarness, said
from tests.test_chair_flow import apply, card, make_officer, wait_for

HELP = (
    "I keep the membership register. What you can do here:\n\n"
    "/start — join the register, or carry on where you left off\n"
    "/status — see where your application stands\n"
    "/list — pick your municipality from a list while registering\n"
    "/cancel — cancel what is in progress\n"
    "/language — Shqip / English\n"
    "/help — this help"
)
# The member's commands as each language's menu shows them (handlers/commands.py).
ENGLISH_NAMES = ("/status", "/list", "/cancel", "/language", "/help")
ALBANIAN_NAMES = ("/statusi", "/lista", "/anulo", "/gjuha", "/ndihme")
SUBMITTED_TAIL = (
    "We will let you know here as soon as it is decided. You can check where it stands at "
    "any time with /status."
)


async def _group_reply(harness: BotHarness, chat_id: int, sends_before: int) -> dict[str, Any]:
    await harness.emu.wait_for_call("sendMessage", count=sends_before + 1)
    sent = [
        p
        for m, p in harness.emu.calls
        if m == "sendMessage" and str(p.get("chat_id")) == str(chat_id)
    ]
    assert sent
    return sent[-1]


async def test_officer_commands_in_a_group_point_to_the_private_chat(harness: BotHarness) -> None:
    chair = await make_officer(harness, 5001, "Besa Kola")
    await chair.receive_all(0.2)
    for command in ("/ne_pritje", "/ftese@regjistri_test_bot"):
        before = harness.emu.count("sendMessage")
        await chair.send_in_group(-100700, command)
        reply = await _group_reply(harness, -100700, before)
        assert reply["text"] == said(
            "I answer that in our private chat, so that applicants' details stay out of the group."
        )
        assert "https://t.me/regjistri_test_bot" in str(reply["reply_markup"])
        assert "start=register" not in str(reply["reply_markup"])
    # Someone without a role gets the registration's pointer for the same command.
    member = harness.user(1001)
    before = harness.emu.count("sendMessage")
    await member.send_in_group(-100700, "/ne_pritje")
    reply = await _group_reply(harness, -100700, before)
    assert reply["text"] == said(
        "Registration happens in a private chat with me, so your details stay private."
    )
    assert "start=register" in str(reply["reply_markup"])


async def test_aliases_answer_and_stay_out_of_the_menu(harness: BotHarness) -> None:
    user = harness.user(1002)
    help_text = await harness.say(user, "/ndihma")
    assert help_text.text == said(HELP)
    nothing = await harness.say(user, "/anullo")
    assert nothing.text == said("There is nothing to cancel. Send /start to register.")
    status = await harness.say(user, "/gjendja")
    assert status.text == said("You are not in the register yet. Send /start to register.")
    chair = await make_officer(harness, 5001, "Besa Kola")
    listing = await harness.say(chair, "/pritje")
    assert listing.text == said("Nothing is waiting for a decision. Well done!")
    names = {c.command for language in ("sq", "en") for c in menu(language, {"chair", "admin"})}
    assert not names & {"ndihma", "anullo", "gjendja", "pritje"}
    assert {c.sq for c in COMMANDS if c.in_menu} <= names


async def test_english_texts_name_the_english_commands(harness: BotHarness) -> None:
    user = harness.user(1003)
    await harness.say(user, "/start")
    await harness.press(user, "lang:v1:set:en")
    english = await harness.say(user, "/help")
    assert english.text == said(HELP, "en")
    albanian = await harness.say(harness.user(1004), "/ndihme")
    for text, shown, hidden in (
        (english.text, ENGLISH_NAMES, ALBANIAN_NAMES),
        (albanian.text, ALBANIAN_NAMES, ENGLISH_NAMES),
    ):
        words = set((text or "").split())
        assert set(shown) <= words and not set(hidden) & words


async def test_the_member_is_told_who_received_the_application(harness: BotHarness) -> None:
    await make_officer(harness, 5001, "Besa Kola")
    coordinator = await make_officer(harness, 6001, "Ilir Dervishi", kind="coordinator")
    _, korce = await apply(harness, 1001)
    member = harness.user(1001)
    assert member.messages[-1].text == said(
        "Thank you! Your application has been sent to the branch chair in {municipality}, "
        "who will review it. " + SUBMITTED_TAIL,
        municipality="Korçë",
    )
    # Pustec (Korçë county) has no chair: its card goes to the county coordinator.
    other, pustec = await apply(harness, 1002, municipality="Pustec")
    await card(coordinator, pustec)
    assert other.messages[-1].text == said(
        "Thank you! Your application has been sent to the party's coordinator for {county} "
        "county, who will review it. " + SUBMITTED_TAIL,
        county="Korçë",
    )
    assert korce != pustec


async def test_nothing_to_cancel_for_a_member(harness: BotHarness) -> None:
    member, _ = await apply(harness, 1001)
    reply = await harness.say(member, "/anulo")
    assert reply.text == said(
        "There is nothing in progress to cancel. To withdraw an application send "
        "/statusi; to delete your data, /fshij."
    )


async def test_a_month_first_date_is_asked_day_first(harness: BotHarness) -> None:
    user = harness.user(1005)
    await harness.say(user, "/start")
    await harness.press_toast(user, "✅ Po, jam dakord")
    await harness.say(user, "arben HOXHA")
    reply = await harness.say(user, "3/15/1980")
    assert reply.text == said(
        "Please write the day first, then the month and the year, for example: 15.3.1980 "
        "for 15 March 1980."
    )
    await harness.say(user, "15.3.1980")
    await harness.say(user, "069 212 3999")
    summary = await harness.say(user, "korce")
    # The name typed in mixed case is tidied; the date in Albanian with its long month.
    assert summary.text and "Arben Hoxha" in summary.text and "15 mars 1980" in summary.text


async def test_moments_use_the_long_month_and_tirana_time(harness: BotHarness) -> None:
    chair = await make_officer(harness, 5001, "Besa Kola")
    _, member_id = await apply(harness, 1001)
    copy = await card(chair, member_id)
    # The harness clock: 2 Nov 2026, 09:00 UTC, which is 10:00 in Tirana.
    assert "2 nëntor 2026, ora 10:00" in (copy.text or "")
    english = await make_officer(harness, 5002, "Dritan Leka")
    await harness.say(english, "/gjuha")
    await harness.press(english, "lang:v1:set:en")
    listing = await harness.say(english, "/pending")
    assert "November 2, 2026, 10:00" in (listing.text or "")
    await wait_for(chair, lambda m: m is copy)
