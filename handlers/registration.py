"""Member self-registration: /start (an enrolment link's too), the answers typed or shared,
/anulo and /lista.

State is the `registration_draft` row; every update reads it, applies one answer and says
what comes next, so a restart or a second process continues where the member was.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from domain.i18n import _
from domain.registration import Step, parse_step
from handlers import registration_consent as consent
from handlers import registration_steps as steps
from handlers import registration_texts as texts
from handlers import status
from handlers.context import BotContext
from handlers.replies import Reply, send_replies
from storage.decision_drafts import clear_reason_wait
from storage.drafts import discard_draft, get_draft
from storage.members import active_member, latest_member
from storage.models import RegistrationDraft


async def start(update: Update, context: BotContext, preset: int | None = None) -> None:
    """/start: greet a newcomer, resume a draft, or tell a registered member where they stand.

    `preset` is an enrolment link's municipality: offered on the welcome's consent button,
    or set on a draft that has no municipality yet.
    """
    user = update.effective_user
    assert user is not None and update.effective_chat is not None
    async with context.transaction() as session:
        # Going back to one's own registration ends a rejection waiting for its reason
        # (a chair's), so a name typed next is not taken as the reason.
        await clear_reason_wait(session, user.id)
        member = await active_member(session, user.id)
        draft = await get_draft(session, user.id)
        if member is not None:
            replies = [await status.describe(session, context, user.id)]
        elif draft is not None:
            if preset is not None:
                steps.preset_municipality(draft, preset, context.clock.now())
            resume = Reply(_("Welcome back! Let's carry on where you left off."))
            replies = [resume, steps.prompt(context, draft)]
        else:
            replies = [consent.welcome(context.places.get(preset or 0))]
    await send_replies(context, update.effective_chat.id, replies)


async def cancel(update: Update, context: BotContext) -> None:
    """/anulo: drop the registration in progress and everything entered in it."""
    user = update.effective_user
    assert user is not None and update.effective_chat is not None
    async with context.transaction() as session:
        discarded = await discard_draft(session, user.id)
        known = discarded or await latest_member(session, user.id) is not None
    if discarded:
        reply = consent.cancelled()
    elif known:
        # A member (pending, approved or rejected): no registration to cancel, no /start.
        reply = Reply(_("There is nothing to cancel."), steps.remove_keyboard())
    else:
        text = _("There is nothing to cancel. Send /start to register.")
        reply = Reply(text, steps.remove_keyboard())
    await send_replies(context, update.effective_chat.id, [reply])


async def pick_from_list(update: Update, context: BotContext) -> None:
    """/lista: the county → municipality picker, at the municipality step."""
    user = update.effective_user
    assert user is not None and update.effective_chat is not None
    async with context.reading() as session:
        draft = await get_draft(session, user.id)
    if draft is None or parse_step(draft.step) is not Step.MUNICIPALITY:
        replies = [
            Reply(_("The list of municipalities is offered when you register: send /start."))
        ]
        if draft is not None:
            replies = [steps.prompt(context, draft)]
    else:
        replies = [texts.county_picker(context.places.values(), None)]
    await send_replies(context, update.effective_chat.id, replies)


async def answer(session: AsyncSession, context: BotContext, update: Update) -> list[Reply]:
    """The replies to a member's message, within the caller's transaction."""
    user = update.effective_user
    assert user is not None
    draft = await get_draft(session, user.id)
    if draft is None:
        message = update.effective_message
        text = message.text if message is not None else None
        return await consent.answer_typed(session, context, user.id, text)
    return await _answer(session, draft, context, update)


async def _answer(
    session: AsyncSession, draft: RegistrationDraft, context: BotContext, update: Update
) -> list[Reply]:
    message = update.effective_message
    assert message is not None
    step = parse_step(draft.step)
    text = message.text
    if step is Step.PHONE and message.contact is not None:
        return await steps.answer_contact(session, draft, context, message)
    if text is None or step is None or step is Step.SUMMARY:
        return steps.off_step(context, draft)
    if step is Step.NAME:
        return await steps.answer_name(draft, context, text)
    if step is Step.BIRTH_DATE:
        return await steps.answer_birth_date(draft, context, text)
    if step is Step.PHONE:
        return await steps.answer_phone_text(session, draft, context, text)
    return steps.answer_municipality(draft, context, text)
