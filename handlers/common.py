"""What every conversation shares: the reader's language, help, language choice, groups, errors."""

from __future__ import annotations

import contextlib
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ApplicationHandlerStop

from domain.callbacks import pack, parse
from domain.i18n import _, normalize_language, set_language
from handlers import registration
from handlers.commands import COMMANDS, set_chat_commands
from handlers.context import BotContext
from handlers.registration_replies import welcome
from handlers.replies import Reply, send_replies
from storage import audit
from storage.accounts import set_language as store_language
from storage.members import latest_member
from storage.roles import active_roles
from usecases.keyboards import inline

log = logging.getLogger(__name__)
LANGUAGE_NAMES = {"sq": "🇦🇱 Shqip", "en": "🇬🇧 English"}
# Commands whose answers are for officers only (they hold applicants' data): in a group they
# get a pointer to the private chat rather than the registration's. Every name, aliases too.
OFFICER_COMMANDS = frozenset(name for c in COMMANDS if c.roles is not None for name in c.names)
PREFIX = "lang"


async def help_command(update: Update, context: BotContext) -> None:
    """/ndihme (/help): the member's commands, plus those the person's roles allow."""
    user = update.effective_user
    assert update.effective_chat is not None and user is not None
    async with context.reading() as session:
        kinds = {role.kind for role in await active_roles(session, user.id)}
    lines = [
        _(
            "I keep the membership register. What you can do here:\n\n"
            "/start — join the register, or carry on where you left off\n"
            "/status — see where your application stands\n"
            "/list — pick your municipality from a list while registering\n"
            "/cancel — cancel what is in progress\n"
            "/language — Shqip / English\n"
            "/help — this help"
        )
    ]
    if kinds:
        lines.append(_("/pending — applications waiting for your decision"))
        lines.append(_("/qr — a municipality's registration link and QR code, to print or share"))
        lines.append(_("/stats — figures and a chart of your part of the register"))
    if "admin" in kinds:
        lines.append(_("/invite — invite a branch chair or a coordinator, or revoke a role"))
    await send_replies(context, update.effective_chat.id, [Reply("\n".join(lines))])


async def language_command(update: Update, context: BotContext) -> None:
    """/gjuha (/language): offer both languages by their own names."""
    assert update.effective_chat is not None
    await context.resolve_language()
    buttons = [[(name, pack(PREFIX, "set", code))] for code, name in LANGUAGE_NAMES.items()]
    reply = Reply(_("Choose your language:"), inline(buttons))
    await send_replies(context, update.effective_chat.id, [reply])


async def language_button(update: Update, context: BotContext) -> None:
    """A language button: store the choice and go on in that language."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None and update.effective_chat is not None
    await query.answer()
    data = parse(query.data, PREFIX)
    language = normalize_language(data.args[0] if data and data.args else None)
    preset = context.places.get(data.int_arg(1) or 0) if data else None  # an enrolment link's
    async with context.transaction() as session:
        await store_language(session, user.id, language, context.clock.now())
        set_language(language)
        replies = [Reply(_("From now on I will write to you in English."))]
        question = await registration.current_question(session, context, user.id)
        if question is not None:
            replies.append(question)
        elif await latest_member(session, user.id) is None:
            replies = [welcome(preset)]
    await send_replies(context, update.effective_chat.id, replies)

    await set_chat_commands(context.application, user.id, language)


async def group_redirect(update: Update, context: BotContext) -> None:
    """In a group nothing is done: an officer's command gets a pointer to the private chat,
    anything else the deep link that opens the registration there."""
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return
    command = (update.effective_message.text or "").split()[0] if update.effective_message else ""
    addressee = command.partition("@")[2]
    if addressee and addressee.lower() != (context.bot.username or "").lower():
        return  # a command for another bot in the same group
    name = command.partition("@")[0].lstrip("/").lower()
    user = update.effective_user
    if name in OFFICER_COMMANDS and user is not None:
        async with context.reading() as session:
            officer = bool(await active_roles(session, user.id))
        if officer:
            # An officer's command: its answer holds applicants' data, so not in the group.
            text = _(
                "I answer that in our private chat, so that applicants' details stay out "
                "of the group."
            )
            await _point_to_private(context, chat.id, text, f"https://t.me/{context.bot.username}")
            return
    await context.resolve_language()
    text = _("Registration happens in a private chat with me, so your details stay private.")
    link = f"https://t.me/{context.bot.username}?start=register"
    await _point_to_private(context, chat.id, text, link)


async def _point_to_private(context: BotContext, chat_id: int, text: str, link: str) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(_("Open a private chat"), url=link)]])
    await context.bot.send_message(chat_id=chat_id, text=text, reply_markup=markup)


async def unknown_command(update: Update, context: BotContext) -> None:
    assert update.effective_chat is not None
    await context.resolve_language()
    text = _("I do not know that command. Send /help to see what I can do.")
    await send_replies(context, update.effective_chat.id, [Reply(text)])


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure by ids only and tell the person kindly; nothing they entered is lost.

    "Something went wrong" is for our own bugs. Telegram being busy or down is not one:
    the pacer already waited and retried (bot/sending/pacer.py), replies that still failed went to
    the outbox, so what reaches here from Telegram is logged and nobody is told.
    """
    update_id = getattr(update, "update_id", "?")
    error = context.error
    if isinstance(error, NetworkError | RetryAfter | Forbidden) and not isinstance(
        error, BadRequest
    ):
        log.warning(
            "update %s: Telegram refused a call (%s)", update_id, type(context.error).__name__
        )
        return
    log.error("update %s failed", update_id, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        if update.effective_chat.type != ChatType.PRIVATE:
            return
        with contextlib.suppress(Exception):  # the failure may be the database itself
            await context.resolve_language()
        text = _(
            "Sorry, something went wrong on our side. What you entered so far is saved: "
            "please try again in a moment."
        )
        try:
            await context.bot.send_message(update.effective_chat.id, text)
        except Exception:  # the error may be the network itself
            log.warning("could not tell chat about the failure")


async def press_outside_private_chat(update: Update, context: BotContext) -> None:
    """Runs before every other handler: a button pressed anywhere but a private chat stops here.

    The bot puts no buttons with callback data in groups (its pointer there is a link), so a
    press in a group is forged. Answering it could post personal data where the group reads
    it (the pending list, "why do you reject … (name)?"), so it is refused, audited and
    answered with a toast only the presser sees.
    """
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None or chat.type == ChatType.PRIVATE:
        return
    user = update.effective_user
    async with context.transaction() as session:
        await audit.record(
            session,
            at=context.clock.now(),
            actor_id=user.id if user is not None else None,
            action="press.outside_private_chat",
            detail={"chat_type": chat.type},
        )
    with contextlib.suppress(TelegramError):
        await query.answer(_("This button works only in our private chat."), show_alert=False)
    raise ApplicationHandlerStop


async def stale_button(update: Update, context: BotContext) -> None:
    """A button whose data matches no known prefix: forged or from a removed feature."""
    query = update.callback_query
    assert query is not None
    await context.resolve_language()
    await query.answer(_("That button is no longer active."), show_alert=False)
