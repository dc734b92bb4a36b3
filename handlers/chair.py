"""Deciding applications: Approve in one tap, Reject with a reason (a button or typed).

Callback data (`app:v1:<action>:<member id>[:<reason code or list page>]`) is untrusted:
each press re-reads the presser's active roles and fetches the application through a
scoped query, so a forged id, another municipality's application or a revoked role decides
nothing (and is audited).

Every press gets a visible answer where it was made: a card is edited by the outbox (with
every other copy), the /ne_pritje list is redrawn with the outcome on top, and a reason
prompt or a typed reason shown back (handlers/rejection.py) is edited to the outcome.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update, User

from domain.callbacks import CallbackData
from domain.decisions import officer_name, stored_reason_for_code, stored_reason_for_text
from domain.i18n import _, format_moment
from domain.permissions import Scope, scope_of
from handlers import decision_texts as texts
from handlers import pending
from handlers.context import BotContext
from handlers.replies import Reply, answer_press, send_replies
from handlers.turn import current_update
from storage import audit
from storage.applications import application_in_scope, decide
from storage.models import Member
from storage.reason_waits import (
    clear_reason_wait,
    hold_reason,
    reason_wait,
    remember_prompt,
    wait_for_reason,
)
from storage.roles import active_grants, active_roles, holder_name_of
from usecases.notifications import application_decided, outcome_notice

PREFIX = texts.PREFIX


async def on_button(update: Update, context: BotContext) -> None:
    """Approve, Reject, a reason, Keep (changed my mind), Send or Change under a typed
    reason shown back, or a page of the pending list."""
    press = await answer_press(update, PREFIX)
    user, data, message_id = press.user, press.data, press.message_id
    if data is not None and data.action == "page":
        await pending.show_page(update, context, pending.page_number(data.int_arg(0)), message_id)
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
        asked = data is not None and data.action in ("reject", "change")
        if asked and member_id and sent and sent[-1]:
            # Kept on the reason wait, if the press started one (a refusal leaves none).
            async with context.writing() as session:
                await remember_prompt(session, user.id, member_id, sent[-1])


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
        action = data.action if data is not None else None
        return [await refuse(session, context, user.id, member_id, action, scope, own=own)]
    # A prompt (reason buttons, Keep) is answered in place; a card gets a new message.
    in_place = message_id if data.action in ("reason", "keep", "send", "change") else None
    if member.status != "pending":
        await clear_reason_wait(session, user.id, member.id)
        return [await already_decided(session, member, in_place)]
    if data.action == "approve":
        won, outcome = await _decide(session, context, user, member, approve=True, reason=None)
        # On a card the outbox edits every copy (this one too): no message needed, unless
        # another decider got there first (possible on PostgreSQL, where both read
        # 'pending'); the list is redrawn with the outcome.
        return [Reply(outcome)] if list_page(data) is not None or not won else []
    if data.action == "reject":
        await wait_for_reason(session, user.id, member.id, context.clock.now(), _update_id())
        return [texts.ask_reason(member)]
    if data.action == "reason" and len(data.args) > 1:
        reason = stored_reason_for_code(data.args[1])
        if reason is not None:
            _won, outcome = await _decide(
                session, context, user, member, approve=False, reason=reason
            )
            return [Reply(outcome, None, in_place)]
    if data.action == "keep":
        await clear_reason_wait(session, user.id, member.id)
        return [texts.kept_pending(in_place)]
    if data.action in ("send", "change"):
        return await _typed_reason_press(session, context, user, member, data.action, in_place)
    return [Reply(_("That button is no longer active."))]


async def _typed_reason_press(
    session: AsyncSession,
    context: BotContext,
    user: User,
    member: Member,
    action: str,
    in_place: int | None,
) -> list[Reply]:
    """«Send» or «Change» under a typed reason shown back (handlers/rejection.py)."""
    waiting = await reason_wait(session, user.id)
    if waiting is None or waiting.member_id != member.id or waiting.reason is None:
        return [Reply(_("That button is no longer active."))]
    if action == "change":
        await hold_reason(session, waiting, None, _update_id())
        return [texts.ask_reason(member, in_place)]
    reason = stored_reason_for_text(waiting.reason)
    _won, outcome = await _decide(session, context, user, member, approve=False, reason=reason)
    return [Reply(outcome, None, in_place)]


def _update_id() -> int | None:
    """The update being handled: a wait for a typed reason starts after it."""
    handling = current_update.get()
    return handling.update_id if handling is not None else None


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
        return False, (await already_decided(session, decision.member, None)).text
    # Remembered on the roles so a late presser can be told who decided: cleaned of
    # invisible characters and bounded to the column (a Telegram name can be longer).
    holder = officer_name(user.full_name)
    if holder is not None:
        for role in await active_roles(session, user.id):
            role.holder_name = holder
    name = holder or _("another officer")
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
    return True, outcome_notice(decision.member, name)


async def refuse(
    session: AsyncSession,
    context: BotContext,
    user_id: int,
    member_id: int | None,
    action: str | None,
    scope: Scope,
    *,
    own: bool = False,
) -> Reply:
    """Refuse a decision (forged, out of scope, one's own application), and audit it."""
    await audit.record(
        session,
        at=context.clock.now(),
        actor_id=user_id,
        action="decision.refused",
        subject_kind="member",
        subject_id=member_id,
        detail={"action": action, "has_role": not scope.empty} | ({"own": True} if own else {}),
    )
    return texts.refused()


async def already_decided(session: AsyncSession, member: Member, edit_id: int | None) -> Reply:
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


async def pending_command(update: Update, context: BotContext) -> None:
    """/ne_pritje (/pending)."""
    await pending.show_page(update, context, 0, None)
