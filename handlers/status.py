"""/statusi: where a person stands — not registered, registering, pending, member, rejected."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from domain.callbacks import pack
from domain.decisions import reason_text
from domain.i18n import _, format_day
from domain.privacy import NOTICE_VERSION
from handlers.context import BotContext
from handlers.my_data_texts import PREFIX
from handlers.replies import Reply, send_replies
from storage.drafts import get_draft
from storage.members import consent_version, latest_member
from usecases.keyboards import inline


async def describe(session: AsyncSession, context: BotContext, telegram_id: int) -> Reply:
    """One message saying where this account stands in the register; a member who agreed
    to an older privacy notice is pointed to the new one (design §8: asked again)."""
    reply = await _standing(session, context, telegram_id)
    member = await latest_member(session, telegram_id)
    if member is None or member.status not in ("pending", "approved"):
        return reply
    version = await consent_version(session, member.consent_id)
    if version == NOTICE_VERSION:
        return reply
    changed = _("Our privacy notice has changed: please read it and agree with /privatesia.")
    return Reply(f"{reply.text}\n\n{changed}", reply.markup, reply.edit_message_id)


async def _standing(session: AsyncSession, context: BotContext, telegram_id: int) -> Reply:
    member = await latest_member(session, telegram_id)
    if member is None or member.status == "withdrawn":
        if await get_draft(session, telegram_id) is not None:
            return Reply(
                _(
                    "You have started registering but have not finished yet. "
                    "Send /start to carry on."
                )
            )
        return Reply(_("You are not in the register yet. Send /start to register."))
    place = context.places[member.municipality_id]
    submitted = format_day(member.submitted_at.date())
    if member.status == "pending":
        text = _(
            "Your application of {date} (municipality of {municipality}) is waiting to be "
            "confirmed. We will let you know here as soon as it is decided."
        )
        # Withdrawing is one tap (design §8); the press re-reads whose application it is.
        withdraw = inline([[(_("↩️ Withdraw my application"), pack(PREFIX, "withdraw"))]])
        return Reply(text.format(date=submitted, municipality=place.name), withdraw)
    if member.status == "approved":
        text = _(
            "Your membership has been confirmed by the party branch in {municipality}. "
            "Your membership number is {number}."
        )
        return Reply(text.format(municipality=place.name, number=member.membership_number))
    text = _(
        "Your application of {date} (municipality of {municipality}) was not accepted. "
        "Reason: {reason}\nYou can apply again with /start."
    )
    reason = reason_text(member.rejection_reason)
    return Reply(text.format(date=submitted, municipality=place.name, reason=reason))


async def hint_without_draft(session: AsyncSession, context: BotContext, telegram_id: int) -> Reply:
    """A message out of any conversation: say where they stand and what they can do."""
    member = await latest_member(session, telegram_id)
    if member is not None:
        return await describe(session, context, telegram_id)
    return Reply(_("Send /start to join the register, or /help to see what I can do."))


async def status_command(update: Update, context: BotContext) -> None:
    """/statusi (/status)."""
    user = update.effective_user
    assert user is not None and update.effective_chat is not None
    async with context.reading() as session:
        reply = await describe(session, context, user.id)
    await send_replies(context, update.effective_chat.id, [reply])
