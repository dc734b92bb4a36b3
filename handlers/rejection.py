"""A rejection's typed reason: taken from the decider's very next message, shown back with
«Send» / «Change», and sent to the member only on «Send».

"Faleminderit!" typed after some other action must never become what a member reads as
the reason, so the wait for a reason holds only while the decider does nothing else: any
other update of their chat since Reject (a command, another press, a message answered as
something else) ends it (storage/reason_waits.py), and the message is then answered as
any other. A reason is refused, not cut, when it is too long.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import ReplyKeyboardRemove, Update, User

from domain.decisions import ReasonProblem, read_typed_reason
from domain.i18n import _
from domain.permissions import scope_of
from handlers import announce_texts, announcements, my_data, registration
from handlers import decision_texts as texts
from handlers.chair import already_decided, refuse
from handlers.context import BotContext
from handlers.replies import Reply, send_replies
from handlers.turn import current_update
from storage.applications import application_in_scope
from storage.models import DecisionDraft
from storage.reason_waits import (
    acted_since,
    clear_reason_wait,
    hold_reason,
    reason_wait,
    wait_for_reason,
)
from storage.roles import active_grants
from usecases import corrections

# A message long after Reject was pressed is not taken as the reason either: the decider
# has most likely moved on. They are asked again, with the buttons.
REASON_WAIT = timedelta(hours=1)


async def live_wait(
    session: AsyncSession, context: BotContext, telegram_id: int
) -> DecisionDraft | None:
    """The decider's wait for a reason, if nothing else happened in their chat since.

    A wait another action ended is dropped here, lazily: the other handlers need not know.
    """
    waiting = await reason_wait(session, telegram_id)
    handling = current_update.get()
    if waiting is None or waiting.since_update_id is None or handling is None:
        return waiting
    if await acted_since(session, telegram_id, waiting.since_update_id, handling.update_id):
        await clear_reason_wait(session, telegram_id)
        return None
    return waiting


async def message_then_registration(update: Update, context: BotContext) -> None:
    """A typed message: the reason of a rejection in progress, else a registration answer."""
    user = update.effective_user
    message = update.effective_message
    assert user is not None and message is not None and update.effective_chat is not None
    composed = None
    async with context.transaction() as session:
        # An officer's announcement being composed (the turn's read says so, for free).
        composed = await announcements.typed(session, context, update)
        waiting = None if composed is not None else await live_wait(session, context, user.id)
        if composed is not None:
            replies = []
        elif waiting is None:
            # A detail of their entry being corrected (/te_dhenat), else, for most
            # messages, a member's answer, in this same transaction.
            corrected = await my_data.correction_answer(session, context, update)
            replies = (
                corrected
                if corrected is not None
                else await registration.answer(session, context, update)
            )
        else:
            replies = await _reason(session, context, user, waiting, message.text)
    if composed is not None:
        await announcements.send_composed(context, update.effective_chat.id, composed)
        return
    await send_replies(context, update.effective_chat.id, replies)


async def _reason(
    session: AsyncSession,
    context: BotContext,
    user: User,
    waiting: DecisionDraft,
    typed: str | None,
) -> list[Reply]:
    """Check the application as a press would, then show the reason back (or say why not)."""
    handling = current_update.get()
    update_id = handling.update_id if handling is not None else None
    scope = scope_of(await active_grants(session, user.id))
    member = None if scope.empty else await application_in_scope(session, scope, waiting.member_id)
    if member is None or member.telegram_id == user.id:
        await clear_reason_wait(session, user.id)
        return [await refuse(session, context, user.id, waiting.member_id, "typed", scope)]
    if member.status != "pending":
        await clear_reason_wait(session, user.id)
        return [await already_decided(session, member, None)]
    if waiting.created_at < context.clock.now() - REASON_WAIT:
        # Stale: ask again (with the buttons) rather than take this message as the reason.
        await wait_for_reason(session, user.id, member.id, context.clock.now(), update_id)
        return [texts.ask_reason(member)]
    read = read_typed_reason(typed or "")
    # The next message is the reason again: a new one after a refusal, or a corrected one.
    await hold_reason(session, waiting, read.text, update_id)
    if read.problem is ReasonProblem.TOO_LONG:
        return [texts.reason_too_long(read.length)]
    if read.text is None:
        return [texts.reason_as_text()]
    return [texts.confirm_reason(member, read.text)]


async def cancel_then_registration(update: Update, context: BotContext) -> None:
    """/anulo: a rejection waiting for its reason is dropped first; else the registration."""
    user = update.effective_user
    assert user is not None and update.effective_chat is not None
    async with context.transaction() as session:
        announcing = await announcements.cancel_typing(session, user.id)
        waiting = None if announcing else await live_wait(session, context, user.id)
        if waiting is not None:
            await clear_reason_wait(session, user.id)
        correcting = (
            not announcing and waiting is None and await corrections.stop_waiting(session, user.id)
        )
    if announcing:
        await send_replies(context, update.effective_chat.id, [announce_texts.cancelled()])
        return
    if correcting:
        await send_replies(
            context,
            update.effective_chat.id,
            [Reply(_("The correction is cancelled; nothing was changed."), ReplyKeyboardRemove())],
        )
        return
    if waiting is None:
        await registration.cancel(update, context)
        return
    await send_replies(context, update.effective_chat.id, [texts.kept_pending()])
