"""«✅ Yes, I agree» and «No, thank you» under the welcome (registration_replies.welcome).

Nothing about a person is stored before they agree. The welcome already asks for the name
after the press, so «✅ Yes, I agree» is answered with a toast (answerCallbackQuery, which
Telegram does not count against the bot's ~30 messages a second), not a new message.
"""

from __future__ import annotations

import contextlib

from telegram import Update
from telegram.error import TelegramError

from domain.callbacks import parse
from domain.i18n import _
from domain.registration.buttons import PREFIX, ConsentAnswer, decode
from domain.registration.events import Press
from handlers.context import BotContext
from handlers.registration_replies import render, reply
from handlers.replies import Reply, send_replies
from usecases import registration


async def on_press(update: Update, context: BotContext) -> None:
    """A consent press: answered after the transaction, with a toast."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None and update.effective_chat is not None
    button = decode(parse(query.data, PREFIX))
    toast: str | None = None
    replies: list[Reply] = []
    try:
        async with context.transaction() as session:
            if not isinstance(button, ConsentAnswer):
                toast = _("That button is no longer active.")
            else:
                event = Press(button)
                reaction = await registration.handle(session, context.services, user.id, event)
                if reaction.toast is not None:
                    toast = reply(context, reaction.toast).text
                replies = await render(session, context, user.id, reaction.messages)
    finally:
        # Answered even when the work failed, so the button does not spin; the error
        # handler tells the person what happened.
        with contextlib.suppress(TelegramError):
            await query.answer(toast)
    await send_replies(context, update.effective_chat.id, replies)
