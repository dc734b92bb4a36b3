"""A member's own data: /te_dhenat (see, download, who looked), /fshij (delete everything),
/privatesia (the notice, and consent to a new version), and withdrawing a pending
application from /statusi.

Callback data (`me:v1:<action>`) carries no ids: every press acts on the presser's own
record, read from the database, so a forged press can touch nobody else's data.
"""

from __future__ import annotations

from telegram import Update

from domain.i18n import _, current_language, format_day
from handlers import my_data_texts as texts
from handlers.context import BotContext
from handlers.replies import Reply, answer_press, send_replies
from storage import audit
from usecases import member_rights
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
