"""Messages the bot sends on its own initiative about applications, written to the outbox.

Each is rendered in its recipient's language and queued in the transaction of the change
that caused it, so "decided" and "the member will be told" commit together.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup

from domain.callbacks import pack
from domain.dates import age_on
from domain.decisions import reason_text
from domain.i18n import N_, _, format_day, format_moment, use_language
from domain.permissions import RoleKind, covering_grant, scope_of
from storage import audit, outbox
from storage.accounts import language_of as stored_language
from storage.applications import APPLICATION_REF, application_in_scope
from storage.deciders import Decider, deciders_over
from storage.members import entries_sharing_phone
from storage.models import Delivery, Member
from storage.roles import active_grants, holders
from usecases import bursts
from usecases.keyboards import inline
from usecases.services import Services

APPLICATION = APPLICATION_REF  # the outbox ref_kind of a decider's copy


def decision_buttons(member_id: int) -> InlineKeyboardMarkup:
    return inline(
        [
            [
                (_("✅ Approve"), pack("app", "approve", member_id)),
                (_("❌ Reject"), pack("app", "reject", member_id)),
            ]
        ]
    )


def application_card(
    services: Services, member: Member, now: datetime, *, phone_shared: int = 0
) -> str:
    """The application as a decider reads it, in the current language.

    `phone_shared`: how many other active entries carry the same number. The applicant is
    never told (a stranger could test numbers), so the decider is.
    """
    import phonenumbers

    place = services.places[member.municipality_id]
    phone = phonenumbers.format_number(
        phonenumbers.parse(member.phone_e164, None),
        phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    )
    verified = _(" (verified by Telegram)") if member.phone_verified else ""
    card = _(
        "Application no. {id} — municipality of {municipality}\n"
        "Name: {name}\n"
        "Date of birth: {birth_date} (age {age})\n"
        "Phone: {phone}{verified}\n"
        "Submitted: {submitted}"
    ).format(
        id=member.id,
        municipality=place.name,
        name=member.full_name,
        birth_date=format_day(member.birth_date),
        age=age_on(member.birth_date, now.date()),
        phone=phone,
        verified=verified,
        submitted=format_moment(member.submitted_at),
    )
    if phone_shared:
        card += "\n" + _(
            "⚠️ Another entry of the register has the same phone number. A typed number is "
            "not verified: check with the applicant before approving."
        )
    return card


async def card_for(session: AsyncSession, services: Services, member: Member, now: datetime) -> str:
    """`application_card` with the register's facts it needs (the shared-number flag)."""
    shared = await entries_sharing_phone(session, member)
    return application_card(services, member, now, phone_shared=shared)


def outcome_line(member: Member, decider_name: str) -> str:
    """What became of the application, for every decider's copy."""
    assert member.decided_at is not None
    when = format_moment(member.decided_at)
    if member.status == "approved":
        return _("✅ Approved by {name} on {when}. Membership number: {number}.").format(
            name=decider_name, when=when, number=member.membership_number
        )
    return _("❌ Rejected by {name} on {when}. Reason: {reason}").format(
        name=decider_name, when=when, reason=reason_text(member.rejection_reason)
    )


def outcome_notice(member: Member, decider_name: str) -> str:
    """The outcome as a message of its own (not under the card): it names the applicant."""
    heading = _("Application no. {id} ({name}):").format(id=member.id, name=member.full_name)
    return f"{heading} {outcome_line(member, decider_name)}"


async def language_of(session: AsyncSession, services: Services, telegram_id: int) -> str:
    return await stored_language(session, telegram_id, services.settings.default_language)


async def deciders_for(session: AsyncSession, member: Member, services: Services) -> list[Decider]:
    """Who hears of a new application: its chairs; with no chair, at once the county's
    coordinators; with neither, the national admins — with what a card needs about each
    (storage.deciders: one statement).

    The applicant is never among them: a chair applying in their own municipality does not
    decide their own membership (the handler refuses it too), so it goes one level up.
    """
    return await deciders_over(
        session,
        municipality_id=member.municipality_id,
        county_id=services.places[member.municipality_id].county_id,
        applicant_id=member.telegram_id,
        card_ref=APPLICATION,
        summary_ref=bursts.SUMMARY_REF,
        since=services.clock.now() - bursts.QUIET,
    )


