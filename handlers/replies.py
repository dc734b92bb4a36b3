"""Replies computed inside a transaction and sent after it commits.

A Bot API call inside a write transaction would hold SQLite's write lock for a network round
trip, so handlers collect what to say and send it once the transaction is over.

Replies go through the bot's pacer (`bot.sending.pacer`) at the highest priority; it waits out 429s
and retries 5xx and timeouts until `REPLY_DEADLINE_SECONDS`. What Telegram still refuses
then is not lost: that reply and the ones after it are handed to the outbox, which keeps
trying durably (they may then arrive after a later direct reply; Telegram was failing for
half a minute by then). A person who blocked the bot gets nothing, as the outbox does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from telegram import (
    InlineKeyboardMarkup,
    ReplyKeyboardRemove,
    TelegramObject,
    Update,
    User,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from domain.callbacks import CallbackData, parse
from handlers.context import BotContext
from handlers.turn import waiting_on_telegram
from storage import outbox

log = logging.getLogger(__name__)

Markup = InlineKeyboardMarkup | ReplyKeyboardRemove | object | None


@dataclass(frozen=True)
class Reply:
    """One message to send, or (with `edit_message_id`) an edit of an earlier one."""

    text: str
    markup: Markup = None
    edit_message_id: int | None = None


async def send_replies(context: BotContext, chat_id: int, replies: list[Reply]) -> list[int | None]:
    """Send (or edit) in order; the message ids, one per reply (None: handed to the outbox)."""
    async with waiting_on_telegram():
        return await _send_in_order(context, chat_id, replies)


async def _send_in_order(
    context: BotContext, chat_id: int, replies: list[Reply]
) -> list[int | None]:
    ids: list[int | None] = []
    for index, reply in enumerate(replies):
        try:
            ids.append(await _send_one(context, chat_id, reply))
        except Forbidden:
            log.info("chat %s blocked the bot; reply dropped", chat_id)
            return ids + [None] * (len(replies) - index)
        except (NetworkError, RetryAfter) as error:
            if isinstance(error, BadRequest):  # PTB files it under NetworkError; our bug
                raise
            log.warning(
                "chat %s: reply failed past the deadline (%s); handed to the outbox",
                chat_id,
                type(error).__name__,
            )
            await _hand_to_outbox(context, chat_id, replies[index:])
            return ids + [None] * (len(replies) - index)
    return ids


async def _hand_to_outbox(context: BotContext, chat_id: int, replies: list[Reply]) -> None:
    """Queue what could not be said now; an edit becomes a new message (the id may be stale)."""
    async with context.writing() as session:
        for reply in replies:
            payload: dict[str, object] = {"text": reply.text}
            if isinstance(reply.markup, TelegramObject):
                payload["reply_markup"] = reply.markup.to_dict()
            await outbox.enqueue(
                session,
                chat_id=chat_id,
                method="sendMessage",
                payload=payload,
                now=datetime.now(UTC),
                ref_kind="reply",
            )


async def _send_one(context: BotContext, chat_id: int, reply: Reply) -> int:
    """One reply through the pacer; an edit of a deleted message becomes a new one."""
    if reply.edit_message_id is not None:
        try:
            await context.bot.edit_message_text(
                chat_id=chat_id,
                message_id=reply.edit_message_id,
                text=reply.text,
                reply_markup=reply.markup,  # type: ignore[arg-type]
            )
            return reply.edit_message_id
        except BadRequest as error:
            problem = str(error).lower()
            if "not modified" in problem:
                # Pressing the same button twice edits to identical text: nothing to do.
                return reply.edit_message_id
            if "not found" not in problem and "can't be edited" not in problem:
                raise
            # The person deleted that message: say it in a new one instead.
    sent = await context.bot.send_message(
        chat_id=chat_id,
        text=reply.text,
        reply_markup=reply.markup,  # type: ignore[arg-type]
    )
    return sent.message_id


@dataclass(frozen=True)
class Press:
    """A button press, answered (design §9: answer first, then the database work)."""

    user: User
    chat_id: int
    data: CallbackData | None  # None: malformed or forged for this prefix
    message_id: int | None


async def answer_press(update: Update, prefix: str) -> Press:
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None and update.effective_chat is not None
    try:
        async with waiting_on_telegram():
            await query.answer()
    except TelegramError as error:
        # Only the spinner on the button is at stake; the press itself is handled below.
        log.info("answering a press failed (%s); handling it anyway", type(error).__name__)
    message_id = query.message.message_id if query.message else None
    return Press(user, update.effective_chat.id, parse(query.data, prefix), message_id)
