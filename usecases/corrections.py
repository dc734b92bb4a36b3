"""Correcting one's own entry from /te_dhenat (issue 14): one field at a time, checked by
the same parsers as registration.

The field being corrected lives on the account row (read on every turn anyway), with the
update after which the next message is the answer: any other action in between ends it,
as a typed rejection reason does. Effects:
- name, date of birth: the entry changes; a pending application's cards show the change.
- phone: a typed number is unverified; a shared own contact is verified (and must not be
  another account's verified number, which its owner may be told).
- municipality: the application goes to the new municipality's deciders; a confirmed
  membership becomes an application there (the new chair confirms it), the old cards say
  it moved, without personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.dates import DateProblem, parse_birth_date
from domain.i18n import _, format_moment, use_language
from domain.names import NameProblem, parse_full_name
from domain.phones import PhoneProblem, normalize_contact_phone, parse_phone
from domain.places import MatchKind
from domain.registration.events import Contact
from storage import audit, outbox
from storage.accounts import language_of as stored_language
from storage.applications import APPLICATION_REF
from storage.members import verified_phone_in_use
from storage.models import Account, Member
from storage.reason_waits import acted_since
from storage.turn import correcting_at_turn
from usecases.notifications import (
    application_submitted,
    card_for,
    cards_left_without_data,
    decision_buttons,
    recount_for_place,
    still_covers,
)
from usecases.services import Services


class Field(StrEnum):
    NAME = "name"
    BIRTH_DATE = "birth_date"
    PHONE = "phone"
    MUNICIPALITY = "municipality"


@dataclass(frozen=True)
class Corrected:
    field: Field
    member: Member


@dataclass(frozen=True)
class Refused:
    """The answer could not be taken: why (a parser's problem, or a verified clash)."""

    field: Field
    problem: str


@dataclass(frozen=True)
class Choose:
    """A municipality not recognised exactly: the candidates to press."""

    municipality_ids: tuple[int, ...]


Outcome = Corrected | Refused | Choose


async def active_entry(session: AsyncSession, telegram_id: int) -> Member | None:
    return await session.scalar(
        select(Member).where(
            Member.telegram_id == telegram_id, Member.status.in_(("pending", "approved"))
        )
    )


async def start(
    session: AsyncSession, telegram_id: int, field: Field, update_id: int | None, now: datetime
) -> Member | None:
    """Wait for the new value of `field`; None when there is no active entry to correct."""
    member = await active_entry(session, telegram_id)
    account = await session.get(Account, telegram_id)
    if member is None or account is None:
        return None
    account.correcting = field.value
    account.correcting_since = update_id
    return member


async def waiting_field(
    session: AsyncSession, telegram_id: int, update_id: int | None
) -> Field | None:
    """The field whose new value this message is, if the wait is still live."""
    known, field = correcting_at_turn(session, telegram_id)
    if known and field is None:
        return None  # most messages: the turn's read says nothing is being corrected
    account = await session.get(Account, telegram_id)
    if account is None or account.correcting is None:
        return None
    since = account.correcting_since
    if (
        since is not None
        and update_id is not None
        and await acted_since(session, telegram_id, since, update_id)
    ):
        stop(account)
        return None
    try:
        return Field(account.correcting)
    except ValueError:
        stop(account)
        return None


def stop(account: Account) -> None:
    account.correcting = None
    account.correcting_since = None


async def keep_waiting(session: AsyncSession, telegram_id: int, update_id: int | None) -> None:
    """The message was not an answer (a sticker): the next one may still be."""
    account = await session.get(Account, telegram_id)
    if account is not None and account.correcting is not None:
        account.correcting_since = update_id


async def stop_waiting(session: AsyncSession, telegram_id: int) -> bool:
    account = await session.get(Account, telegram_id)
    if account is None or account.correcting is None:
        return False
    stop(account)
    return True


async def answer(
    session: AsyncSession,
    services: Services,
    telegram_id: int,
    field: Field,
    text: str | None,
    contact: Contact | None,
    update_id: int | None = None,
) -> Outcome:
    """The new value, typed (or, for the phone, shared): applied or refused. After a
    refusal the next message is the value again (the wait moves to this update)."""
    member = await active_entry(session, telegram_id)
    account = await session.get(Account, telegram_id)
    if member is None or account is None:
        if account is not None:
            stop(account)
        return Refused(field, "no_entry")
    now = services.clock.now()
    outcome = await _apply(session, services, member, field, text or "", contact, now)
    if not isinstance(outcome, Corrected):
        account.correcting_since = update_id
    else:
        stop(account)
        await audit.record(
            session,
            at=now,
            actor_id=telegram_id,
            action="data.corrected",
            subject_kind="member",
            subject_id=member.id,
            detail={"field": field.value},
        )
    return outcome


async def _apply(
    session: AsyncSession,
    services: Services,
    member: Member,
    field: Field,
    text: str,
    contact: Contact | None,
    now: datetime,
) -> Outcome:
    if field is Field.NAME:
        name = parse_full_name(text)
        if name.value is None or name.error is not None:
            return Refused(field, name.error or NameProblem.EMPTY)
        member.full_name = name.value
    elif field is Field.BIRTH_DATE:
        settings = services.settings
        born = parse_birth_date(
            text, today=now.date(), min_age=settings.min_age, max_age=settings.max_age
        )
        if born.value is None or born.error is not None:
            return Refused(field, born.error or DateProblem.EMPTY)
        member.birth_date = born.value
    elif field is Field.PHONE:
        refused = await _phone(session, member, text, contact)
        if refused is not None:
            return refused
    else:
        return await _municipality(session, services, member, text, now)
    await session.flush()
    await refresh_cards(session, services, member, now)
    return Corrected(field, member)


async def _phone(
    session: AsyncSession, member: Member, text: str, contact: Contact | None
) -> Refused | None:
    if contact is not None:
        if not contact.own:
            return Refused(Field.PHONE, "foreign_contact")
        result = normalize_contact_phone(contact.phone_number)
        if result.e164 is None:
            return Refused(Field.PHONE, result.error or PhoneProblem.UNREADABLE)
        if await verified_phone_in_use(session, result.e164, member.telegram_id):
            return Refused(Field.PHONE, "verified_elsewhere")
        member.phone_e164, member.phone_verified = result.e164, True
        return None
    result = parse_phone(text)
    if result.e164 is None or result.error is not None:
        return Refused(Field.PHONE, result.error or PhoneProblem.EMPTY)
    # A typed number proves nothing: the entry's number is unverified from now on.
    member.phone_e164, member.phone_verified = result.e164, False
    return None


async def _municipality(
    session: AsyncSession, services: Services, member: Member, text: str, now: datetime
) -> Outcome:
    assert services.matcher is not None
    match = services.matcher.match(text)
    ids = tuple(place.id for place in match.places)
    if match.kind is not MatchKind.EXACT:
        if not ids:
            return Refused(Field.MUNICIPALITY, "no_such_place")
        return Choose(ids)
    return await move(session, services, member, ids[0], now)


async def move(
    session: AsyncSession, services: Services, member: Member, municipality_id: int, now: datetime
) -> Outcome:
    """The entry belongs to another municipality from now on: its deciders decide it."""
    if municipality_id not in services.places:
        return Refused(Field.MUNICIPALITY, "no_such_place")
    if municipality_id == member.municipality_id:
        return Corrected(Field.MUNICIPALITY, member)
    old = member.municipality_id
    await _tell_old_deciders(session, services, member, now)
    member.municipality_id = municipality_id
    if member.status == "approved":
        # The new branch confirms the membership; its number is that branch's.
        member.status = "pending"
        member.membership_number = None
        member.decided_at = None
        member.decided_by = None
    await session.flush()
    await application_submitted(session, services, member)
    await recount_for_place(session, services, old, now)
    return Corrected(Field.MUNICIPALITY, member)


async def _tell_old_deciders(
    session: AsyncSession, services: Services, member: Member, now: datetime
) -> None:
    place = services.places[member.municipality_id]

    def line() -> str:
        return _(
            "Application no. {id} (municipality of {municipality}) was moved to another "
            "municipality by the applicant on {when}; its deciders have it now."
        ).format(id=member.id, municipality=place.name, when=format_moment(now))

    await cards_left_without_data(session, services, member, line, now)


async def refresh_cards(
    session: AsyncSession, services: Services, member: Member, now: datetime
) -> None:
    """A pending application's cards show the corrected details (buttons kept)."""
    if member.status != "pending":
        return
    for delivery in await outbox.deliveries_for(session, APPLICATION_REF, member.id):
        if delivery.method != "sendMessage" or delivery.status not in (
            outbox.QUEUED,
            outbox.SENT,
            outbox.SENDING,
        ):
            continue
        if not await still_covers(session, delivery.chat_id, member):
            continue
        language = await stored_language(
            session, delivery.chat_id, services.settings.default_language
        )
        with use_language(language):
            text = await card_for(session, services, member, now)
            markup = decision_buttons(member.id).to_dict()
        await outbox.enqueue_edit(
            session,
            original_id=delivery.id,
            payload={"text": text, "reply_markup": markup},
            now=now,
        )
