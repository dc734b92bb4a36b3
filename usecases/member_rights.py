"""A member's rights over their own data (design §8): withdraw a pending application, see
and download everything stored, see who looked, delete it all, consent to a new notice.

Deciders are told what became of an application without personal data: their card is
edited to a neutral line, and when a confirmed member leaves, the current chairs hear it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.i18n import _, format_moment, use_language
from domain.permissions import RoleKind
from domain.privacy import NOTICE_VERSION
from storage import audit, outbox
from storage.accounts import language_of as stored_language
from storage.audit import reads_of
from storage.erasure import erase_account
from storage.models import Account, AuditEvent, Consent, Member, RegistrationDraft
from storage.roles import active_roles, holders
from usecases.notifications import (
    cards_left_without_data,
    cards_say,
    recount_for_place,
    sent_cards,
)
from usecases.services import Services


class Erasure(StrEnum):
    DONE = "done"
    OFFICER = "officer"  # holds an active role: it must be revoked first


@dataclass(frozen=True)
class Read:
    """One read of the member's record by an officer, as the member sees it."""

    at: datetime
    role: str | None  # RoleKind value, None for a role not recorded
    municipality_id: int | None = None
    county_id: int | None = None


@dataclass
class PersonalRecord:
    """Everything the register holds about one Telegram account."""

    telegram_id: int
    account: Account | None
    entries: list[Member] = field(default_factory=list)
    draft: RegistrationDraft | None = None
    consents: list[Consent] = field(default_factory=list)
    reads: list[Read] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.entries or self.draft or self.consents)


async def pending_entry(session: AsyncSession, telegram_id: int) -> Member | None:
    return await session.scalar(
        select(Member).where(Member.telegram_id == telegram_id, Member.status == "pending")
    )


async def withdraw(session: AsyncSession, services: Services, telegram_id: int) -> Member | None:
    """Withdraw the account's pending application; None when there is none (decided in
    the meantime, or a forged press)."""
    member = await pending_entry(session, telegram_id)
    if member is None:
        return None
    now = services.clock.now()
    member.status = "withdrawn"
    member.decided_at = now
    member.decided_by = telegram_id
    await session.flush()
    await audit.record(
        session,
        at=now,
        actor_id=telegram_id,
        action="application.withdrawn",
        subject_kind="member",
        subject_id=member.id,
    )
    await _tell_deciders(session, services, member, now, withdrawn=True)
    await recount_for_place(session, services, member.municipality_id, now)
    return member


async def _tell_deciders(
    session: AsyncSession, services: Services, member: Member, now: datetime, *, withdrawn: bool
) -> None:
    """Cards not yet sent are dropped; sent ones say what happened, without personal data."""
    place = services.places[member.municipality_id]

    def line() -> str:
        if withdrawn:
            text = _(
                "Application no. {id} (municipality of {municipality}) was withdrawn by "
                "the applicant on {when}. There is nothing to decide."
            )
        else:
            text = _(
                "Application no. {id} (municipality of {municipality}): the person "
                "deleted their data from the register on {when}."
            )
        return text.format(id=member.id, municipality=place.name, when=format_moment(now))

    await cards_left_without_data(session, services, member, line, now)


async def personal_record(session: AsyncSession, telegram_id: int) -> PersonalRecord:
    """What the register holds about the account, and who read it."""
    entries = list(
        (
            await session.scalars(
                select(Member).where(Member.telegram_id == telegram_id).order_by(Member.id)
            )
        ).all()
    )
    consents = list(
        (
            await session.scalars(
                select(Consent).where(Consent.telegram_id == telegram_id).order_by(Consent.id)
            )
        ).all()
    )
    return PersonalRecord(
        telegram_id=telegram_id,
        account=await session.get(Account, telegram_id),
        entries=entries,
        draft=await session.get(RegistrationDraft, telegram_id),
        consents=consents,
        reads=[_read(event) for event in await reads_of(session, [m.id for m in entries])],
    )


def _read(event: AuditEvent) -> Read:
    detail: dict[str, Any] = event.detail if isinstance(event.detail, dict) else {}
    role = detail.get("as")
    municipality_id = detail.get("municipality_id")
    county_id = detail.get("county_id")
    return Read(
        at=event.at,
        role=role if isinstance(role, str) else None,
        municipality_id=municipality_id if isinstance(municipality_id, int) else None,
        county_id=county_id if isinstance(county_id, int) else None,
    )


