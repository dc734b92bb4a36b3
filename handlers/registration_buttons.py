"""Buttons of the registration: phone confirmation, the municipality picker, the summary.

Consent has its own module (handlers/registration_consent.py).

Callback data is untrusted: it is parsed strictly, and every press is checked against the
draft's current step in the database, so an old or forged button only re-asks the step.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from domain.callbacks import CallbackData
from domain.i18n import _, current_language
from domain.registration import QUESTION_ORDER, Step, parse_step
from handlers import registration_consent as consent
from handlers import registration_steps as steps
from handlers import registration_texts as texts
from handlers import status
from handlers.context import BotContext
from handlers.replies import Reply, answer_press, send_replies
from storage import audit
from storage.drafts import discard_draft, get_draft
from storage.members import SubmitProblem, submit_draft
from storage.models import RegistrationDraft
from usecases.notifications import application_submitted


async def on_button(update: Update, context: BotContext) -> None:
    """Any `reg:` button."""
    press = await answer_press(update, texts.PREFIX)
    user, data, message_id = press.user, press.data, press.message_id
    async with context.transaction() as session:
        if data is None:
            await audit.record(
                session, at=context.clock.now(), actor_id=user.id, action="callback.malformed"
            )
            replies = [Reply(_("That button is no longer active."))]
            draft = await get_draft(session, user.id)
            if draft is not None:
                replies.append(steps.prompt(context, draft))
        else:
            draft = await get_draft(session, user.id)
            if draft is None:
                replies = [await status.hint_without_draft(session, context, user.id)]
            else:
                replies = await _on_draft_button(session, context, draft, data, message_id)
    await send_replies(context, press.chat_id, replies)


async def _on_draft_button(
    session: AsyncSession,
    context: BotContext,
    draft: RegistrationDraft,
    data: CallbackData,
    message_id: int | None,
) -> list[Reply]:
    step = parse_step(draft.step)
    action = data.action
    if step is Step.PHONE and action == "phone" and draft.pending and "phone" in draft.pending:
        if data.args == ("yes",):
            return await steps.accept_phone(
                session, draft, context, str(draft.pending["phone"]), verified=False
            )
        draft.pending = None
        return [steps.prompt(context, draft)]
    if step is Step.MUNICIPALITY:
        if action == "counties":
            return [texts.county_picker(context.places.values(), message_id)]
        county_id = data.int_arg(0)
        known_county = any(p.county_id == county_id for p in context.places.values())
        if action == "county" and known_county and county_id is not None and message_id:
            return [texts.municipality_picker(context.places.values(), county_id, message_id)]
        municipality_id = data.int_arg(0)
        if action == "muni" and municipality_id in context.places:
            return steps.choose_municipality(draft, context, municipality_id)
    if step is Step.SUMMARY:
        replies = await _on_summary_button(session, context, draft, data, message_id)
        if replies is not None:
            return replies
    # A button from an earlier step, or forged data: ask the current question again.
    return [Reply(_("That button is no longer active.")), steps.prompt(context, draft)]


async def _on_summary_button(
    session: AsyncSession,
    context: BotContext,
    draft: RegistrationDraft,
    data: CallbackData,
    message_id: int | None,
) -> list[Reply] | None:
    action = data.action
    if action == "confirm":
        return await _submit(session, context, draft, message_id)
    if action == "edit":
        return [texts.edit_picker(message_id)]
    if action == "back":
        return [steps.summary(context, draft, edit_id=message_id)]
    if action == "cancel":
        await discard_draft(session, draft.telegram_id)
        return [Reply(consent.cancelled_text(), None, message_id)]
    if action == "field" and data.args:
        field = parse_step(data.args[0])
        if field in QUESTION_ORDER:
            draft.step = field.value
            draft.editing = True
            draft.pending = None
            draft.updated_at = context.clock.now()
            return [steps.prompt(context, draft)]
    return None


async def _submit(
    session: AsyncSession,
    context: BotContext,
    draft: RegistrationDraft,
    message_id: int | None,
) -> list[Reply]:
    now = context.clock.now()
    place = context.places[draft.municipality_id] if draft.municipality_id else None
    result = await submit_draft(session, draft, current_language(), now)
    if result.member is None or place is None:
        if result.problem is SubmitProblem.PHONE_TAKEN:
            draft.step = Step.PHONE.value
            draft.editing = True
            draft.phone_e164 = None
            return [texts.phone_taken()]
        return [await status.describe(session, context, draft.telegram_id)]
    await audit.record(
        session,
        at=now,
        actor_id=draft.telegram_id,
        action="application.submitted",
        subject_kind="member",
        subject_id=result.member.id,
    )
    receiver = await application_submitted(session, context.services, result.member)
    return [texts.submitted(place, receiver, message_id)]
