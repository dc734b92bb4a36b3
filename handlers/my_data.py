"""A member's own data: /te_dhenat (see, download, who looked), /fshij (delete everything),
/privatesia (the notice, and consent to a new version), and withdrawing a pending
application from /statusi.

Callback data (`me:v1:<action>`) carries no ids: every press acts on the presser's own
record, read from the database, so a forged press can touch nobody else's data.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from domain.callbacks import CallbackData
from domain.i18n import _, current_language, format_day
from domain.registration.events import Contact
from handlers import my_data_texts as texts
from handlers.context import BotContext
from handlers.replies import Reply, answer_press, send_replies
from handlers.turn import current_update
from storage import audit
from usecases import corrections, member_rights
from usecases.corrections import Field
from usecases.member_rights import Erasure

PREFIX = texts.PREFIX


async def my_data_command(update: Update, context: BotContext) -> None:
    """/te_dhenat (/mydata)."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    async with context.reading() as session:
        record = await member_rights.personal_record(session, user.id)
    await send_replies(context, chat.id, [texts.record_view(context.services, record)])


async def delete_command(update: Update, context: BotContext) -> None:
    """/fshij (/delete): what would be deleted, and a clear confirmation."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    await context.resolve_language()
    await send_replies(context, chat.id, [texts.confirm_erasure()])


async def privacy_command(update: Update, context: BotContext) -> None:
    """/privatesia (/privacy): the notice; a member who consented to an older version is
    asked to agree to this one."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    async with context.reading() as session:
        record = await member_rights.personal_record(session, user.id)
    outdated = member_rights.consent_outdated(record)
    settings = context.settings
    reply = texts.notice(
        ask_consent=outdated,
        decided_days=settings.retention_decided_days,
        draft_days=settings.retention_draft_days,
    )
    await send_replies(context, chat.id, [reply])


async def on_button(update: Update, context: BotContext) -> None:
    press = await answer_press(update, PREFIX)
    user, data, message_id = press.user, press.data, press.message_id
    action = data.action if data is not None else ""
    if action == "json":
        await _download(update, context)
        return
    replies: list[Reply]
    async with context.transaction() as session:
        services = context.services
        if action == "withdraw":
            withdrawn = await member_rights.withdraw(session, services, user.id)
            replies = [texts.withdrawn(withdrawn is not None, message_id)]
        elif action == "fix":
            replies = await _fix(session, context, user.id, data, message_id)
        elif action == "muni":
            replies = await _muni(session, context, user.id, data)
        elif action == "looked":
            record = await member_rights.personal_record(session, user.id)
            replies = [texts.who_looked(services, record)]
        elif action == "delete":
            replies = [texts.confirm_erasure()]
        elif action == "erase":
            outcome = await member_rights.erase(session, services, user.id)
            replies = [texts.erased(outcome is Erasure.DONE, message_id)]
        elif action == "keep":
            replies = [Reply(_("Nothing was deleted."), None, message_id)]
        elif action == "accept":
            accepted = await member_rights.accept_notice(
                session, user.id, current_language(), context.clock.now()
            )
            replies = [texts.notice_accepted(accepted, message_id)]
        else:
            await audit.record(
                session, at=context.clock.now(), actor_id=user.id, action="me.forged_press"
            )
            replies = [Reply(_("That button is no longer active."))]
    await send_replies(context, press.chat_id, replies)


async def _fix(
    session: AsyncSession,
    context: BotContext,
    telegram_id: int,
    data: CallbackData | None,
    message_id: int | None,
) -> list[Reply]:
    """Pick a detail (no argument), or start waiting for the chosen one's new value."""
    if await corrections.active_entry(session, telegram_id) is None:
        return [texts.refused("", "no_entry", 0, 0)]
    wanted = data.arg(0) if data is not None else None
    if wanted is None:
        return [texts.fields(message_id)]
    try:
        field = Field(wanted)
    except ValueError:
        return [texts.fields(message_id)]
    handling = current_update.get()
    update_id = handling.update_id if handling is not None else None
    await corrections.start(session, telegram_id, field, update_id, context.clock.now())
    return [texts.ask_field(field.value)]


async def _muni(
    session: AsyncSession, context: BotContext, telegram_id: int, data: CallbackData | None
) -> list[Reply]:
    """A municipality offered for a correction: any existing one is accepted."""
    member = await corrections.active_entry(session, telegram_id)
    chosen = data.int_arg(0) if data is not None else None
    if member is None or chosen is None:
        return [texts.refused("", "no_entry", 0, 0)]
    await corrections.stop_waiting(session, telegram_id)
    outcome = await corrections.move(session, context.services, member, chosen, context.clock.now())
    return [reply_for(context, outcome)]


def reply_for(context: BotContext, outcome: corrections.Outcome) -> Reply:
    settings = context.settings
    if isinstance(outcome, corrections.Corrected):
        member = outcome.member
        return texts.corrected(
            outcome.field.value, context.services, member.municipality_id, member.status
        )
    if isinstance(outcome, corrections.Choose):
        return texts.choose_municipality(context.services, outcome.municipality_ids)
    return texts.refused(outcome.field.value, outcome.problem, settings.min_age, settings.max_age)


async def correction_answer(
    session: AsyncSession, context: BotContext, update: Update
) -> list[Reply] | None:
    """A message that is the new value of a detail being corrected; None when no
    correction is waiting (the message is for the registration dialogue)."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return None
    handling = current_update.get()
    update_id = handling.update_id if handling is not None else None
    field = await corrections.waiting_field(session, user.id, update_id)
    if field is None:
        return None
    contact = None
    if message.contact is not None:
        contact = Contact(message.contact.phone_number, own=message.contact.user_id == user.id)
    elif not message.text:
        # A sticker or a photo: the same question again, and the wait goes on after it.
        await corrections.keep_waiting(session, user.id, update_id)
        return [texts.ask_field(field.value)]
    outcome = await corrections.answer(
        session, context.services, user.id, field, message.text, contact, update_id
    )
    return [reply_for(context, outcome)]


async def _download(update: Update, context: BotContext) -> None:
    """Everything stored about the presser, as a JSON file in the chat."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    async with context.transaction() as session:
        record = await member_rights.personal_record(session, user.id)
        await audit.record(
            session,
            at=context.clock.now(),
            actor_id=user.id,
            action="data.downloaded",
            subject_kind="account",
        )
    body = member_rights.record_as_json(record, context.services)
    today = context.clock.now().date()
    await context.bot.send_document(
        chat_id=chat.id,
        document=body,
        filename=f"regjistri-{today.isoformat()}.json",
        caption=_("Everything the register holds about you, as of {day}.").format(
            day=format_day(today)
        ),
    )
