"""The register's figures (/statistika), counted in SQL within the asker's scope.

`figures_in_scope` takes the actor's `Scope` and the area asked for. An area the scope
does not cover gives None (the caller refuses and audits), and every query is filtered by
the municipalities of the area that the scope covers, so even a wrong area could only
count inside the scope. Counts only: no name, phone or date of birth is read.

Sized for 1 000 000 members on SQLite (bench/register.py, figures under 100 ms): counts
by municipality and status come from `member_tally` (kept by triggers), weekly
registrations from index ranges, pending ages from an index in submission order, and the
unreachable from a partial index of the accounts that blocked the bot.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from domain.figures import (
    WEEKS,
    Area,
    AreaKind,
    AreaRow,
    Figures,
    area_within,
    median,
    tirana_day,
    week_starts,
)
from domain.permissions import Scope, covers
from storage.models import MEMBER_ACTIVE, Account, County, Member, MemberTally, Municipality


@dataclass(frozen=True)
class _Geography:
    """The 61 municipalities and 12 counties with their names and 2023 populations."""

    county_of: dict[int, int]
    municipality_name: dict[int, str]
    municipality_population: dict[int, int | None]
    county_name: dict[int, str]
    county_population: dict[int, int | None]


async def _geography(session: AsyncSession) -> _Geography:
    municipalities = (
        await session.execute(
            select(
                Municipality.id,
                Municipality.county_id,
                Municipality.name,
                Municipality.population_2023,
            )
        )
    ).all()
    counties = (await session.execute(select(County.id, County.name, County.population_2023))).all()
    return _Geography(
        county_of={m.id: m.county_id for m in municipalities},
        municipality_name={m.id: m.name for m in municipalities},
        municipality_population={m.id: m.population_2023 for m in municipalities},
        county_name={c.id: c.name for c in counties},
        county_population={c.id: c.population_2023 for c in counties},
    )


def _municipalities_of(area: Area, scope: Scope, geo: _Geography) -> list[int] | None:
    """The municipality ids the queries count: the area's, cut to the scope's (defence in
    depth: `area_within` has already refused an area outside the scope). None: all."""
    if area.kind is AreaKind.NATIONAL and scope.national:
        return None
    if area.kind is AreaKind.NATIONAL:
        ids = set(geo.county_of)
    elif area.kind is AreaKind.COUNTY:
        ids = {mid for mid, cid in geo.county_of.items() if cid == area.id}
    else:
        ids = {area.id} if area.id is not None else set()
    return sorted(
        mid
        for mid in ids
        if mid in geo.county_of and covers(scope, municipality_id=mid, county_id=geo.county_of[mid])
    )


def _filtered(query: Select, column: Any, ids: list[int] | None) -> Select:  # type: ignore[type-arg]
    return query if ids is None else query.where(column.in_(ids))


async def figures_in_scope(
    session: AsyncSession,
    scope: Scope,
    area: Area,
    *,
    now: datetime,
    weeks: int = WEEKS,
) -> Figures | None:
    """The figures of `area`, or None when the scope does not cover it."""
    geo = await _geography(session)
    if not area_within(scope, area, geo.county_of):
        return None
    ids = _municipalities_of(area, scope, geo)
    by_municipality = await _counts(session, ids)
    counts: dict[str, int] = defaultdict(int)
    for statuses in by_municipality.values():
        for status, count in statuses.items():
            counts[status] += count
    oldest, middle = await _pending_ages(session, ids, counts.get("pending", 0), now)
    return Figures(
        area=area,
        name=_name(area, geo),
        county_name=(
            geo.county_name[geo.county_of[area.id]]
            if area.kind is AreaKind.MUNICIPALITY and area.id is not None
            else None
        ),
        counts=dict(counts),
        population=_population(area, geo),
        # Per municipality even for the country: each week is then a range of the
        # (municipality_id, submitted_at) index per municipality, not a scan of it.
        weeks=await _weeks(session, ids if ids is not None else sorted(geo.county_of), now, weeks),
        pending_oldest=oldest,
        pending_median=middle,
        unreachable=await _unreachable(session, ids),
        rows=_rows(area, geo, by_municipality),
    )


def _name(area: Area, geo: _Geography) -> str | None:
    if area.kind is AreaKind.COUNTY and area.id is not None:
        return geo.county_name[area.id]
    if area.kind is AreaKind.MUNICIPALITY and area.id is not None:
        return geo.municipality_name[area.id]
    return None


def _population(area: Area, geo: _Geography) -> int | None:
    if area.kind is AreaKind.COUNTY and area.id is not None:
        return geo.county_population.get(area.id)
    if area.kind is AreaKind.MUNICIPALITY and area.id is not None:
        return geo.municipality_population.get(area.id)
    known = list(geo.county_population.values())
    return sum(p for p in known if p) if known and all(known) else None


async def _counts(session: AsyncSession, ids: list[int] | None) -> dict[int, dict[str, int]]:
    """Entries by municipality and status, from the tally the triggers keep."""
    query = _filtered(
        select(MemberTally.municipality_id, MemberTally.status, MemberTally.entries),
        MemberTally.municipality_id,
        ids,
    )
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for municipality_id, status, entries in (await session.execute(query)).all():
        if entries:
            found[int(municipality_id)][str(status)] = int(entries)
    return found


async def _weeks(
    session: AsyncSession, ids: list[int] | None, now: datetime, weeks: int
) -> tuple[tuple[date, int], ...]:
    """Registrations (submitted applications, whatever became of them) per Tirana week.

    One statement of one count per week, each a range of an index: bucketing every row
    with a CASE over the boundaries evaluated it per row and took 15 times as long
    (280 ms against 18 ms for the country's last twelve weeks at 1 000 000 entries).
    The boundaries are computed in Python because SQLite knows no time zones.
    """
    starts = week_starts(now, weeks)
    ends: list[datetime | None] = [*starts[1:], None]
    counts = []
    for start, end in zip(starts, ends, strict=True):
        one = select(func.count()).where(Member.submitted_at >= start)
        if end is not None:
            one = one.where(Member.submitted_at < end)
        counts.append(_filtered(one, Member.municipality_id, ids).scalar_subquery())
    row = (await session.execute(select(*counts))).one()
    return tuple((tirana_day(start), int(count)) for start, count in zip(starts, row, strict=True))


async def _pending_ages(
    session: AsyncSession, ids: list[int] | None, pending: int, now: datetime
) -> tuple[timedelta | None, timedelta | None]:
    """How long the oldest pending application has waited, and the median wait.

    Both are read at their offset in submission order (one or two rows), not by loading
    every pending application. For a list of municipalities the order is a UNION ALL of
    each one's index range, which SQLite merges; `municipality_id IN (…)` instead read
    every pending entry of the country in order (55 ms against 5 ms for a county).
    """
    if pending == 0:
        return None, None
    waiting = select(Member.submitted_at.label("at")).where(Member.status == "pending")
    if ids is None:
        ordered = waiting.order_by(Member.submitted_at)
    else:
        parts = union_all(*[waiting.where(Member.municipality_id == mid) for mid in ids])
        union = parts.subquery()
        ordered = select(union.c.at).order_by(union.c.at)
    oldest = await session.scalar(ordered.limit(1))
    middle_rows = list(
        (await session.scalars(ordered.offset((pending - 1) // 2).limit(2 - pending % 2))).all()
    )
    if oldest is None:  # decided between the tally's read and this one
        return None, None
    return now - oldest, median([now - moment for moment in middle_rows])


async def _unreachable(session: AsyncSession, ids: list[int] | None) -> int:
    """Active entries (pending or approved) whose person blocked the bot.

    Driven from the few unreachable accounts (a partial index), each looked up in the
    covering (telegram_id, status, municipality_id) index for its place: one pass whatever
    the area (~35 ms for 20 000 unreachable of 1 000 000), where joining from the entries'
    side read every entry of the place and took seconds for the country. The status test
    is written `status || ''` so that SQLite does not prefer the partial unique index on
    telegram_id, which is not covering (twice as slow); the places are grouped from a
    materialized CTE, else SQLite looked each account up twice.
    """
    place = (
        select(Member.municipality_id)
        .where(
            Member.telegram_id == Account.telegram_id,
            (Member.status + literal("")).in_(MEMBER_ACTIVE),
        )
        .limit(1)
        .scalar_subquery()
    )
    blocked = (
        select(place.label("place"))
        .where(Account.unreachable_at.is_not(None))
        .cte("blocked")
        .prefix_with("MATERIALIZED")
    )
    query = select(blocked.c.place, func.count()).group_by(blocked.c.place)
    wanted = None if ids is None else set(ids)
    return sum(
        int(count)
        for municipality_id, count in (await session.execute(query)).all()
        if municipality_id is not None and (wanted is None or municipality_id in wanted)
    )


def _rows(
    area: Area, geo: _Geography, by_municipality: Mapping[int, Mapping[str, int]]
) -> tuple[AreaRow, ...]:
    """Per county for the country, per municipality for a county, none for a municipality."""
    if area.kind is AreaKind.MUNICIPALITY:
        return ()
    if area.kind is AreaKind.COUNTY:
        return tuple(
            AreaRow(mid, geo.municipality_name[mid], dict(by_municipality.get(mid, {})), pop)
            for mid, pop in sorted(
                geo.municipality_population.items(), key=lambda item: geo.municipality_name[item[0]]
            )
            if geo.county_of[mid] == area.id
        )
    per_county: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for mid, statuses in by_municipality.items():
        for status, count in statuses.items():
            per_county[geo.county_of[mid]][status] += count
    return tuple(
        AreaRow(cid, name, dict(per_county.get(cid, {})), geo.county_population.get(cid))
        for cid, name in sorted(geo.county_name.items(), key=lambda item: item[1])
    )
