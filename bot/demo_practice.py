"""`regjistri demo --practice chair`: a municipality's chair with applications waiting.

A new chair learns the job on made-up people before real ones: the demo chair (user 2001)
gets the chair role of Korçë and a few pending applications, created through the same
storage functions the bot uses when a member registers (consent, draft, submission, audit),
so what the chair sees and decides is the real thing. The names are invented, the birth dates
plausible and the phones in a range no operator hands out (+355 69 000 01xx).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from domain.enrolment import municipality_code
from domain.permissions import RoleKind
from domain.registration import Step
from domain.registration.state import Draft
from storage import audit
from storage.accounts import ensure_account
from storage.db import Database
from storage.drafts import discard_draft, save_draft, start_draft
from storage.geography import list_places
from storage.members import latest_member, submit_application
from storage.models import Member
from storage.roles import grant_role

#: The practice municipality, by its enrolment code (Korçë).
PRACTICE_MUNICIPALITY: Final = "korce"
PRACTICE_LANGUAGE: Final = "sq"


@dataclass(frozen=True, slots=True)
class Applicant:
    """A made-up person whose application waits for the practising chair."""

    telegram_id: int
    first_name: str
    last_name: str
    birth_date: date
    phone_e164: str
    hours_ago: int  # submitted this long before the practice starts (under the reminder's 48)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


APPLICANTS: Final = (
    Applicant(7_000_001, "Elira", "Dervishi", date(1986, 4, 12), "+355690000101", 27),
    Applicant(7_000_002, "Gentian", "Mema", date(1975, 9, 3), "+355690000102", 20),
    Applicant(7_000_003, "Mirela", "Kola", date(1999, 1, 21), "+355690000103", 9),
    Applicant(7_000_004, "Ardit", "Shehu", date(1968, 6, 30), "+355690000104", 2),
)


@dataclass(frozen=True, slots=True)
class Seeded:
    municipality: str
    waiting: int  # practice applications still pending (earlier runs may have decided some)


async def seed_chair_practice(
    database: Database, *, chair_id: int, chair_name: str, now: datetime
) -> Seeded:
    """Grant `chair_id` the chair of Korçë and submit the practice applications.

    Run again on the same database it adds nothing: an applicant who has an entry (pending
    or already decided in an earlier practice) is left as it is; `--fresh` starts over.
    """
    async with database.write() as session:
        place = next(
            p
            for p in await list_places(session)
            if municipality_code(p.name) == PRACTICE_MUNICIPALITY
        )
        role = await grant_role(
            session,
            telegram_id=chair_id,
            kind=RoleKind.CHAIR,
            county_id=None,
            municipality_id=place.id,
            source="practice",
            granted_by=None,
            now=now,
            holder_name=chair_name,
        )
        if role.granted_at == now:  # new now, not one from an earlier run
            await audit.role_changed(
                session, at=now, actor_id=None, role_id=role.id, granted=True, via="practice"
            )
        waiting = 0
        for applicant in APPLICANTS:
            entry = await latest_member(session, applicant.telegram_id)
            if entry is None:
                entry = await _apply(session, applicant, place.id, now)
            waiting += entry is not None and entry.status == "pending"
    return Seeded(place.name, waiting)


async def _apply(
    session: AsyncSession, applicant: Applicant, municipality_id: int, now: datetime
) -> Member | None:
    """What registering does, in one go: consent, the answers, the submission, the audit.

    None when the submission is refused: someone in this demo database registered the
    practice phone number already. That applicant is left out, with no trace kept.
    """
    at = now - timedelta(hours=applicant.hours_ago)
    person = applicant.telegram_id
    await ensure_account(session, person, PRACTICE_LANGUAGE, at)
    consent_id = await start_draft(session, person, PRACTICE_LANGUAGE, Step.SUMMARY.value, at)
    answers = Draft(
        Step.SUMMARY,
        full_name=applicant.full_name,
        birth_date=applicant.birth_date,
        phone_e164=applicant.phone_e164,
        phone_verified=True,
        municipality_id=municipality_id,
    )
    await save_draft(session, person, answers, at)
    result = await submit_application(session, person, PRACTICE_LANGUAGE, at)
    if result.member is None:
        await discard_draft(session, person)
        return None
    await audit.record(
        session,
        at=at,
        actor_id=person,
        action="consent.given",
        subject_kind="consent",
        subject_id=consent_id,
    )
    await audit.record(
        session,
        at=at,
        actor_id=person,
        action="application.submitted",
        subject_kind="member",
        subject_id=result.member.id,
    )
    return result.member
