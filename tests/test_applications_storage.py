"""Scoped application queries and the one-decision rule, on SQLite and PostgreSQL.

The scope filter is the security boundary between municipalities, so these tests try to
cross it rather than only checking the happy path.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from domain.permissions import Grant, RoleKind, Scope, scope_of
from storage.applications import (
    application_in_scope,
    count_pending_in_scope,
    decide,
    pending_in_scope,
    pending_older_than,
)
from storage.db import Database
from storage.models import Member, MembershipCounter, Municipality

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def _place(db: Database, name: str) -> tuple[int, int, str]:
    """(municipality id, county id, code) of a seeded municipality."""
    async with db.read() as session:
        row = (
            await session.execute(
                select(Municipality.id, Municipality.county_id, Municipality.code).where(
                    Municipality.name == name
                )
            )
        ).one()
    return row.id, row.county_id, row.code


async def _member(db: Database, n: int, municipality_id: int, *, minutes: int = 0) -> int:
    async with db.write() as session:
        member = Member(
            telegram_id=100_000 + n,
            full_name=f"Anëtar {n}",
            birth_date=date(1980, 1, 1),
            phone_e164=f"+3556920{n:05d}",
            municipality_id=municipality_id,
            language="sq",
            status="pending",
            submitted_at=NOW + timedelta(minutes=minutes or n),
        )
        session.add(member)
        await session.flush()
        return member.id


def _chair(municipality_id: int, county_id: int) -> Scope:
    return scope_of([Grant(1, RoleKind.CHAIR, county_id, municipality_id)])


async def _decide(db: Database, member_id: int, *, approve: bool, by: int) -> tuple[bool, Member]:
    async with db.write() as session:
        member = await session.get(Member, member_id)
        assert member is not None
        decision = await decide(
            session, member, approve=approve, decider_id=by, reason=None, now=NOW
        )
        return decision.won, decision.member


async def test_a_chair_scope_never_reaches_another_municipality(db: Database) -> None:
    korce, korce_county, _ = await _place(db, "Korçë")
    pogradec, _, _ = await _place(db, "Pogradec")
    tirane, tirane_county, _ = await _place(db, "Tiranë")
    own = await _member(db, 1, korce)
    neighbour = await _member(db, 2, pogradec)  # same county, other municipality
    far = await _member(db, 3, tirane)
    chair = _chair(korce, korce_county)

    async with db.read() as session:
        assert (await application_in_scope(session, chair, own)) is not None
        for other in (neighbour, far, 999_999):
            assert await application_in_scope(session, chair, other) is None
        page, total = await pending_in_scope(session, chair, limit=50)
        assert [m.id for m in page] == [own] and total == 1
        # Paging past the end, or a huge page, never widens the scope.
        assert await pending_in_scope(session, chair, limit=50, offset=1) == ([], 1)

        # The county of the chair's municipality is not the chair's: Pogradec stays out,
        # even when a grant names the county (a chair grant's county is informational).
        with_county = scope_of([Grant(1, RoleKind.CHAIR, korce_county, korce)])
        assert await application_in_scope(session, with_county, neighbour) is None

        coordinator = scope_of([Grant(2, RoleKind.COORDINATOR, county_id=korce_county)])
        page, total = await pending_in_scope(session, coordinator, limit=50)
        assert {m.id for m in page} == {own, neighbour} and total == 2
        assert await application_in_scope(session, coordinator, far) is None

        tirane_chair = _chair(tirane, tirane_county)
        assert await application_in_scope(session, tirane_chair, own) is None

        nobody = scope_of([])
        assert await application_in_scope(session, nobody, own) is None
        assert await pending_in_scope(session, nobody, limit=50) == ([], 0)

        national = scope_of([Grant(3, RoleKind.ADMIN)])
        page, total = await pending_in_scope(session, national, limit=2)
        assert [m.id for m in page] == [own, neighbour] and total == 3


async def test_decided_applications_leave_the_pending_list(db: Database) -> None:
    korce, korce_county, _ = await _place(db, "Korçë")
    first = await _member(db, 1, korce)
    second = await _member(db, 2, korce)
    await _decide(db, first, approve=False, by=7)
    async with db.read() as session:
        page, total = await pending_in_scope(session, _chair(korce, korce_county), limit=10)
        waiting = await pending_older_than(session, NOW + timedelta(days=1))
        decided = await application_in_scope(session, _chair(korce, korce_county), first)
    assert [m.id for m in page] == [second] and total == 1
    assert [m.id for m in waiting] == [second]
    # The decided entry is still found (to tell a late presser what became of it).
    assert decided is not None and decided.status == "rejected"


async def test_deciding_twice_has_one_winner(db: Database) -> None:
    korce, _, code = await _place(db, "Korçë")
    member_id = await _member(db, 1, korce)
    won, member = await _decide(db, member_id, approve=True, by=11)
    assert won and member.status == "approved" and member.membership_number == f"{code}-000001"
    again, member = await _decide(db, member_id, approve=False, by=12)
    assert not again
    # The stored outcome is the first one: who, when, the number.
    assert member.status == "approved" and member.decided_by == 11
    assert member.membership_number == f"{code}-000001" and member.rejection_reason is None


async def test_two_deciders_at_once_make_one_decision(db: Database) -> None:
    korce, _, _ = await _place(db, "Korçë")
    member_id = await _member(db, 1, korce)
    results = await asyncio.gather(
        _decide(db, member_id, approve=True, by=21),
        _decide(db, member_id, approve=False, by=22),
    )
    assert sorted(won for won, _ in results) == [False, True]
    async with db.read() as session:
        stored = await session.get(Member, member_id)
        counter = await session.get(MembershipCounter, korce)
    assert stored is not None
    winner = 21 if stored.status == "approved" else 22
    assert stored.decided_by == winner
    # A losing approval must not have used up a membership number.
    assert (counter.last_value if counter else 0) == (1 if stored.status == "approved" else 0)


async def test_membership_numbers_are_sequential_per_municipality(db: Database) -> None:
    korce, _, korce_code = await _place(db, "Korçë")
    tirane, _, tirane_code = await _place(db, "Tiranë")
    korce_ids = [await _member(db, n, korce) for n in range(1, 5)]
    tirane_ids = [await _member(db, n, tirane) for n in range(5, 7)]
    # Approved concurrently: numbers stay unique and without gaps.
    await asyncio.gather(*(_decide(db, i, approve=True, by=1) for i in korce_ids + tirane_ids))
    # A rejection takes no number.
    rejected = await _member(db, 7, korce)
    await _decide(db, rejected, approve=False, by=1)
    later = await _member(db, 8, korce)
    await _decide(db, later, approve=True, by=1)

    async with db.read() as session:
        rows = (
            await session.execute(
                select(Member.municipality_id, Member.membership_number).where(
                    Member.membership_number.is_not(None)
                )
            )
        ).all()
        distinct = await session.scalar(select(func.count(func.distinct(Member.membership_number))))
    numbers = {m: sorted(n for mm, n in rows if mm == m) for m in (korce, tirane)}
    assert numbers[korce] == [f"{korce_code}-{i:06d}" for i in range(1, 6)]
    assert numbers[tirane] == [f"{tirane_code}-{i:06d}" for i in range(1, 3)]
    assert distinct == len(rows) == 7


async def test_the_pending_count_stays_within_every_shape_of_scope(db: Database) -> None:
    """The burst summary's count, prepared per shape of scope: each shape counts its own."""
    korce, korce_county, _ = await _place(db, "Korçë")
    pogradec, _, _ = await _place(db, "Pogradec")  # same county as Korçë
    tirane, tirane_county, _ = await _place(db, "Tiranë")
    durres, _, _ = await _place(db, "Durrës")
    for n, place in enumerate((korce, korce, pogradec, tirane, durres), start=1):
        await _member(db, n, place)
    decided = await _member(db, 9, korce)
    await _decide(db, decided, approve=True, by=1)  # no longer pending: never counted
    scopes = {
        "national": (Scope(True, frozenset(), frozenset()), 5),
        "Korçë": (_chair(korce, korce_county), 2),
        "Korçë and Tiranë": (Scope(False, frozenset(), frozenset({korce, tirane})), 3),
        "Korçë's county": (Scope(False, frozenset({korce_county}), frozenset()), 3),
        "two counties": (Scope(False, frozenset({korce_county, tirane_county}), frozenset()), 4),
        "a county and a place": (Scope(False, frozenset({korce_county}), frozenset({durres})), 4),
        "nothing": (Scope(False, frozenset(), frozenset()), 0),
    }
    async with db.read() as session:
        for name, (scope, expected) in scopes.items():
            assert await count_pending_in_scope(session, scope) == expected, name
            _, total = await pending_in_scope(session, scope, limit=1)
            assert total == expected, name  # the same count as the list's
