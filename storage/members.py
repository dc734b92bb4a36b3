"""Entries of the register, as the member sees them.

Queries for chairs and staff live in `storage.applications`, scoped by the actor's roles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.registration.state import Standing
from domain.text import fold_name
from storage.db import TURN_STANDINGS
from storage.drafts import drop_submitted_draft, load_draft
from storage.models import MEMBER_ACTIVE, Consent, Member, RegistrationDraft
from storage.prepared import Prepared


class SubmitProblem(StrEnum):
    INCOMPLETE = "incomplete"
    ALREADY_REGISTERED = "already_registered"
    PHONE_TAKEN = "phone_taken"


@dataclass(frozen=True)
class SubmitResult:
    member: Member | None
    problem: SubmitProblem | None = None


async def active_member(session: AsyncSession, telegram_id: int) -> Member | None:
    """The account's pending or approved entry, if any."""
    return await session.scalar(
        select(Member).where(Member.telegram_id == telegram_id, Member.status.in_(MEMBER_ACTIVE))
    )


async def latest_member(session: AsyncSession, telegram_id: int) -> Member | None:
    """The account's most recent entry whatever its status (for /statusi)."""
    return await session.scalar(
        select(Member)
        .where(Member.telegram_id == telegram_id)
        .order_by(Member.submitted_at.desc(), Member.id.desc())
        .limit(1)
    )


async def consent_version(session: AsyncSession, consent_id: int | None) -> str | None:
    """The notice version an entry's consent was given to (None: no consent row)."""
    if consent_id is None:
        return None
    return await session.scalar(select(Consent.notice_version).where(Consent.id == consent_id))


async def standing(session: AsyncSession, telegram_id: int) -> Standing:
    """What the register holds for the account, from its latest entry.

    Only the latest entry can be active: a new application is refused while one is.
    """
    status = session.info.get(TURN_STANDINGS, {}).get(telegram_id)  # the turn's read
    if status is None:
        latest = await latest_member(session, telegram_id)
        status = latest.status if latest is not None else ""
    if not status:
        return Standing.NONE
    return Standing.ACTIVE if status in MEMBER_ACTIVE else Standing.FORMER


async def verified_phone_in_use(session: AsyncSession, phone_e164: str, telegram_id: int) -> bool:
    """Whether another account holds an active entry with this number, verified by Telegram.

    Only asked for a number the asker has proven is theirs (their own shared contact): a
    typed number is never checked against the register in front of the person who typed it.
    """
    found = await session.scalar(
        select(Member.id).where(
            Member.phone_e164 == phone_e164,
            Member.phone_verified.is_(True),
            Member.status.in_(MEMBER_ACTIVE),
            Member.telegram_id != telegram_id,
        )
    )
    return found is not None


async def entries_sharing_phone(session: AsyncSession, member: Member) -> int:
    """How many other active entries carry this entry's number (shown to its deciders: a
    typed number may be a typo, or someone else's)."""
    found = await session.scalars(
        select(Member.id).where(
            Member.phone_e164 == member.phone_e164,
            Member.status.in_(MEMBER_ACTIVE),
            Member.id != member.id,
        )
    )
    return len(found.all())


#: The entry's columns a submission writes, besides the consent (read from the draft row).
_SUBMITTED: Final = (
    "telegram_id", "full_name", "name_folded", "birth_date", "phone_e164", "phone_verified",
    "municipality_id", "language", "status", "submitted_at",
)  # fmt: skip


def _submission(insert: Any) -> Any:
    """The submission's INSERT for a dialect, built once with bind parameters (building it
    per submission cost more CPU than running it: bench/registration.py --profile)."""
    consent = (
        select(RegistrationDraft.consent_id)
        .where(RegistrationDraft.telegram_id == bindparam("telegram_id"))
        .scalar_subquery()
    )
    return (
        insert(Member)
        .values({**{column: bindparam(column) for column in _SUBMITTED}, "consent_id": consent})
        .on_conflict_do_nothing()
        .returning(Member.id, Member.consent_id)
    )


_SUBMISSION = Prepared.per_dialect(_submission)


async def submit_application(
    session: AsyncSession, telegram_id: int, language: str, now: datetime
) -> SubmitResult:
    """Turn the account's complete draft into a pending entry and delete the draft.

    The draft is the one the turn read (storage/turn.py). A typed number may repeat another
    entry's (the deciders see the clash); a verified one may not repeat another verified
    one. The partial unique indexes are the final word on duplicates (an entry already
    active, two processes submitting at once): the INSERT does nothing on a conflict, and
    only then is the reason looked up — so a submission is one INSERT and one DELETE, not
    a savepoint, a flush and the checks before it (bench/registration.py, Confirm).
    """
    draft = await load_draft(session, telegram_id)
    if (
        draft is None
        or draft.full_name is None
        or draft.birth_date is None
        or draft.phone_e164 is None
        or draft.municipality_id is None
    ):
        return SubmitResult(None, SubmitProblem.INCOMPLETE)
    if draft.phone_verified and await verified_phone_in_use(session, draft.phone_e164, telegram_id):
        return SubmitResult(None, SubmitProblem.PHONE_TAKEN)
    member = Member(
        telegram_id=telegram_id,
        full_name=draft.full_name,
        name_folded=fold_name(draft.full_name),
        birth_date=draft.birth_date,
        phone_e164=draft.phone_e164,
        phone_verified=draft.phone_verified,
        municipality_id=draft.municipality_id,
        language=language,
        status="pending",
        submitted_at=now,
    )
    values = {column: getattr(member, column) for column in _SUBMITTED}
    inserted = await _SUBMISSION.first(session, **values)
    if inserted is None:
        if await active_member(session, telegram_id) is not None:
            return SubmitResult(None, SubmitProblem.ALREADY_REGISTERED)
        return SubmitResult(None, SubmitProblem.PHONE_TAKEN)
    member.id, member.consent_id = inserted
    await drop_submitted_draft(session, telegram_id)
    session.info.setdefault(TURN_STANDINGS, {})[telegram_id] = member.status
    return SubmitResult(member)
