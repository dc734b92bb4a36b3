"""Deciding applications: Approve in one tap, Reject with a reason (a button or typed).

Callback data (`app:v1:<action>:<member id>[:<reason code or list page>]`) is untrusted:
each press re-reads the presser's active roles and fetches the application through a
scoped query, so a forged id, another municipality's application or a revoked role decides
nothing (and is audited).

Every press gets a visible answer where it was made: a card is edited by the outbox (with
every other copy), the /ne_pritje list is redrawn with the outcome on top, a reason prompt
is edited to the outcome, and a typed reason is answered with the outcome.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update, User

from bot.context import BotContext
from bot.domain.callbacks import CallbackData, pack
from bot.domain.decisions import (
    REJECTION_REASONS,
    stored_reason_for_code,
    stored_reason_for_text,
)
from bot.domain.permissions import scope_of
from bot.i18n import _, format_moment
from bot.notifications import application_decided, outcome_line
from handlers import pending, registration
from handlers.replies import Reply, answer_press, inline, send_replies
from storage import audit
from storage.applications import application_in_scope, decide
from storage.decision_drafts import (
    clear_reason_wait,
    reason_wait,
    remember_prompt,
    wait_for_reason,
)
from storage.models import Member
from storage.roles import active_grants, active_roles, holder_name_of

PREFIX = "app"
# A typed message long after Reject was pressed is not taken as the reason: the decider
# has most likely moved on, and "hello" must not become what a member reads as the reason.
REASON_WAIT = timedelta(hours=1)


async def on_button(update: Update, context: BotContext) -> None:
    """Approve, Reject, a reason, Keep (changed my mind), or a page of the pending list."""
    press = await answer_press(update, PREFIX)
    user, data, message_id = press.user, press.data, press.message_id
    if data is not None and data.action == "page":
        await pending.show_page(update, context, data.int_arg(0) or 0, message_id)
        return
    if data is not None and data.action == "list":
        # From a burst summary: the list comes as a new message, the summary keeps counting.
        await pending.show_page(update, context, 0, None)
        return
    async with context.transaction() as session:
        replies = await _press(session, context, user, data, message_id)
    page = list_page(data)
    if page is not None and message_id is not None and len(replies) == 1 and not replies[0].markup:
        # Pressed on the /ne_pritje list: redraw it, the outcome (or refusal) on top.
        await pending.show_page(update, context, page, message_id, notice=replies[0].text)
    else:
        sent = await send_replies(context, press.chat_id, replies)
        member_id = data.int_arg(0) if data is not None else None
        if data is not None and data.action == "reject" and member_id and sent and sent[0]:
            # Kept on the reason wait, if the press started one (a refusal leaves none).
            async with context.db.write() as session:
                await remember_prompt(session, user.id, member_id, sent[0])
    if context.services.outbox is not None:
        context.services.outbox.wake()


def list_page(data: CallbackData | None) -> int | None:
    """The list page a press came from: list buttons carry it after the id, cards do not."""
    if data is None or data.action not in ("approve", "reject"):
        return None
    return data.int_arg(1)


async def _press(
    session: AsyncSession,
    context: BotContext,
    user: User,
    data: CallbackData | None,
    message_id: int | None,
) -> list[Reply]:
    member_id = data.int_arg(0) if data is not None else None
    scope = scope_of(await active_grants(session, user.id))
    member = None
    if member_id is not None and not scope.empty:
        member = await application_in_scope(session, scope, member_id)
    # Nobody decides their own membership (a chair applying in their own municipality).
    own = member is not None and member.telegram_id == user.id
    if data is None or member is None or own:
        await audit.record(
            session,
            at=context.clock.now(),
            actor_id=user.id,
            action="decision.refused",
            subject_kind="member",
            subject_id=member_id,
            detail={"action": data.action if data else None, "has_role": not scope.empty}
            | ({"own": True} if own else {}),
        )
        return [
            Reply(
                _(
                    "You cannot decide this application: it is no longer available, or it is "
                    "outside the area of your role."
                )
            )
        ]
    # A prompt (reason buttons, Keep) is answered in place; a card gets a new message.
    in_place = message_id if data.action in ("reason", "keep") else None
    if member.status != "pending":
        await clear_reason_wait(session, user.id, member.id)
        return [await _already_decided(session, member, in_place)]
    if data.action == "approve":
        won, outcome = await _decide(session, context, user, member, approve=True, reason=None)
        # On a card the outbox edits every copy (this one too): no message needed, unless
        # another decider got there first (possible on PostgreSQL, where both read
        # 'pending'); the list is redrawn with the outcome.
        return [Reply(outcome)] if list_page(data) is not None or not won else []
    if data.action == "reject":
        await wait_for_reason(session, user.id, member.id, context.clock.now())
        return [_ask_reason(member)]
    if data.action == "reason" and len(data.args) > 1:
        reason = stored_reason_for_code(data.args[1])
        if reason is not None:
            _won, outcome = await _decide(
                session, context, user, member, approve=False, reason=reason
            )
            return [Reply(outcome, None, in_place)]
    if data.action == "keep":
        await clear_reason_wait(session, user.id, member.id)
        return [Reply(_("All right: the application stays pending."), None, in_place)]
    return [Reply(_("That button is no longer active."))]


def _ask_reason(member: Member) -> Reply:
    rows = [
        [(_(label), pack(PREFIX, "reason", member.id, code))]
        for code, label in REJECTION_REASONS.items()
    ]
    rows.append([(_("« Do not reject"), pack(PREFIX, "keep", member.id))])
    text = _(
        "Why are you rejecting application no. {id} ({name})? Pick a reason or type it in a "
        "message. The applicant will read it."
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
) -> tuple[bool, str]:
    """Decide, or find it decided already: (won, the text telling the presser what happened)."""
    now = context.clock.now()
    decision = await decide(
        session, member, approve=approve, decider_id=user.id, reason=reason, now=now
    )
    await clear_reason_wait(session, user.id, member.id)
    if not decision.won:
        return False, (await _already_decided(session, decision.member, None)).text
    # Remembered on the roles so a late presser can be told who decided.
    name = user.full_name
    for role in await active_roles(session, user.id):
        role.holder_name = name
    # Ids and codes only: a typed reason may name people, so only its kind is logged.
    kind = None if approve else (reason if reason and reason.startswith("code:") else "text")
    detail = {"reason": kind} if kind else None
    await audit.record(
        session,
        at=now,
        actor_id=user.id,
        action="decision.approved" if approve else "decision.rejected",
        subject_kind="member",
        subject_id=member.id,
        detail=detail,
    )
    await application_decided(session, context.services, decision.member, name)
    return True, outcome_line(decision.member, name)


async def _already_decided(session: AsyncSession, member: Member, edit_id: int | None) -> Reply:
    """Tell a late presser who decided and when."""
    name = await holder_name_of(session, member.decided_by) or _("another officer")
    when = format_moment(member.decided_at) if member.decided_at else ""
    if member.status == "approved":
        text = _("Application no. {id} was already approved by {name} on {when}.")
    elif member.status == "rejected":
        text = _("Application no. {id} was already rejected by {name} on {when}.")
    else:
        text = _("Application no. {id} is no longer pending.")
    return Reply(text.format(id=member.id, name=name, when=when), None, edit_id)


async def message_then_registration(update: Update, context: BotContext) -> None:
    """A typed message: the reason of a rejection in progress, else a registration answer."""
    user = update.effective_user
    message = update.effective_message
    assert user is not None and message is not None and update.effective_chat is not None
    now = context.clock.now()
    wake = False
    async with context.transaction() as session:
        waiting = await reason_wait(session, user.id)
        if waiting is None:
            # Most messages: a member's answer, in this same transaction.
            replies = await registration.answer(session, context, update)
        elif waiting.created_at < now - REASON_WAIT:
            # Stale: ask again (with the buttons) rather than take this message as the reason.
            await clear_reason_wait(session, user.id)
            again = CallbackData(PREFIX, 1, "reject", (str(waiting.member_id),))
            replies = await _press(session, context, user, again, None)
        elif not message.text or stored_reason_for_text(message.text) is None:
            replies = [Reply(_("Please type the reason as a text message, or send /anulo."))]
        else:
            prompt_id = waiting.prompt_message_id
            replies = await _typed_reason(session, context, user, waiting.member_id, message.text)
            if prompt_id is not None and replies:
                # The prompt shows the outcome too, its buttons gone, as after a reason button.
                replies.insert(0, Reply(replies[-1].text, None, prompt_id))
        wake = waiting is not None
    await send_replies(context, update.effective_chat.id, replies)
    if wake and context.services.outbox is not None:
        context.services.outbox.wake()


async def _typed_reason(
    session: AsyncSession, context: BotContext, user: User, member_id: int, text: str
) -> list[Reply]:
    """A typed reason goes through the same checks as a button press."""
    data = CallbackData(PREFIX, 1, "typed", (str(member_id),))
    scope = scope_of(await active_grants(session, user.id))
    member = await application_in_scope(session, scope, member_id)
    if member is None or member.status != "pending" or member.telegram_id == user.id:
        await clear_reason_wait(session, user.id)
        return await _press(session, context, user, data, None)
    reason = stored_reason_for_text(text)
    _won, outcome = await _decide(session, context, user, member, approve=False, reason=reason)
    return [Reply(outcome)]


async def cancel_then_registration(update: Update, context: BotContext) -> None:
    """/anulo: a rejection waiting for its reason is dropped first; else the registration."""
    user = update.effective_user
    assert user is not None and update.effective_chat is not None
    async with context.transaction() as session:
        dropped = await clear_reason_wait(session, user.id)
    if not dropped:
        await registration.cancel(update, context)
        return
    reply = Reply(_("All right: the application stays pending."))
    await send_replies(context, update.effective_chat.id, [reply])


async def pending_command(update: Update, context: BotContext) -> None:
    """/ne_pritje (/pending)."""
    await pending.show_page(update, context, 0, None)
