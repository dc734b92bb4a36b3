"""/ne_pritje: the applications an officer may decide, a page at a time, in one message.

One message per page (edited when paging) rather than one per application: a chair with
hundreds waiting would otherwise wait minutes for Telegram's per-chat limit.
"""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.domain.callbacks import pack
from bot.domain.permissions import scope_of
from bot.i18n import _, format_count
from bot.notifications import application_card
from handlers.replies import Reply, inline, send_replies
from storage import audit
from storage.applications import pending_in_scope
from storage.roles import active_grants

PAGE_SIZE = 5


async def show_page(
    update: Update, context: BotContext, page: int, edit_message_id: int | None
) -> None:
    user = update.effective_user
    assert user is not None and update.effective_chat is not None
    page = max(0, page)
    async with context.db.write() as session:
        scope = scope_of(await active_grants(session, user.id))
        if scope.empty:
            await audit.record(
                session, at=context.clock.now(), actor_id=user.id, action="pending.refused"
            )
            reply = Reply(_("This list is for chairs, coordinators and national staff."))
            await send_replies(context, update.effective_chat.id, [reply])
            return
        members, total = await pending_in_scope(
            session, scope, limit=PAGE_SIZE, offset=page * PAGE_SIZE
        )
        # Reading personal records is audited: who, when, which page, how many rows.
        await audit.record(
            session,
            at=context.clock.now(),
            actor_id=user.id,
            action="pending.viewed",
            detail={"page": page, "rows": len(members), "ids": [m.id for m in members]},
        )
    if total == 0:
        reply = Reply(_("Nothing is waiting for a decision. Well done!"), None, edit_message_id)
        await send_replies(context, update.effective_chat.id, [reply])
        return
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(page, pages - 1)
    now = context.clock.now()
    header = _("Waiting for a decision: {count} (page {page} of {pages})").format(
        count=format_count(total), page=page + 1, pages=pages
    )
    cards = [application_card(context.services, member, now) for member in members]
    rows = [
        [
            (_("✅ Approve no. {id}").format(id=m.id), pack("app", "approve", m.id)),
            (_("❌ Reject no. {id}").format(id=m.id), pack("app", "reject", m.id)),
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
    text = "\n\n".join([header, *cards])
    reply = Reply(text, inline(rows), edit_message_id)
    await send_replies(context, update.effective_chat.id, [reply])