def record_as_json(record: PersonalRecord, services: Services) -> bytes:
    """The download: every stored field, readable, with place names spelled out. Readers
    appear by role and place, never by name (their identity is not the member's data)."""
    places = services.places

    def place(municipality_id: int | None) -> str | None:
        return places[municipality_id].name if municipality_id in places else None

    def moment(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    data: dict[str, Any] = {
        "notice": "Regjistri — personal data held about one Telegram account",
        "telegram_id": record.telegram_id,
        "account": None
        if record.account is None
        else {
            "language": record.account.language,
            "first_contact": moment(record.account.created_at),
            "unreachable_since": moment(record.account.unreachable_at),
        },
        "entries": [
            {
                "application_no": m.id,
                "status": m.status,
                "full_name": m.full_name,
                "birth_date": m.birth_date.isoformat(),
                "phone": m.phone_e164,
                "phone_verified_by_telegram": m.phone_verified,
                "municipality": place(m.municipality_id),
                "language": m.language,
                "submitted_at": moment(m.submitted_at),
                "decided_at": moment(m.decided_at),
                "rejection_reason": m.rejection_reason,
                "membership_number": m.membership_number,
            }
            for m in record.entries
        ],
        "registration_in_progress": None
        if record.draft is None
        else {
            "step": record.draft.step,
            "full_name": record.draft.full_name,
            "birth_date": record.draft.birth_date.isoformat() if record.draft.birth_date else None,
            "phone": record.draft.phone_e164,
            "municipality": place(record.draft.municipality_id),
            "started_at": moment(record.draft.created_at),
        },
        "consents": [
            {
                "notice_version": c.notice_version,
                "language": c.language,
                "given_at": moment(c.given_at),
                "withdrawn_at": moment(c.withdrawn_at),
            }
            for c in record.consents
        ],
        "reads_by_officers": [
            {
                "at": moment(r.at),
                "role": r.role,
                "municipality": place(r.municipality_id),
                "county": _county_name(services, r.county_id),
            }
            for r in record.reads
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def _county_name(services: Services, county_id: int | None) -> str | None:
    for place in services.places.values():
        if place.county_id == county_id:
            return place.county_name
    return None


async def erase(session: AsyncSession, services: Services, telegram_id: int) -> Erasure:
    """Delete everything about the account (design §8); deciders are told without names,
    and the chairs of a confirmed member hear that a member left."""
    if await active_roles(session, telegram_id):
        return Erasure.OFFICER
    now = services.clock.now()
    entries = (await session.scalars(select(Member).where(Member.telegram_id == telegram_id))).all()
    told: list[tuple[Member, bool]] = []
    for entry in entries:
        if entry.status in ("pending", "approved"):
            told.append((entry, entry.status == "approved"))
    # Which cards to edit is read before the erasure blanks them.
    cards = {entry.id: await sent_cards(session, entry) for entry, _approved in told}
    facts = [(e.id, e.municipality_id, e.membership_number, approved) for e, approved in told]
    await erase_account(session, telegram_id, now)
    await audit.record(
        session, at=now, actor_id=telegram_id, action="data.erased", subject_kind="account"
    )
    for member_id, municipality_id, number, approved in facts:
        place = services.places[municipality_id]

        def line(member_id: int = member_id, place_name: str = place.name) -> str:
            return _(
                "Application no. {id} (municipality of {municipality}): the person "
                "deleted their data from the register on {when}."
            ).format(id=member_id, municipality=place_name, when=format_moment(now))

        await cards_say(session, services, cards[member_id], line, now)
        if approved:
            await _tell_chairs_member_left(session, services, municipality_id, number, now)
        await recount_for_place(session, services, municipality_id, now)
    return Erasure.DONE


async def _tell_chairs_member_left(
    session: AsyncSession,
    services: Services,
    municipality_id: int,
    membership_number: str | None,
    now: datetime,
) -> None:
    place = services.places[municipality_id]
    for role in await holders(session, RoleKind.CHAIR, municipality_id=municipality_id):
        language = await stored_language(
            session, role.telegram_id, services.settings.default_language
        )
        with use_language(language):
            text = _(
                "A member of the branch in {municipality} (membership number {number}) has "
                "left the register and deleted their data."
            ).format(municipality=place.name, number=membership_number or "—")
        await outbox.enqueue(
            session,
            chat_id=role.telegram_id,
            method="sendMessage",
            payload={"text": text},
            now=now,
            ref_kind="member_left",
            priority=1,
        )


def consent_outdated(record: PersonalRecord) -> bool:
    """An active entry whose consent was given to an older notice: ask again."""
    active = [m for m in record.entries if m.status in ("pending", "approved")]
    if not active:
        return False
    given = {c.id: c.notice_version for c in record.consents}
    return any(given.get(m.consent_id or -1) != NOTICE_VERSION for m in active)


async def accept_notice(
    session: AsyncSession, telegram_id: int, language: str, now: datetime
) -> bool:
    """Consent to the current notice: recorded, and the active entry rests on it."""
    member = await session.scalar(
        select(Member).where(
            Member.telegram_id == telegram_id, Member.status.in_(("pending", "approved"))
        )
    )
    if member is None:
        return False
    consent = Consent(
        telegram_id=telegram_id, notice_version=NOTICE_VERSION, language=language, given_at=now
    )
    session.add(consent)
    await session.flush()
    member.consent_id = consent.id
    await audit.record(
        session,
        at=now,
        actor_id=telegram_id,
        action="consent.given",
        subject_kind="consent",
        subject_id=consent.id,
        detail={"version": NOTICE_VERSION},
    )
    return True
