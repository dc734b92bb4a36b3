"""The Bot API emulator, driven by a real python-telegram-bot Bot/Application.

Every other offline test trusts the emulator to behave like Telegram, so these tests check it
through PTB itself: if PTB parses our JSON and raises the right exceptions, the bot under test
sees what it would see in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import io
import time
import warnings
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from emulator import BotApiEmulator, scope_key
from emulator.terminal import PHONE_PROMPT, run_terminal_chat

# PTB 22 warns about RetryAfter.retry_after changing type; that is PTB's business, not ours.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

TOKEN = "123456:TEST-TOKEN"
CONSENT = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Po, pajtohem", callback_data="consent:yes")],
        [InlineKeyboardButton("Jo", callback_data="consent:no")],
    ]
)
SHARE = ReplyKeyboardMarkup(
    [[KeyboardButton("Ndaj numrin", request_contact=True)]], one_time_keyboard=True
)


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as client:
        yield client


def retry_seconds(error: RetryAfter) -> float:
    """PTB 22 warns while moving retry_after from int to timedelta; accept both."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def build_app(emu: BotApiEmulator, seen: list[str] | None = None) -> Application:
    """A tiny bot: /start offers a contact button, text gets an inline keyboard, presses edit."""
    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .build()
    )
    record = seen if seen is not None else []

    async def start(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        record.append(update.message.text or "")
        await update.message.reply_text("Mirë se erdhët!", reply_markup=SHARE)

    async def contact(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.contact is not None
        shared = update.message.contact
        own = update.effective_user is not None and shared.user_id == update.effective_user.id
        await update.message.reply_text(
            f"contact {shared.phone_number} from {shared.user_id} own={own}",
            reply_markup=ReplyKeyboardRemove(),
        )

    async def text(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        record.append(update.message.text)
        await update.message.reply_html(
            f"<b>Echo:</b> {html.escape(update.message.text)}", reply_markup=CONSENT
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        record.append(f"press {query.data}")
        await query.answer(f"got {query.data}")
        try:  # explicit ids, so a forged press on an unknown message reaches the server
            await context.bot.edit_message_text(
                f"Zgjodhët: {query.data}",
                chat_id=query.message.chat.id,
                message_id=query.message.message_id,
            )
        except BadRequest as exc:
            record.append(f"error {exc.message.lower()}")

    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.CONTACT, contact))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, text))
    app.add_handler(CallbackQueryHandler(pressed))
    return app


