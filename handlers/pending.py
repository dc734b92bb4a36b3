"""/ne_pritje: the applications an officer may decide, a page at a time, in one message.

One message per page (edited when paging) rather than one per application: a chair with
hundreds waiting would otherwise wait minutes for Telegram's per-chat limit. Its buttons
carry the page, so a decision taken from the list redraws the list in place (the outcome
on top, the decided application gone) instead of leaving stale buttons behind.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from domain.callbacks import pack
from domain.i18n import _, format_count
from domain.permissions import reading_roles, scope_of
from handlers.context import BotContext
from handlers.replies import Reply, send_replies
from storage import audit, outbox
from storage.applications import LIST_PAGE_REF, pending_in_scope
from storage.members import entries_sharing_phone
from storage.models import Member
from storage.roles import active_grants
from usecases.keyboards import inline
from usecases.notifications import application_card

PAGE_SIZE = 5
LIST_REF = LIST_PAGE_REF
# Page numbers come from buttons, which anyone can forge ("app:v1:page:9223372036854775807"
# made the offset overflow the database's integer): clamped here, and a page past the end
# shows the last one.
MAX_PAGE = 100_000


def page_number(value: int | None) -> int:
    """A page number from a button, within 0…MAX_PAGE."""
    return min(max(value or 0, 0), MAX_PAGE)


async def show_page(
    update: Update,
    context: BotContext,
    page: int,
    edit_message_id: int | None,
    *,
    notice: str | None = None,
) -> None:
    """Send (or, with `edit_message_id`, redraw) one page; `notice` goes on top."""
    user = update.effective_user
    assert user is not None and update.effective_chat is not None
    page = page_number(page)
    async with context.transaction() as session:
        reply = await _page_or_refusal(session, context, user.id, page, edit_message_id, notice)
    # Sent after the commit, never inside the write transaction (handlers/replies.py).
    chat_id = update.effective_chat.id
    (message_id,) = await send_replies(context, chat_id, [reply])
    if message_id is not None and reply.markup is not None and message_id != edit_message_id:
        # A page shows names and phones: remembered, so that a revoked role's pages can be
        # edited to a text without them (usecases/role_end.py).
        async with context.writing() as session:
            await outbox.record_shown(
                session,
                chat_id=chat_id,
                message_id=message_id,
                ref_kind=LIST_REF,
                now=context.clock.now(),
            )


async def _page_or_refusal(
    session: AsyncSession,
    context: BotContext,
    user_id: int,
    page: int,
    edit_message_id: int | None,
    notice: str | None,
) -> Reply:
    grants = await active_grants(session, user_id)
    scope = scope_of(grants)
    if scope.empty:
        await audit.record(
            session, at=context.clock.now(), actor_id=user_id, action="pending.refused"
        )
        text = _("This list is for branch chairs, coordinators and national staff.")
        # A new message: a forged press must not overwrite whatever it was pressed on.
        return Reply(_on_top(notice, text))
    offset = page * PAGE_SIZE
    members, total = await pending_in_scope(session, scope, limit=PAGE_SIZE, offset=offset)
    if not members and total:
        # Past the end (an old Next button, the last item of the last page decided):
        # show the last page rather than an empty one.
        page = (total - 1) // PAGE_SIZE
        offset = page * PAGE_SIZE
        members, total = await pending_in_scope(session, scope, limit=PAGE_SIZE, offset=offset)
    # Reading personal records is audited: who, when, which page, how many rows.
    await audit.record(
        session,
        at=context.clock.now(),
        actor_id=user_id,
        action="pending.viewed",
        detail={"page": page, "rows": len(members), "ids": [m.id for m in members]},
    )
    # And each entry shown, with the role it was read in: the member's "who looked".
    places = context.places
    reads = reading_roles(
        grants, ((m.id, m.municipality_id, places[m.municipality_id].county_id) for m in members)
    )
    await audit.record_reads(
        session, at=context.clock.now(), actor_id=user_id, action="read.pending_list", reads=reads
    )
    shared = [await entries_sharing_phone(session, m) for m in members]
    return _render(context, members, shared, total, page, edit_message_id, notice)


def _on_top(notice: str | None, text: str) -> str:
    return f"{notice}\n\n{text}" if notice else text


def _render(
    context: BotContext,
    members: list[Member],
    shared: list[int],
    total: int,
    page: int,
    edit_message_id: int | None,
    notice: str | None,
) -> Reply:
    if total == 0:
        text = _("Nothing is waiting for a decision. Well done!")
        return Reply(_on_top(notice, text), None, edit_message_id)
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    now = context.clock.now()
    header = _("Waiting for a decision: {count} (page {page} of {pages})").format(
        count=format_count(total), page=page + 1, pages=pages
    )
    cards = [
        application_card(context.services, member, now, phone_shared=count)
        for member, count in zip(members, shared, strict=True)
    ]
    rows = [
        [
            (_("✅ Approve no. {id}").format(id=m.id), pack("app", "approve", m.id, page)),
            (_("❌ Reject no. {id}").format(id=m.id), pack("app", "reject", m.id, page)),
        ]
        for m in members
    ]
    navigation = []
    if page > 0:
        navigation.append((_("« Previous"), pack("app", "page", page - 1)))
    if page + 1 < pages:
        navigation.append((_("Next »"), pack("app", "page", page + 1)))
    if navigation:
        rows.append(navigation)
    text = "\n\n".join([_on_top(notice, header), *cards])
    return Reply(text, inline(rows), edit_message_id)
