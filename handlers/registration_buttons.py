"""Buttons of the registration: phone confirmation, the municipality picker, the summary.

Consent has its own handler (registration_consent.py): it is answered with a toast.

Callback data is untrusted: it is read strictly (domain/registration/buttons.py), and the
dialogue checks every press against the draft's current step in the database, so an old
or forged button only re-asks the step.
"""

from __future__ import annotations

from telegram import Update

from domain.registration.buttons import PREFIX, decode
from domain.registration.events import Press
from handlers.context import BotContext
from handlers.registration_replies import render
from handlers.replies import answer_press, send_replies
from usecases import registration


async def on_button(update: Update, context: BotContext) -> None:
    """Any `reg:` button but consent; the press is answered first, then the work."""
    press = await answer_press(update, PREFIX)
    event = Press(decode(press.data), press.message_id)
    async with context.transaction() as session:
        reaction = await registration.handle(session, context.services, press.user.id, event)
        replies = await render(session, context, press.user.id, reaction.messages)
    await send_replies(context, press.chat_id, replies)
