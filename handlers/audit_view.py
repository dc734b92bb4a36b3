"""/auditimi (/audit): the audit for national admins, newest first, filtered by actor and
by a family of actions (reads, decisions, exports, roles, refusals, members' own acts).

`/auditimi 5001` shows one actor; buttons switch the family and page. Callback data holds
only the page, the actor id and the family's index (`aud:v1:p:<page>:<actor>:<family>`),
and every press re-reads that the presser is an admin. Lines carry ids, never a member's
name or phone: the audit holds none.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from domain.callbacks import pack
from domain.i18n import N_, _, format_count, format_moment
from domain.permissions import scope_of
from handlers.context import BotContext
from handlers.replies import Reply, answer_press, send_replies
from storage import audit
from storage.audit_queries import FAMILIES, audit_page
from storage.roles import active_grants
from usecases.keyboards import inline

PREFIX = "aud"
PAGE_SIZE = 15
MAX_PAGE = 100_000

FAMILY_NAMES = {
    "all": N_("All"),
    "reads": N_("Reads"),
    "decisions": N_("Decisions"),
    "exports": N_("Exports"),
    "roles": N_("Roles"),
    "refused": N_("Refused"),
    "members": N_("Members' acts"),
}


async def audit_command(update: Update, context: BotContext) -> None:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    first = (context.args or [""])[0]
    actor = int(first) if first.isdigit() else 0
    async with context.transaction() as session:
        reply = await _view(session, context, user.id, 0, actor, 0, None)
    await send_replies(context, chat.id, [reply])


async def on_button(update: Update, context: BotContext) -> None:
    press = await answer_press(update, PREFIX)
    data = press.data
    page = min(max(data.int_arg(0) or 0, 0), MAX_PAGE) if data else 0
    actor = max(data.int_arg(1) or 0, 0) if data else 0
    family = data.int_arg(2) or 0 if data else 0
    async with context.transaction() as session:
        reply = await _view(session, context, press.user.id, page, actor, family, press.message_id)
    await send_replies(context, press.chat_id, [reply])


async def _view(
    session: AsyncSession,
    context: BotContext,
    viewer_id: int,
    page: int,
    actor: int,
    family: int,
    edit_message_id: int | None,
) -> Reply:
    if not scope_of(await active_grants(session, viewer_id)).national:
        await audit.record(
            session, at=context.clock.now(), actor_id=viewer_id, action="audit.refused"
        )
        return Reply(_("The audit is for national staff."))
    family = family if 0 <= family < len(FAMILIES) else 0
    events, total = await audit_page(
        session,
        actor_id=actor or None,
        family=family,
        limit=PAGE_SIZE,
        offset=page * PAGE_SIZE,
    )
    await audit.record(
        session,
        at=context.clock.now(),
        actor_id=viewer_id,
        action="audit.viewed",
        detail={"actor": actor or None, "family": FAMILIES[family][0], "page": page},
    )
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    heading = _("Audit — {family}{actor}: {count} events (page {page} of {pages})").format(
        family=_(FAMILY_NAMES[FAMILIES[family][0]]),
        actor=_(", actor {id}").format(id=actor) if actor else "",
        count=format_count(total),
        page=min(page, pages - 1) + 1,
        pages=pages,
    )
    lines = [heading]
    for event in events:
        subject = f" {event.subject_kind} {event.subject_id}" if event.subject_kind else ""
        lines.append(
            f"{format_moment(event.at)} — {event.actor_id or '·'} — {event.action}{subject}"
        )
    chips = [
        (
            ("• " if index == family else "") + _(FAMILY_NAMES[name]),
            pack(PREFIX, "p", 0, actor, index),
        )
        for index, (name, _patterns) in enumerate(FAMILIES)
    ]
    rows = [chips[i : i + 4] for i in range(0, len(chips), 4)]
    navigation = []
    if page > 0:
        navigation.append((_("« Previous"), pack(PREFIX, "p", page - 1, actor, family)))
    if page + 1 < pages:
        navigation.append((_("Next »"), pack(PREFIX, "p", page + 1, actor, family)))
    if navigation:
        rows.append(navigation)
    return Reply("\n".join(lines), inline(rows), edit_message_id)
