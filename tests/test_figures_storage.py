"""The figures query on SQLite and PostgreSQL: counts, Tirana weeks, pending ages, the
unreachable, per-area rows and coverage — and the scope, which these tests try to cross."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, select, update

from domain.figures import NATIONAL, Area, AreaKind
from domain.permissions import Grant, RoleKind, Scope, scope_of
from storage.db import Database
from storage.figures import figures_in_scope
from storage.models import Account, County, Member, MemberTally, Municipality

# A Wednesday, 10:00 in Tirana (UTC+1 in winter).
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def _place(db: Database, name: str) -> tuple[int, int]:
    async with db.read() as session:
        row = (
            await session.execute(
                select(Municipality.id, Municipality.county_id).where(Municipality.name == name)
            )
        ).one()
    return row.id, row.county_id


async def _add(
    db: Database,
    n: int,
    municipality_id: int,
    status: str,
    submitted_at: datetime,
    *,
    unreachable: bool = False,
) -> None:
    async with db.write() as session:
        session.add(
            Member(
                telegram_id=300_000 + n,
                full_name=f"Anëtar {n}",
                birth_date=date(1980, 1, 1),
                phone_e164=f"+3556920{n:05d}",
                municipality_id=municipality_id,
                language="sq",
                status=status,
                submitted_at=submitted_at,
            )
        )
        session.add(
            Account(
                telegram_id=300_000 + n,
                language="sq",
                created_at=submitted_at,
                unreachable_at=NOW if unreachable else None,
            )
        )


def _chair(municipality_id: int, county_id: int) -> Scope:
    return scope_of([Grant(1, RoleKind.CHAIR, county_id, municipality_id)])


def _coordinator(county_id: int) -> Scope:
    return scope_of([Grant(2, RoleKind.COORDINATOR, county_id, None)])


ADMIN = scope_of([Grant(3, RoleKind.ADMIN)])


async def _seed(db: Database) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    korce, pogradec, durres = (
        await _place(db, "Korçë"),
        await _place(db, "Pogradec"),
        await _place(db, "Durrës"),
    )
    # Korçë: 3 approved (one unreachable), 3 pending (waiting 1, 2 and 10 days), 1 rejected,
    # 1 withdrawn. Pogradec: 2 approved. Durrës: 4 approved, 1 pending.
    for n, (status, days, unreachable) in enumerate(
        [
            ("approved", 20, True),
            ("approved", 15, False),
            ("approved", 3, False),
            ("pending", 1, False),
            ("pending", 2, False),
            ("pending", 10, True),
            ("rejected", 5, True),  # not active: not counted as unreachable
            ("withdrawn", 40, False),
        ]
    ):
        await _add(db, n, korce[0], status, NOW - timedelta(days=days), unreachable=unreachable)
    for n in range(2):
        await _add(db, 10 + n, pogradec[0], "approved", NOW - timedelta(days=8))
    for n in range(4):
        await _add(db, 20 + n, durres[0], "approved", NOW - timedelta(days=1))
    await _add(db, 30, durres[0], "pending", NOW - timedelta(days=30), unreachable=True)
    return korce, pogradec, durres


async def test_a_chairs_figures_count_their_municipality_only(db: Database) -> None:
    korce, _pogradec, _durres = await _seed(db)
    async with db.read() as session:
        figures = await figures_in_scope(
            session, _chair(*korce), Area(AreaKind.MUNICIPALITY, korce[0]), now=NOW
        )
    assert figures is not None
    assert dict(figures.counts) == {"approved": 3, "pending": 3, "rejected": 1, "withdrawn": 1}
    assert figures.name == "Korçë" and figures.county_name == "Korçë"
    assert figures.pending_oldest == timedelta(days=10)
    assert figures.pending_median == timedelta(days=2)
    assert figures.unreachable == 2  # an approved and a pending; the rejected one is not
    assert figures.rows == ()
    # Korçë's 2023 census figure is not in the reference data: no coverage, not a guess.
    assert figures.population is None and figures.coverage is None
    # Twelve Tirana weeks, the current one (from Monday 23 November) last.
    assert len(figures.weeks) == 12 and figures.weeks[-1][0] == date(2026, 11, 23)
    assert all(day.weekday() == 0 for day, _count in figures.weeks)
    by_week = dict(figures.weeks)
    assert by_week[date(2026, 11, 23)] == 2  # submitted 1 and 2 days ago (Mon 24, Tue 23)
    assert by_week[date(2026, 11, 16)] == 2  # 3 and 5 days ago
    assert by_week[date(2026, 11, 9)] == 2  # 10 and 15 days ago
    assert by_week[date(2026, 11, 2)] == 1  # 20 days ago
    assert by_week[date(2026, 10, 12)] == 1  # 40 days ago (Thursday 15 October)
    assert sum(by_week.values()) == 8


async def test_the_week_begins_at_midnight_in_tirana(db: Database) -> None:
    korce, _, _ = await _place(db, "Korçë"), None, None
    # Monday 23 November 00:30 in Tirana is Sunday 23:30 UTC: this week, not the last.
    await _add(db, 1, korce[0], "pending", datetime(2026, 11, 22, 23, 30, tzinfo=UTC))
    await _add(db, 2, korce[0], "pending", datetime(2026, 11, 22, 22, 30, tzinfo=UTC))
    async with db.read() as session:
        figures = await figures_in_scope(session, ADMIN, NATIONAL, now=NOW)
    assert figures is not None
    assert dict(figures.weeks)[date(2026, 11, 23)] == 1
    assert dict(figures.weeks)[date(2026, 11, 16)] == 1


async def test_a_coordinator_gets_rows_per_municipality_of_the_county(db: Database) -> None:
    korce, pogradec, _ = await _seed(db)
    async with db.read() as session:
        figures = await figures_in_scope(
            session, _coordinator(korce[1]), Area(AreaKind.COUNTY, korce[1]), now=NOW
        )
    assert figures is not None
    assert figures.approved == 5 and figures.pending == 3
    rows = {row.name: (row.approved, row.pending) for row in figures.rows}
    assert rows == {
        "Devoll": (0, 0),
        "Kolonjë": (0, 0),
        "Korçë": (3, 3),
        "Maliq": (0, 0),
        "Pogradec": (2, 0),
        "Pustec": (0, 0),
    }
    assert [row.name for row in figures.rows] == sorted(rows)
    county_population = 173_091  # storage/seed/counties.csv
    assert figures.population == county_population
    assert figures.coverage == 5 * 1000 / county_population
    assert pogradec[0] in {row.id for row in figures.rows}
    kolonje = next(row for row in figures.rows if row.name == "Kolonjë")
    assert kolonje.population == 7519 and kolonje.coverage == 0
    assert next(row for row in figures.rows if row.name == "Korçë").coverage is None


async def test_national_figures_have_a_row_per_county_with_its_population(db: Database) -> None:
    await _seed(db)
    async with db.read() as session:
        figures = await figures_in_scope(session, ADMIN, NATIONAL, now=NOW)
        populations = dict(
            (await session.execute(select(County.name, County.population_2023))).all()
        )
    assert figures is not None
    assert len(figures.rows) == 12 and figures.population == 2_402_113
    rows = {row.name: row for row in figures.rows}
    assert rows["Korçë"].approved == 5 and rows["Durrës"].approved == 4
    assert rows["Durrës"].population == populations["Durrës"] == 226_863
    assert figures.unreachable == 3
    assert figures.pending_oldest == timedelta(days=30)


async def test_no_scope_reaches_figures_outside_it(db: Database) -> None:
    korce, pogradec, durres = await _seed(db)
    korce_chair = _chair(*korce)
    outside = [
        Area(AreaKind.MUNICIPALITY, durres[0]),
        Area(AreaKind.MUNICIPALITY, pogradec[0]),  # same county, another municipality
        Area(AreaKind.COUNTY, korce[1]),  # a chair's own county is wider than their scope
        Area(AreaKind.COUNTY, durres[1]),
        NATIONAL,
        Area(AreaKind.MUNICIPALITY, 9_999_999),
        Area(AreaKind.COUNTY, 9_999_999),
        Area(AreaKind.MUNICIPALITY, None),
    ]
    async with db.read() as session:
        for area in outside:
            assert await figures_in_scope(session, korce_chair, area, now=NOW) is None, area
        for area in (NATIONAL, Area(AreaKind.MUNICIPALITY, durres[0])):
            assert await figures_in_scope(session, _coordinator(korce[1]), area, now=NOW) is None
        nobody = scope_of([])
        assert await figures_in_scope(session, nobody, NATIONAL, now=NOW) is None
        # A coordinator may look into one municipality of their county.
        inside = await figures_in_scope(
            session, _coordinator(korce[1]), Area(AreaKind.MUNICIPALITY, pogradec[0]), now=NOW
        )
    assert inside is not None and inside.approved == 2


async def test_an_empty_area_has_zero_figures(db: Database) -> None:
    pustec = await _place(db, "Pustec")
    async with db.read() as session:
        figures = await figures_in_scope(
            session, _chair(*pustec), Area(AreaKind.MUNICIPALITY, pustec[0]), now=NOW
        )
    assert figures is not None
    assert figures.total == 0 and figures.pending_oldest is None and figures.pending_median is None
    assert figures.unreachable == 0 and sum(count for _day, count in figures.weeks) == 0


async def test_the_tally_follows_every_insert_decision_move_and_erasure(db: Database) -> None:
    """The triggers keep member_tally equal to a count of the entries, whatever changes."""
    korce, _pogradec, durres = await _seed(db)
    async with db.write() as session:
        # A decision, a move to another municipality, an erasure, a no-op update.
        await session.execute(
            update(Member).where(Member.telegram_id == 300_003).values(status="approved")
        )
        await session.execute(
            update(Member).where(Member.telegram_id == 300_020).values(municipality_id=korce[0])
        )
        await session.execute(delete(Member).where(Member.telegram_id == 300_021))
        await session.execute(
            update(Member).where(Member.telegram_id == 300_022).values(full_name="Tjetër Emër")
        )
    async with db.read() as session:
        counted = {
            (m, s): n
            for m, s, n in (
                await session.execute(
                    select(Member.municipality_id, Member.status, func.count()).group_by(
                        Member.municipality_id, Member.status
                    )
                )
            ).all()
        }
        tally = {
            (t.municipality_id, t.status): t.entries
            for t in (await session.scalars(select(MemberTally))).all()
            if t.entries
        }
        figures = await figures_in_scope(session, ADMIN, NATIONAL, now=NOW)
    assert tally == counted
    assert counted[(korce[0], "approved")] == 5 and counted[(durres[0], "approved")] == 2
    assert figures is not None and figures.approved == 3 + 1 + 1 + 2 + 2
