"""What a chair (or a coordinator, or national staff) may do to a confirmed membership in
their scope (issue 15): end it with a reason, or move it to another municipality, which
that municipality's deciders accept or decline. The member is told in their language;
every act is audited with ids only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.callbacks import pack
from domain.i18n import N_, _, use_language
from domain.permissions import Grant, RoleKind, covers, scope_of
from storage import audit, outbox
from storage.accounts import language_of as stored_language
from storage.models import Member
from storage.roles import holders
from usecases.keyboards import inline
from usecases.services import Services

MOVE_PREFIX = "mv"

END_REASONS: dict[str, str] = {
    "asked": N_("at the member's own request"),
    "left": N_("the member left the party"),
    "deceased": N_("the member passed away"),
    "duplicate": N_("a duplicate entry"),
}


def may_act(grants: list[Grant], member: Member, services: Services) -> bool:
    place = services.places[member.municipality_id]
    return covers(scope_of(grants), municipality_id=place.id, county_id=place.county_id)


async def end_membership(
    session: AsyncSession,
    services: Services,
    member: Member,
    actor_id: int,
    reason_code: str,
    now: datetime,
) -> bool:
    """End a confirmed membership; False when it is not one (any more) or the reason is
    not one of ours (forged)."""
    if member.status != "approved" or reason_code not in END_REASONS:
        return False
    member.status = "ended"
    member.decided_at = now
    member.decided_by = actor_id
    member.rejection_reason = f"end:{reason_code}"
    member.move_to_id = None
    member.move_asked_by = None
    await audit.record(
        session,
        at=now,
        actor_id=actor_id,
        action="membership.ended",
        subject_kind="member",
        subject_id=member.id,
        detail={"reason": reason_code},
    )
    place = services.places[member.municipality_id]
    language = await stored_language(session, member.telegram_id, member.language)
    with use_language(language):
        text = _(
            "Your membership in the branch of {municipality} ({number}) has been ended: "
            "{reason}. If you think this is a mistake, talk to your branch chair."
        ).format(
            municipality=place.name,
            number=member.membership_number or "—",
            reason=_(END_REASONS[reason_code]),
        )
    await outbox.enqueue(
        session,
        chat_id=member.telegram_id,
        method="sendMessage",
        payload={"text": text},
        now=now,
        ref_kind="membership",
        ref_id=member.id,
        priority=2,
    )
    return True


async def ask_move(
    session: AsyncSession,
    services: Services,
    member: Member,
    actor_id: int,
    municipality_id: int,
    now: datetime,
) -> int:
    """Ask the target municipality's deciders to accept the member; how many were asked
    (0: not a confirmed member, the same municipality, or nobody to ask)."""
    if (
        member.status != "approved"
        or municipality_id not in services.places
        or municipality_id == member.municipality_id
    ):
        return 0
    target = services.places[municipality_id]
    deciders = await holders(session, RoleKind.CHAIR, municipality_id=municipality_id)
    if not deciders:
        deciders = await holders(session, RoleKind.COORDINATOR, county_id=target.county_id)
    if not deciders:
        deciders = await holders(session, RoleKind.ADMIN)
    recipients = sorted({r.telegram_id for r in deciders} - {actor_id})
    if not recipients:
        return 0
    member.move_to_id = municipality_id
    member.move_asked_by = actor_id
    await audit.record(
        session,
        at=now,
        actor_id=actor_id,
        action="membership.move_asked",
        subject_kind="member",
        subject_id=member.id,
        detail={"to": municipality_id},
    )
    source = services.places[member.municipality_id]
    for recipient in recipients:
        language = await stored_language(session, recipient, services.settings.default_language)
        with use_language(language):
            # No name: the member is not the branch's until it accepts.
            text = _(
                "The branch of {source} asks to move member {number} to {target}. Accept "
                "them into your branch?"
            ).format(
                source=source.name,
                number=member.membership_number or member.id,
                target=target.name,
            )
            markup = inline(
                [
                    [
                        (_("✅ Accept"), pack(MOVE_PREFIX, "ok", member.id)),
                        (_("❌ Decline"), pack(MOVE_PREFIX, "no", member.id)),
                    ]
                ]
            ).to_dict()
        await outbox.enqueue(
            session,
            chat_id=recipient,
            method="sendMessage",
            payload={"text": text, "reply_markup": markup},
            now=now,
            ref_kind="move",
            ref_id=member.id,
            priority=1,
        )
    return len(recipients)


async def answer_move(
    session: AsyncSession,
    services: Services,
    member: Member,
    actor_id: int,
    grants: list[Grant],
    accept: bool,
    now: datetime,
) -> bool:
    """The target branch's answer; only someone covering the target municipality may
    give it, and only while the move is asked."""
    target_id = member.move_to_id
    if target_id is None or member.status != "approved" or target_id not in services.places:
        return False
    target = services.places[target_id]
    if not covers(scope_of(grants), municipality_id=target.id, county_id=target.county_id):
        return False
    asked_by = member.move_asked_by
    source = services.places[member.municipality_id]
    if accept:
        member.municipality_id = target_id
    member.move_to_id = None
    member.move_asked_by = None
    await audit.record(
        session,
        at=now,
        actor_id=actor_id,
        action="membership.moved" if accept else "membership.move_declined",
        subject_kind="member",
        subject_id=member.id,
        detail={"from": source.id, "to": target_id},
    )
    if accept:
        language = await stored_language(session, member.telegram_id, member.language)
        with use_language(language):
            text = _(
                "You now belong to the branch of {municipality}; your membership number stays "
                "{number}."
            ).format(municipality=target.name, number=member.membership_number or "—")
        await outbox.enqueue(
            session,
            chat_id=member.telegram_id,
            method="sendMessage",
            payload={"text": text},
            now=now,
            ref_kind="membership",
            ref_id=member.id,
            priority=2,
        )
    if asked_by is not None:
        language = await stored_language(session, asked_by, services.settings.default_language)
        with use_language(language):
            outcome = (
                _("The branch of {target} accepted member {number}.")
                if accept
                else _("The branch of {target} declined to take member {number}.")
            ).format(target=target.name, number=member.membership_number or member.id)
        await outbox.enqueue(
            session,
            chat_id=asked_by,
            method="sendMessage",
            payload={"text": outcome},
            now=now,
            ref_kind="move",
            ref_id=member.id,
            priority=1,
        )
    return True
