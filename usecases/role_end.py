"""A role ends the moment it is revoked (design §8): the former holder's queued cards are
dropped, their sent cards are edited to a line without personal data, they are told, and
the applications only they could decide go to the next level at once."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from domain.i18n import N_, _, use_language
from domain.permissions import RoleKind, Scope, scope_of
from storage import outbox
from storage.applications import (
    APPLICATION_REF,
    LIST_PAGE_REF,
    application_in_scope,
    pending_in_scope,
)
from storage.models import Role
from storage.roles import active_grants, grant_of
from usecases.bursts import SUMMARY_REF
from usecases.notifications import (
    deciders_for,
    language_of,
    no_chair_note,
    send_card,
    withdraw_cards,
)
from usecases.services import Services

#: Enough for any municipality or county at once; the reminders job catches the rest.
ESCALATE_AT_MOST = 2000


async def role_ended(
    session: AsyncSession, services: Services, role: Role, *, tell: bool = True
) -> None:
    """After `role` was revoked (in the same transaction)."""
    now = services.clock.now()
    telegram_id = role.telegram_id
    await withdraw_cards(session, telegram_id)
    scope = scope_of(await active_grants(session, telegram_id))
    language = await language_of(session, services, telegram_id)
    with use_language(language):
        gone_card = _("This card is no longer available: your role has ended.")
        gone_list = _("This list is no longer available: your role has ended.")
    shown = (APPLICATION_REF, SUMMARY_REF, LIST_PAGE_REF)
    for delivery in await outbox.sent_to(session, telegram_id, shown):
        if delivery.ref_kind == APPLICATION_REF and delivery.ref_id is not None:
            if not scope.empty and await application_in_scope(session, scope, delivery.ref_id):
                continue  # still theirs through another role
        elif not scope.empty:
            continue  # a summary or a list page stays while they decide something
        gone = gone_list if delivery.ref_kind == LIST_PAGE_REF else gone_card
        await outbox.enqueue_edit(session, original_id=delivery.id, payload={"text": gone}, now=now)
    if tell:
        with use_language(language):
            text = _(
                "Your role has ended: {role}. You will no longer receive applications or see "
                "members' data. Thank you for your work."
            ).format(role=_(ROLE_NAMES[RoleKind(role.kind)]))
        await outbox.enqueue(
            session,
            chat_id=telegram_id,
            method="sendMessage",
            payload={"text": text},
            now=now,
            ref_kind="role_ended",
            ref_id=role.id,
            dedupe_key=f"role_ended:{role.id}",
            priority=1,
        )
    await _escalate(session, services, scope_of([grant_of(role)]))


ROLE_NAMES = {
    RoleKind.CHAIR: N_("branch chair"),
    RoleKind.COORDINATOR: N_("county coordinator"),
    RoleKind.ADMIN: N_("national staff"),
}


async def _escalate(session: AsyncSession, services: Services, former: Scope) -> None:
    """Pending applications of the former scope reach whoever decides them now."""
    members, _total = await pending_in_scope(session, former, limit=ESCALATE_AT_MOST)
    now = services.clock.now()
    for member in members:
        deciders = await deciders_for(session, member, services)
        note = no_chair_note(deciders)
        # The dedupe key per application and recipient: who already has the card gets no
        # second one.
        for decider in sorted(deciders, key=lambda d: d.telegram_id):
            await send_card(session, services, member, decider, note=note, now=now)