async def send_card(
    session: AsyncSession,
    services: Services,
    member: Member,
    decider: Decider,
    *,
    note: str | None,
    now: datetime,
    dedupe_key: str | None = None,
    phone_shared: Callable[[], Awaitable[int]] | None = None,
) -> None:
    """Queue one decider's copy of the application, with the two buttons (or, in a burst,
    bring their summary up to date instead).

    `phone_shared` counts the other entries with the application's number, asked only when
    a card is written (a submission asks once for all its deciders).
    """
    language = decider.language or services.settings.default_language
    if decider.card_queued or decider.summary_id is not None:
        await bursts.refresh_summary(session, services, decider, language, now)
        return
    shared = await (phone_shared or (lambda: entries_sharing_phone(session, member)))()
    with use_language(language):
        card = application_card(services, member, now, phone_shared=shared)
        text = f"{_(note)}\n\n{card}" if note else card
        markup = decision_buttons(member.id).to_dict()
    queued = await outbox.enqueue(
        session,
        chat_id=decider.telegram_id,
        method="sendMessage",
        payload={"text": text, "reply_markup": markup},
        now=now,
        ref_kind=APPLICATION,
        ref_id=member.id,
        dedupe_key=dedupe_key or f"application:{member.id}:to:{decider.telegram_id}",
        priority=1,
    )
    if queued is None:
        return  # they have this card already
    # A card is a read of the record, in the role that brings it (the member's "who looked").
    place = services.places[member.municipality_id]
    grant = covering_grant(
        [decider.grant], municipality_id=member.municipality_id, county_id=place.county_id
    )
    await audit.record_reads(
        session,
        at=now,
        actor_id=decider.telegram_id,
        action="read.card",
        reads=[(member.id, grant)],
    )


def no_chair_note(deciders: list[Decider]) -> str | None:
    """The line above a card that comes to someone only because the place has no chair."""
    if deciders and deciders[0].grant.kind is not RoleKind.CHAIR:
        return N_("This municipality has no branch chair yet, so this application comes to you.")
    return None


async def application_submitted(
    session: AsyncSession, services: Services, member: Member
) -> RoleKind | None:
    """Queue the application to whoever decides it; returns who that is (the member is
    told: a branch chair, a county coordinator or national staff), None if nobody."""
    now = services.clock.now()
    deciders = await deciders_for(session, member, services)
    shared: list[int] = []

    async def phone_shared() -> int:
        if not shared:
            shared.append(await entries_sharing_phone(session, member))
        return shared[0]

    note = no_chair_note(deciders)
    for decider in sorted(deciders, key=lambda d: d.telegram_id):
        await send_card(
            session, services, member, decider, note=note, now=now, phone_shared=phone_shared
        )
    return deciders[0].grant.kind if deciders else None


async def _recount_summaries(
    session: AsyncSession, services: Services, member: Member, now: datetime
) -> None:
    await recount_for_place(session, services, member.municipality_id, now)


async def recount_for_place(
    session: AsyncSession, services: Services, municipality_id: int, now: datetime
) -> None:
    """Deciders whose scope covers this municipality may hold a burst summary: recount it."""
    county_id = services.places[municipality_id].county_id
    roles = [
        *await holders(session, RoleKind.CHAIR, municipality_id=municipality_id),
        *await holders(session, RoleKind.COORDINATOR, county_id=county_id),
        *await holders(session, RoleKind.ADMIN),
    ]
    people = {role.telegram_id for role in roles}
    languages = {person: await language_of(session, services, person) for person in people}
    await bursts.recount(session, services, people, languages, now)


