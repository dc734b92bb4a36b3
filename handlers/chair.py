"""Deciding applications: Approve in one tap, Reject with a reason (a button or typed).

Callback data (`app:v1:<action>:<member id>[:<reason>]`) is untrusted: each press re-reads
the presser's active roles and fetches the application through a scoped query, so a forged
id, another municipality's application or a revoked role decides nothing (and is audited).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update, User

from bot.context import BotContext
from bot.domain.callbacks import CallbackData, pack, parse
from bot.domain.decisions import (
    REJECTION_REASONS,
    stored_reason_for_code,
    stored_reason_for_text,
)
from bot.domain.permissions import scope_of
from bot.i18n import _, format_moment
from bot.notifications import application_decided
from handlers import pending, registration
from handlers.replies import Reply, inline, send_replies
from storage import audit
from storage.applications import application_in_scope, decide
from storage.decision_drafts import clear_reason_wait, reason_wait, wait_for_reason
from storage.models import Member
from storage.roles import active_grants, active_roles, holder_name_of

PREFIX = "app"


async def on_button(update: Update, context: BotContext) -> None:
    """Approve, Reject, a reason, Keep (changed my mind), or a page of the pending list."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None and update.effective_chat is not None
    await query.answer()
    data = parse(query.data, PREFIX)
    message_id = query.message.message_id if query.message else None
    if data is not None and data.action == "page":
        await pending.show_page(update, context, data.int_arg(0) or 0, message_id)
        return
    async with context.db.write() as session:
        replies = await _press(session, context, user, data)
    await send_replies(context, update.effective_chat.id, replies)
    if context.services.outbox is not None:
        context.services.outbox.wake()


async def _press(
    session: AsyncSession, context: BotContext, user: User, data: CallbackData | None
) -> list[Reply]:
    member_id = data.int_arg(0) if data is not None else None
    scope = scope_of(await active_grants(session, user.id))
    member = None
    if member_id is not None and not scope.empty:
        member = await application_in_scope(session, scope, member_id)
    if data is None or member is None:
        await audit.record(
            session,
            at=context.clock.now(),
            actor_id=user.id,
            action="decision.refused",
            subject_kind="member",
            subject_id=member_id,
            detail={"action": data.action if data else None, "has_role": not scope.empty},
        )
        return [
            Reply(
                _(
                    "You cannot decide this application: it is no longer available, or it is "
                    "outside the area of your role."
                )
            )
        ]
    if member.status != "pending":
        return [await _already_decided(session, member)]
    if data.action == "approve":
        return await _decide(session, context, user, member, approve=True, reason=None)
    if data.action == "reject":
        await wait_for_reason(session, user.id, member.id, context.clock.now())
        return [_ask_reason(member)]
    if data.action == "reason" and len(data.args) > 1:
        reason = stored_reason_for_code(data.args[1])
        if reason is not None:
            return await _decide(session, context, user, member, approve=False, reason=reason)
    if data.action == "keep":
        await clear_reason_wait(session, user.id)
        return [Reply(_("All right: the application stays pending."))]
    return [Reply(_("That button is no longer active."))]


def _ask_reason(member: Member) -> Reply:
    rows = [
        [(_(label), pack(PREFIX, "reason", member.id, code))]
        for code, label in REJECTION_REASONS.items()
    ]
    rows.append([(_("« Do not reject"), pack(PREFIX, "keep", member.id))])
    text = _(
        "Why are you rejecting application no. {id} ({name})? Pick a reason or type it in a "
        "message. The member will read it."
    ).format(id=member.id, name=member.full_name)
    return Reply(text, inline(rows))


async def _decide(
    session: AsyncSession,
    context: BotContext,
    user: User,
    member: Member,
    *,
    approve: bool,
    reason: str | None,
) -> list[Reply]:
    now = context.clock.now()
    decision = await decide(
        session, member, approve=approve, decider_id=user.id, reason=reason, now=now
    )
    await clear_reason_wait(session, user.id)
    if not decision.won:
        return [await _already_decided(session, decision.member)]
    name = user.full_name
    for role in await active_roles(session, user.id):
        role.holder_name = name
    await audit.record(
        session,
        at=now,
        actor_id=user.id,
        action="decision.approved" if approve else "decision.rejected",
        subject_kind="member",
        subject_id=member.id,
    )
    await application_decided(session, context.services, decision.member, name)
    return []


async def _already_decided(session: AsyncSession, member: Member) -> Reply:
    """Tell a late presser who decided and when."""
    name = await holder_name_of(session, member.decided_by) or _("another officer")
    when = format_moment(member.decided_at) if member.decided_at else ""
    if member.status == "approved":
        text = _("Application no. {id} was already approved by {name} on {when}.")
    elif member.status == "rejected":
        text = _("Application no. {id} was already rejected by {name} on {when}.")
    else:
        text = _("Application no. {id} is no longer pending.")
    return Reply(text.format(id=member.id, name=name, when=when))


async def message_then_registration(update: Update, context: BotContext) -> None:
    """A typed message: the reason of a rejection in progress, else a registration answer."""
    user = update.effective_user
    message = update.effective_message
    assert user is not None and message is not None and update.effective_chat is not None
    async with context.db.write() as session:
        waiting = await reason_wait(session, user.id)
        if waiting is None:
            replies = None
        elif not message.text or stored_reason_for_text(message.text) is None:
            replies = [Reply(_("Please type the reason as a text message, or send /anulo."))]
        else:
            data = CallbackData(PREFIX, 1, "typed", (str(waiting.member_id),))
            replies = await _typed_reason(session, context, user, data, message.text)
    if replies is None:
        await registration.on_message(update, context)
        return
    await send_replies(context, update.effective_chat.id, replies)
    if context.services.outbox is not None:
        context.services.outbox.wake()


async def _typed_reason(
    session: AsyncSession, context: BotContext, user: User, data: CallbackData, text: str
) -> list[Reply]:
    """A typed reason goes through the same checks as a button press."""
    scope = scope_of(await active_grants(session, user.id))
    member_id = data.int_arg(0)
    member = await application_in_scope(session, scope, member_id) if member_id else None
    if member is None:
        await clear_reason_wait(session, user.id)
        return await _press(session, context, user, None)
    if member.status != "pending":
        await clear_reason_wait(session, user.id)
        return [await _already_decided(session, member)]
    return await _decide(
        session, context, user, member, approve=False, reason=stored_reason_for_text(text)
    )


async def cancel_then_registration(update: Update, context: BotContext) -> None:
    """/anulo: a rejection waiting for its reason is dropped first; else the registration."""
    user = update.effective_user
    assert user is not None and update.effective_chat is not None
    async with context.db.write() as session:
        dropped = await clear_reason_wait(session, user.id)
    if not dropped:
        await registration.cancel(update, context)
        return
    reply = Reply(_("All right: the application stays pending."))
    await send_replies(context, update.effective_chat.id, [reply])


async def pending_command(update: Update, context: BotContext) -> None:
    """/ne_pritje (/pending)."""
    await pending.show_page(update, context, 0, None)
