"""Submitting a draft (storage.members.submit_application) on SQLite and PostgreSQL.

The submission is one INSERT … ON CONFLICT DO NOTHING and one DELETE: the partial unique
indexes decide duplicates, and only a conflict asks why. These tests make each conflict
happen for real on both backends.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from domain.registration.state import Draft, Standing, Step
from storage.db import Database
from storage.drafts import load_draft, save_draft, start_draft
from storage.members import SubmitProblem, standing, submit_application
from storage.models import Consent, Member, Municipality, RegistrationDraft

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


async def _korce(db: Database) -> int:
    async with db.read() as session:
        found = await session.scalar(select(Municipality.id).where(Municipality.name == "Korçë"))
    assert found is not None
    return found


async def _draft(db: Database, telegram_id: int, phone: str, *, verified: bool = False) -> None:
    municipality_id = await _korce(db)
    async with db.write() as session:
        await start_draft(session, telegram_id, "sq", Step.NAME.value, NOW)
        await save_draft(
            session,
            telegram_id,
            Draft(
                Step.SUMMARY,
                full_name="Arbën Çela",
                birth_date=date(1980, 3, 5),
                phone_e164=phone,
                phone_verified=verified,
                municipality_id=municipality_id,
            ),
            NOW,
        )


async def _submit(db: Database, telegram_id: int) -> tuple[Member | None, SubmitProblem | None]:
    async with db.write() as session:
        result = await submit_application(session, telegram_id, "sq", NOW)
        return result.member, result.problem


async def test_a_submission_becomes_a_pending_entry_and_the_draft_goes(db: Database) -> None:
    await _draft(db, 1, "+355691111111")
    member, problem = await _submit(db, 1)
    assert problem is None and member is not None and member.id is not None
    async with db.read() as session:
        stored = await session.get(Member, member.id)
        assert stored is not None
        assert (stored.status, stored.full_name, stored.name_folded) == (
            "pending",
            "Arbën Çela",
            "arben cela",
        )
        assert stored.consent_id == member.consent_id
        assert await session.get(Consent, stored.consent_id) is not None  # the entry rests on it
        assert await session.get(RegistrationDraft, 1) is None
        assert await load_draft(session, 1) is None
        assert await standing(session, 1) is Standing.ACTIVE
    # Pressed again (a second device, a retried update): no draft, nothing new.
    assert await _submit(db, 1) == (None, SubmitProblem.INCOMPLETE)


async def test_an_active_entry_refuses_a_second_one(db: Database) -> None:
    await _draft(db, 2, "+355692222222")
    assert (await _submit(db, 2))[0] is not None
    await _draft(db, 2, "+355692222223")  # a new draft while the entry is pending
    assert await _submit(db, 2) == (None, SubmitProblem.ALREADY_REGISTERED)
    async with db.read() as session:
        count = await session.scalar(select(func.count()).where(Member.telegram_id == 2))
        assert count == 1
        assert await session.get(RegistrationDraft, 2) is not None  # nothing entered is lost


async def test_a_verified_number_is_one_persons_typed_ones_may_repeat(db: Database) -> None:
    await _draft(db, 3, "+355693333333", verified=True)
    assert (await _submit(db, 3))[0] is not None
    await _draft(db, 4, "+355693333333", verified=True)
    assert await _submit(db, 4) == (None, SubmitProblem.PHONE_TAKEN)
    await _draft(db, 5, "+355693333333")  # typed: the deciders see the clash instead
    assert (await _submit(db, 5))[0] is not None
