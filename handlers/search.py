"""/kerko (/search): find members in the officer's scope by name or phone; a member card
with the phone masked; revealing the number is a deliberate, audited tap.

Callback data (`srch:v1:page:<search id>:<page>`, `srch:v1:card:<member id>`,
`srch:v1:phone:<member id>`) is untrusted: every press re-reads the presser's roles, a
search id only finds the presser's own search, and a member id outside the scope finds
nothing — the same answer as an id that does not exist.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from domain.callbacks import CallbackData
from domain.i18n import _
from domain.permissions import Grant, reading_roles, scope_of
from domain.search import read_query
from handlers import search_texts as texts
from handlers.context import BotContext
from handlers.replies import Reply, answer_press, send_replies
from storage import audit
from storage.applications import application_in_scope
from storage.models import Member
from storage.roles import active_grants
from storage.search import save_search, saved_search, search_members
from usecases import membership

PREFIX = texts.PREFIX
MOVE_PREFIX = membership.MOVE_PREFIX
MAX_PAGE = 10_000


async def search_command(update: Update, context: BotContext) -> None:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    typed = " ".join(context.args or [])
    async with context.transaction() as session:
        grants = await active_grants(session, user.id)
        if not grants:
            await audit.record(
                session, at=context.clock.now(), actor_id=user.id, action="search.refused"
            )
            reply = texts.officers_only()
        elif read_query(typed).empty:
            reply = texts.how_to_search()
        else:
            search_id = await save_search(session, user.id, typed, context.clock.now())
            reply = await _page(session, context, user.id, grants, typed, search_id, 0, None)
    await send_replies(context, chat.id, [reply])


async def on_button(update: Update, context: BotContext) -> None:
    press = await answer_press(update, PREFIX)
    async with context.transaction() as session:
        grants = await active_grants(session, press.user.id)
        if not grants or press.data is None:
            await audit.record(
                session,
                at=context.clock.now(),
                actor_id=press.user.id,
                action="search.refused",
                detail={"has_role": bool(grants)},
            )
            reply = texts.officers_only()
        else:
            reply = await _press(
                session, context, press.user.id, grants, press.data, press.message_id
            )
    await send_replies(context, press.chat_id, [reply])


async def _press(
    session: AsyncSession,
    context: BotContext,
    actor_id: int,
    grants: list[Grant],
    data: CallbackData,
    message_id: int | None,
) -> Reply:
    if data.action == "page":
        search_id, page = data.int_arg(0), min(max(data.int_arg(1) or 0, 0), MAX_PAGE)
        typed = None if search_id is None else await saved_search(session, search_id, actor_id)
        if typed is None or search_id is None:
            return texts.how_to_search()
        return await _page(session, context, actor_id, grants, typed, search_id, page, message_id)
    member_id = data.int_arg(0)
    member = None
    if member_id is not None:
        member = await application_in_scope(session, scope_of(grants), member_id)
    if member is not None and data.action in MEMBERSHIP_ACTIONS:
        return await _membership(session, context, actor_id, grants, member, data, message_id)
    if member is None or data.action not in ("card", "phone"):
        await audit.record(
            session,
            at=context.clock.now(),
            actor_id=actor_id,
            action="search.refused",
            detail={"action": data.action, "has_role": True},
        )
        return texts.not_found()
    reveal = data.action == "phone"
    action = "read.phone_revealed" if reveal else "read.member_card"
    await _record_reads(session, context, actor_id, grants, action, [member])
    history = await audit.history_of(session, member.id)
    may_act = membership.may_act(grants, member, context.services)
    return texts.card(context.services, member, history, phone_shown=reveal, may_act=may_act)


MEMBERSHIP_ACTIONS = ("end", "endr", "move", "mvc", "mvm")


async def _membership(
    session: AsyncSession,
    context: BotContext,
    actor_id: int,
    grants: list[Grant],
    member: Member,
    data: CallbackData,
    message_id: int | None,
) -> Reply:
    """End a membership or move it: the member is in scope (checked), and re-checked here."""
    services, now = context.services, context.clock.now()
    if member.status != "approved" or not membership.may_act(grants, member, services):
        return texts.not_found()
    if data.action == "end":
        return texts.end_reasons(member, message_id)
    if data.action == "endr":
        if await membership.end_membership(
            session, services, member, actor_id, data.arg(1) or "", now
        ):
            return Reply(
                _("Membership {number} has ended; the member was told.").format(
                    number=member.membership_number or member.id
                ),
                None,
                message_id,
            )
        return texts.not_found()
    if data.action == "move":
        return texts.counties(services, member, message_id)
    if data.action == "mvc" and data.int_arg(1) is not None:
        return texts.municipalities(services, member, data.int_arg(1) or 0, message_id)
    target = data.int_arg(1)
    if data.action == "mvm" and target is not None:
        asked = await membership.ask_move(session, services, member, actor_id, target, now)
        if asked:
            return Reply(
                _("Asked: the branch of {municipality} will accept or decline the move.").format(
                    municipality=services.places[target].name
                ),
                None,
                message_id,
            )
        return Reply(_("That move cannot be asked (nobody there to accept it)."), None, message_id)
    return texts.not_found()


async def on_move_button(update: Update, context: BotContext) -> None:
    """The target branch accepts or declines a move (`mv:v1:ok|no:<member id>`)."""
    press = await answer_press(update, membership.MOVE_PREFIX)
    data = press.data
    async with context.transaction() as session:
        grants = await active_grants(session, press.user.id)
        member_id = data.int_arg(0) if data is not None else None
        member = await session.get(Member, member_id) if member_id is not None else None
        done = False
        if member is not None and data is not None and data.action in ("ok", "no"):
            done = await membership.answer_move(
                session,
                context.services,
                member,
                press.user.id,
                grants,
                data.action == "ok",
                context.clock.now(),
            )
        if not done:
            await audit.record(
                session,
                at=context.clock.now(),
                actor_id=press.user.id,
                action="move.refused",
            )
            reply = Reply(_("This move is not yours to answer, or it was answered already."))
        else:
            reply = Reply(_("Done: your answer was recorded."), None, press.message_id)
    await send_replies(context, press.chat_id, [reply])


async def _page(
    session: AsyncSession,
    context: BotContext,
    actor_id: int,
    grants: list[Grant],
    typed: str,
    search_id: int,
    page: int,
    edit_message_id: int | None,
) -> Reply:
    scope, query = scope_of(grants), read_query(typed)
    size = texts.PAGE_SIZE
    members, total = await search_members(session, scope, query, limit=size, offset=page * size)
    if not members and total:  # past the end: the last page
        page = (total - 1) // size
        members, total = await search_members(session, scope, query, limit=size, offset=page * size)
    await _record_reads(session, context, actor_id, grants, "read.search_result", members)
    return texts.results(context.services, members, total, page, search_id, edit_message_id)


async def _record_reads(
    session: AsyncSession,
    context: BotContext,
    actor_id: int,
    grants: list[Grant],
    action: str,
    members: list[Member],
) -> None:
    places = context.places
    reads = reading_roles(
        grants, ((m.id, m.municipality_id, places[m.municipality_id].county_id) for m in members)
    )
    await audit.record_reads(
        session, at=context.clock.now(), actor_id=actor_id, action=action, reads=reads
    )