@contextlib.asynccontextmanager
async def running(app: Application) -> AsyncIterator[Application]:
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=5)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def test_get_me_wrong_token_and_unknown_method(emu: BotApiEmulator, bot: Bot) -> None:
    assert bot.username == "regjistri_bot"
    assert bot.id == 5000000001
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")
    with pytest.raises(InvalidToken):
        await Bot("999:WRONG", base_url=emu.base_url).get_me()

    async with aiohttp.ClientSession() as http:
        async with http.post(f"{emu.base_url}{TOKEN}/noSuchMethod") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        async with http.get(f"{emu.base_url}999:WRONG/getMe") as response:
            assert response.status == 401
        emu.user(1001)
        body = {"chat_id": 1001, "text": "json", "reply_markup": CONSENT.to_dict()}
        async with http.post(f"{emu.base_url}{TOKEN}/sendMessage", json=body) as response:
            result = (await response.json())["result"]
    assert result["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "consent:yes"
    assert emu.user(1001).last is not None
    assert emu.user(1001).last.button_labels == ["Po, pajtohem", "Jo"]


async def test_conversation_with_inline_keyboard_and_edits(emu: BotApiEmulator) -> None:
    seen: list[str] = []
    alice = emu.user(1001, first_name="Alba", last_name="Hoxha", language_code="sq")
    assert emu.user(1001) is alice
    async with running(build_app(emu, seen)):
        await alice.send("Tungjatjeta <3")
        message = await alice.receive()
        assert message.text == "Echo: Tungjatjeta <3"
        assert message.source_text == "<b>Echo:</b> Tungjatjeta &lt;3"
        assert message.parse_mode == "HTML"
        assert message.raw["entities"] == [{"type": "bold", "offset": 0, "length": 5}]
        assert message.button_labels == ["Po, pajtohem", "Jo"]

        await alice.press("Po, pajtohem")
        await alice.wait_edit(message)
        assert message.text == "Zgjodhët: consent:yes"
        assert message.edits == 1
        assert message.inline_keyboard == []  # an edit without reply_markup drops the keyboard
        assert alice.callback_answers[0] == {
            "callback_query_id": alice.callback_answers[0]["callback_query_id"],
            "text": "got consent:yes",
            "show_alert": False,
            "url": None,
        }

        with pytest.raises(LookupError, match="no inline keyboards"):
            await alice.press("Jo")

        await alice.press_callback(999, "forged")
        await emu.wait_for_call("editMessageText", count=2)
        await asyncio.sleep(0.05)
        assert await alice.receive_all(idle=0.05) == []
    assert seen[:2] == ["Tungjatjeta <3", "press consent:yes"]
    assert seen[2:] == ["press forged", "error message to edit not found"]
    assert emu.count("answerCallbackQuery") == 2


async def test_reply_keyboard_contact_and_forged_contact(emu: BotApiEmulator) -> None:
    alice = emu.user(1001, first_name="Alba", phone_number="+355692123456")
    async with running(build_app(emu)):
        await alice.send("/start")
        welcome = await alice.receive()
        assert welcome.text == "Mirë se erdhët!"
        assert alice.reply_keyboard is not None
        assert alice.reply_keyboard[0][0].request_contact
        assert welcome.button_labels == ["Ndaj numrin"]

        await alice.press("Ndaj numrin")
        assert alice.reply_keyboard is None  # one_time_keyboard hides it after the press
        reply = await alice.receive()
        assert reply.text == "contact +355692123456 from 1001 own=True"
        assert reply.reply_markup == {"remove_keyboard": True}

        await alice.send_contact("+355692000000", user_id=999)
        assert (await alice.receive()).text == "contact +355692000000 from 999 own=False"
    start = emu.calls_of("sendMessage")[0]
    assert start["chat_id"] == 1001 and start["reply_markup"]["one_time_keyboard"] is True


async def test_faults_surface_as_ptb_errors(emu: BotApiEmulator, bot: Bot) -> None:
    emu.user(1001)
    emu.user(1002)
    emu.faults.add(status=429, retry_after=2, method="sendMessage")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1001, "a")
    assert retry_seconds(caught.value) == 2

    emu.faults.add(status=403, method=None, chat_id=1001, times=1)
    await bot.send_message(1002, "other chat is not hit")
    with pytest.raises(Forbidden, match=r"(?i)blocked"):
        await bot.send_message(1001, "b")

    emu.faults.add(status=502, times=3)
    for _ in range(3):
        with pytest.raises(NetworkError) as failure:
            await bot.send_message(1001, "c")
        assert not isinstance(failure.value, BadRequest)
    await bot.send_message(1001, "d")

    emu.faults.add(latency=0.2, times=1)
    started = time.monotonic()
    await bot.send_message(1001, "slow")
    assert time.monotonic() - started >= 0.2
    assert len(emu.faults) == 0

    emu.user(1001).block()
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(1001, "e")
    emu.user(1001).unblock()
    await bot.send_message(1001, "f")
    updates = await bot.get_updates()
    assert [u.my_chat_member.new_chat_member.status for u in updates] == ["kicked", "member"]

    emu.faults.add(status=500, method="getMe")
    with pytest.raises(NetworkError):
        await bot.get_me()
    assert emu.stats == {"429": 1, "403": 2, "5xx": 4, "sent": 4}


