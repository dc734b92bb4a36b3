"""Replies computed inside a transaction and sent after it commits.

A Bot API call inside a write transaction would hold SQLite's write lock for a network round
trip, so handlers collect what to say and send it once the transaction is over.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardRemove
from telegram.error import BadRequest

from bot.context import BotContext

Markup = InlineKeyboardMarkup | ReplyKeyboardRemove | object | None


@dataclass(frozen=True)
class Reply:
    """One message to send, or (with `edit_message_id`) an edit of an earlier one."""

    text: str
    markup: Markup = None
    edit_message_id: int | None = None


async def send_replies(context: BotContext, chat_id: int, replies: list[Reply]) -> None:
    for reply in replies:
        if reply.edit_message_id is not None:
            try:
                await context.bot.edit_message_text(
                    chat_id=chat_id,
                    message_id=reply.edit_message_id,
                    text=reply.text,
                    reply_markup=reply.markup,  # type: ignore[arg-type]
                )
            except BadRequest as error:
                # Pressing the same button twice edits to identical text: nothing to do.
                if "not modified" not in str(error).lower():
                    raise
            continue
        await context.bot.send_message(
            chat_id=chat_id,
            text=reply.text,
            reply_markup=reply.markup,  # type: ignore[arg-type]
        )


def inline(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """An inline keyboard from (label, callback_data) rows."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )
