"""Replies computed inside a transaction and sent after it commits.

A Bot API call inside a write transaction would hold SQLite's write lock for a network round
trip, so handlers collect what to say and send it once the transaction is over.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardRemove, Update, User
from telegram.error import BadRequest

from bot.context import BotContext
from bot.domain.callbacks import CallbackData, parse

Markup = InlineKeyboardMarkup | ReplyKeyboardRemove | object | None


@dataclass(frozen=True)
class Reply:
    """One message to send, or (with `edit_message_id`) an edit of an earlier one."""

    text: str
    markup: Markup = None
    edit_message_id: int | None = None


async def send_replies(context: BotContext, chat_id: int, replies: list[Reply]) -> list[int]:
    """Send (or edit) in order; returns the message ids, one per reply."""
    ids: list[int] = []
    for reply in replies:
        if reply.edit_message_id is not None:
            try:
                await context.bot.edit_message_text(
                    chat_id=chat_id,
                    message_id=reply.edit_message_id,
                    text=reply.text,
                    reply_markup=reply.markup,  # type: ignore[arg-type]
                )
                ids.append(reply.edit_message_id)
                continue
            except BadRequest as error:
                problem = str(error).lower()
                if "not modified" in problem:
                    # Pressing the same button twice edits to identical text: nothing to do.
                    ids.append(reply.edit_message_id)
                    continue
                if "not found" not in problem and "can't be edited" not in problem:
                    raise
                # The person deleted that message: say it in a new one instead.
        sent = await context.bot.send_message(
            chat_id=chat_id,
            text=reply.text,
            reply_markup=reply.markup,  # type: ignore[arg-type]
        )
        ids.append(sent.message_id)
    return ids


def inline(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """An inline keyboard from (label, callback_data) rows."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


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
    await query.answer()
    message_id = query.message.message_id if query.message else None
    return Press(user, update.effective_chat.id, parse(query.data, prefix), message_id)