async def test_flood_control(emu: BotApiEmulator, bot: Bot) -> None:
    for user_id in range(1, 32):
        emu.user(user_id)
    emu.flood_control(global_per_second=30, per_chat_per_second=1)
    await asyncio.gather(*(bot.send_message(user_id, "hi") for user_id in range(1, 31)))
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(31, "one too many")
    assert retry_seconds(caught.value) >= 1

    emu.flood_control(global_per_second=1000, per_chat_per_second=1, per_chat_burst=1)
    await bot.send_message(31, "first")
    with pytest.raises(RetryAfter):
        await bot.send_message(31, "second within a second")
    # Telegram lets a chat have a short burst, then about one a second.
    emu.flood_control(global_per_second=1000, per_chat_per_second=1, per_chat_burst=3)
    for n in range(3):
        await bot.send_message(31, f"burst {n}")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(31, "a fourth within a second")
    assert retry_seconds(caught.value) == 1
    emu.flood_control(None)
    await bot.send_message(31, "unlimited again")
    await bot.send_message(31, "and again")
    assert emu.stats["429"] == 3
    assert emu.stats["sent"] == 36


async def test_commands_per_scope_and_language(emu: BotApiEmulator, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Fillo")], language_code="sq")
    private = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands([BotCommand("start", "Start")], scope=private, language_code="en")
    assert emu.commands[("default", "sq")] == [{"command": "start", "description": "Fillo"}]
    assert scope_key(private) == '{"type":"all_private_chats"}'
    assert emu.commands[(scope_key(private), "en")][0]["description"] == "Start"
    assert emu.calls_of("setMyCommands")[1]["language_code"] == "en"

    fetched = await bot.get_my_commands(language_code="sq")
    assert [(c.command, c.description) for c in fetched] == [("start", "Fillo")]
    assert await bot.get_my_commands() == ()
    await bot.delete_my_commands(language_code="sq")
    assert ("default", "sq") not in emu.commands
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start!", "x")])
    assert await bot.set_chat_menu_button()


async def test_second_application_continues_from_offset(emu: BotApiEmulator) -> None:
    seen: list[str] = []
    alice = emu.user(1001)
    async with running(build_app(emu, seen)):
        await alice.send("one")
        await alice.receive()
    await alice.send("two")  # arrives while no bot is polling
    async with running(build_app(emu, seen)):
        assert (await alice.receive()).text == "Echo: two"
        await alice.send("three")
        assert (await alice.receive()).text == "Echo: three"
    assert seen == ["one", "two", "three"]
    assert emu.pending_updates == []


async def test_long_polling_and_offsets(emu: BotApiEmulator, bot: Bot) -> None:
    alice = emu.user(1001)
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()
    await alice.send("/start payload")
    updates = await poll
    assert time.monotonic() - started < 1
    first = updates[0]
    assert first.message is not None and first.message.text == "/start payload"
    assert first.message.entities[0].type == "bot_command"
    assert first.message.entities[0].length == len("/start")

    await alice.send("later")
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [first.update_id, first.update_id + 1]
    assert await bot.get_updates(offset=first.update_id + 2, timeout=0) == ()
    assert emu.pending_updates == []


async def test_formatting_and_edit_errors(emu: BotApiEmulator, bot: Bot) -> None:
    alice = emu.user(1001)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(1001, "<b>unclosed", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)Unsupported start tag"):
        await bot.send_message(1001, "Emri: <Alba>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)reserved"):
        await bot.send_message(1001, "Faleminderit.", parse_mode="MarkdownV2")
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.send_message(1001, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
        await bot.send_message(1001, "x", reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(4242, "nobody")

    sent = await bot.send_message(1001, "👍 <i>mirë</i> *x*", parse_mode="HTML")
    assert sent.text == "👍 mirë *x*"
    assert sent.entities[0].offset == 3  # UTF-16: the emoji counts twice
    markdown = await bot.send_message(1001, "*Emri* \\- Alba\\.", parse_mode="MarkdownV2")
    assert markdown.text == "Emri - Alba." and markdown.entities[0].type == "bold"

    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("👍 <i>mirë</i> *x*", 1001, sent.message_id, parse_mode="HTML")
    await bot.edit_message_text("ndryshuar", chat_id=1001, message_id=sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)Message to edit not found"):
        await bot.edit_message_text("?", chat_id=1001, message_id=9999)
    await bot.edit_message_reply_markup(1001, sent.message_id, reply_markup=CONSENT)
    edited = alice.messages[0]
    assert (edited.text, edited.edits, edited.button_labels) == (
        "ndryshuar",
        2,
        ["Po, pajtohem", "Jo"],
    )
    assert edited.history == ["👍 mirë *x*", "ndryshuar"]


async def test_media_copy_files_groups_and_user_updates(emu: BotApiEmulator, bot: Bot) -> None:
    alice, chair = emu.user(1001, first_name="Alba"), emu.user(2002, first_name="Drita")
    photo = await alice.send_photo(caption="Karta e identitetit")
    await alice.send_sticker()
    await alice.send_voice()
    await alice.send_location(41.3, 19.8)
    await alice.send_document()
    await alice.send_in_group(-100123, "/start@regjistri_bot")
    updates = await bot.get_updates()
    messages = [u.message for u in updates]
    assert all(m is not None for m in messages)
    assert messages[0].photo[-1].width == 1280 and messages[0].caption == "Karta e identitetit"
    assert messages[1].sticker.type == "regular"
    assert messages[2].voice.duration == 2
    assert messages[3].location.latitude == pytest.approx(41.3)
    assert messages[4].document.file_name == "dokument.pdf"
    assert messages[5].chat.type == "supergroup" and messages[5].text.startswith("/start")

    copied = await bot.copy_message(2002, from_chat_id=1001, message_id=photo["message_id"])
    received = await chair.receive()
    assert (received.kind, received.text, received.message_id) == (
        "copy",
        "Karta e identitetit",
        copied.message_id,
    )

    document = await bot.send_document(1001, document=b"emri,telefoni\n", filename="lista.csv")
    assert alice.last is not None and alice.last.kind == "document"
    file = await bot.get_file(document.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"emri,telefoni\n"
    await bot.send_photo(1001, photo=messages[0].photo[-1].file_id, caption="kopje")
    assert alice.last.kind == "photo" and alice.last.text == "kopje"

    assert await bot.delete_message(1001, document.message_id)
    assert alice.messages[0].deleted
    with pytest.raises(BadRequest, match=r"(?i)not found"):
        await bot.delete_message(1001, document.message_id)

    await bot.send_message(-100123, "Përshëndetje grupit")
    assert [m.text for m in emu.messages(-100123)] == ["Përshëndetje grupit"]
    info = await bot.get_chat(1001)
    assert info.first_name == "Alba" and info.type == "private"
    assert await bot.send_chat_action(1001, "typing")


async def test_waits_fail_with_context(emu: BotApiEmulator) -> None:
    alice = emu.user(1001, first_name="Alba")
    with pytest.raises(AssertionError, match="no new message from the bot"):
        await alice.receive(timeout=0.05)
    with pytest.raises(LookupError, match="no reply keyboard"):
        await alice.press("Po")
    assert await alice.receive_all(idle=0.05) == []


async def test_terminal_chat_presses_by_number(emu: BotApiEmulator) -> None:
    alice = emu.user(1001, first_name="Alba")
    script = ["/start", "1", "+355691111111", "hello", "2", ":user 2002 Drita", ":quit"]
    prompts: list[str] = []

    def scripted(prompt: str) -> str:
        prompts.append(prompt)
        if not script:
            raise EOFError
        return script.pop(0)

    output = io.StringIO()
    async with running(build_app(emu)):
        await run_terminal_chat(emu, alice, input_fn=scripted, output=output, idle=0.1)
    shown = output.getvalue()
    assert "[1] Ndaj numrin (share my contact)" in shown
    assert "bot> contact +355691111111 from 1001 own=True" in shown
    assert "[1] Po, pajtohem" in shown and "[2] Jo" in shown
    assert "bot (edited)> Zgjodhët: consent:no" in shown
    assert "bot (notice)> got consent:no" in shown
    assert "(now playing user 2002: Drita)" in shown
    assert PHONE_PROMPT in prompts
    assert emu.calls_of("answerCallbackQuery")[0]["text"] == "got consent:no"
