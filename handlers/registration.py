"""Member self-registration, the Telegram side: /start (an enrolment link's too), /anulo,
/lista and the answers typed or shared; the buttons are in registration_buttons.py and
registration_consent.py.

Each handler turns the update into one event of the dialogue (domain/registration), runs
it through usecases/registration.py inside the turn's transaction, and renders the
messages it returns (registration_replies.py). State is the `registration_draft` row, so a
restart or a second process continues where the member was.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message, Update

from domain.registration.events import (
    Cancel,
    Contact,
    Event,
    NotText,
    ShowList,
    Start,
    Text,
)
from handlers.context import BotContext
from handlers.registration_replies import question, render
from handlers.replies import Reply, send_replies
from usecases import registration


async def start(update: Update, context: BotContext, preset: int | None = None) -> None:
    """/start: greet a newcomer, resume a draft, or tell a registered member where they stand.

    `preset` is an enrolment link's municipality: offered on the welcome's consent button,
    or set on a draft that has no municipality yet.
    """
    await _run(update, context, Start(preset))


async def cancel(update: Update, context: BotContext) -> None:
    """/anulo: drop the registration in progress and everything entered in it."""
    await _run(update, context, Cancel())


async def pick_from_list(update: Update, context: BotContext) -> None:
    """/lista: the county → municipality picker, at the municipality step (it only reads)."""
    user = update.effective_user
    assert user is not None and update.effective_chat is not None
    async with context.reading() as session:
        reaction = await registration.handle(session, context.services, user.id, ShowList())
        replies = await render(session, context, user.id, reaction.messages)
    await send_replies(context, update.effective_chat.id, replies)


async def answer(session: AsyncSession, context: BotContext, update: Update) -> list[Reply]:
    """The replies to a member's message, within the caller's transaction."""
    user = update.effective_user
    message = update.effective_message
    assert user is not None and message is not None
    reaction = await registration.handle(session, context.services, user.id, _event(message))
    return await render(session, context, user.id, reaction.messages)


async def current_question(
    session: AsyncSession, context: BotContext, telegram_id: int
) -> Reply | None:
    """The question the member's registration is at, to ask again (None: nothing to ask)."""
    asked = await registration.current_question(session, telegram_id)
    return question(context, asked) if asked is not None else None


def _event(message: Message) -> Event:
    """A message as the dialogue sees it: text, a shared contact, or anything else."""
    if message.contact is not None:
        sender = message.from_user.id if message.from_user is not None else None
        return Contact(message.contact.phone_number, own=message.contact.user_id == sender)
    if message.text is not None:
        return Text(message.text)
    return NotText()


async def _run(update: Update, context: BotContext, event: Event) -> None:
    user = update.effective_user
    assert user is not None and update.effective_chat is not None
    async with context.transaction() as session:
        reaction = await registration.handle(session, context.services, user.id, event)
        replies = await render(session, context, user.id, reaction.messages)
    await send_replies(context, update.effective_chat.id, replies)