async def still_covers(session: AsyncSession, telegram_id: int, member: Member) -> bool:
    """Whether this person's roles, read now, still cover the application (revoked chairs
    and moved coordinators are no longer told anything about it)."""
    scope = scope_of(await active_grants(session, telegram_id))
    return not scope.empty and await application_in_scope(session, scope, member.id) is not None


async def withdraw_cards(session: AsyncSession, telegram_id: int) -> int:
    """After someone lost a role: cancel their queued cards of applications they no longer
    cover, so personal data meant for the role does not reach the former holder."""
    scope = scope_of(await active_grants(session, telegram_id))
    dropped = []
    for delivery_id, member_id in await outbox.queued_refs_to(session, telegram_id, APPLICATION):
        if scope.empty or await application_in_scope(session, scope, member_id) is None:
            dropped.append(delivery_id)
    return await outbox.cancel_ids(session, dropped, "the recipient no longer holds the role")


async def application_decided(
    session: AsyncSession, services: Services, member: Member, decider_name: str
) -> None:
    """Edit every decider's copy to show the outcome, and tell the member in their language."""
    now = services.clock.now()
    for delivery in await outbox.deliveries_for(session, APPLICATION, member.id):
        if delivery.method != "sendMessage":
            continue
        if not await still_covers(session, delivery.chat_id, member):
            continue  # a former chair's old card is not updated with the outcome
        with use_language(await language_of(session, services, delivery.chat_id)):
            card = await card_for(session, services, member, now)
            text = f"{card}\n\n{outcome_line(member, decider_name)}"
        # No reply_markup: the edit removes the buttons from every copy.
        await outbox.enqueue_edit(session, original_id=delivery.id, payload={"text": text}, now=now)
    place = services.places[member.municipality_id]
    await _recount_summaries(session, services, member, now)
    # The language the member reads now (/gjuha may have changed it since they applied).
    with use_language(await stored_language(session, member.telegram_id, member.language)):
        if member.status == "approved":
            text = _(
                "Congratulations! Your membership has been confirmed by the party branch in "
                "{municipality}. Your membership number is {number}."
            ).format(municipality=place.name, number=member.membership_number)
        else:
            text = _(
                "We are sorry: your membership application (municipality of {municipality}) "
                "was not accepted.\nReason: {reason}\nIf you think this is a mistake, you can "
                "apply again with /start."
            ).format(municipality=place.name, reason=reason_text(member.rejection_reason))
    await outbox.enqueue(
        session,
        chat_id=member.telegram_id,
        method="sendMessage",
        payload={"text": text},
        now=now,
        ref_kind="outcome",
        ref_id=member.id,
        dedupe_key=f"outcome:{member.id}",
        priority=2,
    )


async def sent_cards(session: AsyncSession, member: Member) -> list[Delivery]:
    """The deciders' copies of an application that were sent (or are being sent) to people
    who still cover it: what a later change may edit."""
    found = []
    for delivery in await outbox.deliveries_for(session, APPLICATION, member.id):
        if delivery.method != "sendMessage" or delivery.status not in (outbox.SENT, outbox.SENDING):
            continue
        if await still_covers(session, delivery.chat_id, member):
            found.append(delivery)
    return found


async def cards_say(
    session: AsyncSession,
    services: Services,
    cards: list[Delivery],
    text_for: Callable[[], str],
    now: datetime,
) -> None:
    """Edit each card to one line, without personal data or buttons, in its reader's
    language (`text_for` is called inside it)."""
    for delivery in cards:
        with use_language(await language_of(session, services, delivery.chat_id)):
            text = text_for()
        await outbox.enqueue_edit(session, original_id=delivery.id, payload={"text": text}, now=now)


async def cards_left_without_data(
    session: AsyncSession,
    services: Services,
    member: Member,
    text_for: Callable[[], str],
    now: datetime,
) -> None:
    """Drop the cards not yet sent; edit the sent ones to `text_for`'s line."""
    await outbox.cancel_for_ref(session, APPLICATION, member.id, now=now)
    await cards_say(session, services, await sent_cards(session, member), text_for, now)
