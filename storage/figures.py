"""The register's figures (/statistika), counted in SQL within the asker's scope.

`figures_in_scope` takes the actor's `Scope` and the area asked for. An area the scope
does not cover gives None (the caller refuses and audits), and every query is filtered by
the scope again as well as by the area, so even a wrong area could only count inside the
scope. Counts only: no name, phone or date of birth is read.

Sized for 1 000 000 members on SQLite (bench/register.py): counts by municipality and
status come from the (municipality_id, status) index, weekly registrations from
(municipality_id, submitted_at), pending ages from (status, submitted_at), and the
unreachable from a partial index of the accounts that blocked the bot.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Select, case, func, select
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
from domain.permissions import Scope
from storage.applications import _in_scope  # the one scoping rule of member queries
from storage.models import MEMBER_ACTIVE, Account, County, Member, Municipality


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


def _municipalities_of(area: Area, geo: _Geography) -> list[int] | None:
    """The municipality ids of the area; None for the whole country (no filter)."""
    if area.kind is AreaKind.NATIONAL:
        return None
    if area.kind is AreaKind.COUNTY:
        return sorted(mid for mid, cid in geo.county_of.items() if cid == area.id)
    return [area.id] if area.id is not None else []


def _filtered(
    query: Select,  # type: ignore[type-arg]
    scope: Scope,
    municipality_ids: list[int] | None,
) -> Select:  # type: ignore[type-arg]
    """The area's filter and, again, the scope's (defence in depth, see the docstring)."""
    if municipality_ids is not None:
        query = query.where(Member.municipality_id.in_(municipality_ids))
    return _in_scope(query, scope)


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
    ids = _municipalities_of(area, geo)
    by_municipality = await _counts(session, scope, ids)
    counts: dict[str, int] = defaultdict(int)
    for statuses in by_municipality.values():
        for status, count in statuses.items():
            counts[status] += count
    oldest, middle = await _pending_ages(session, scope, ids, counts.get("pending", 0), now)
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
        weeks=await _weeks(session, scope, ids, now, weeks),
        pending_oldest=oldest,
        pending_median=middle,
        unreachable=await _unreachable(session, scope, ids),
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


async def _counts(
    session: AsyncSession, scope: Scope, ids: list[int] | None
) -> dict[int, dict[str, int]]:
    """Entries by municipality and status."""
    query = _filtered(
        select(Member.municipality_id, Member.status, func.count()).group_by(
            Member.municipality_id, Member.status
        ),
        scope,
        ids,
    )
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for municipality_id, status, count in (await session.execute(query)).all():
        found[int(municipality_id)][str(status)] = int(count)
    return found


async def _weeks(
    session: AsyncSession, scope: Scope, ids: list[int] | None, now: datetime, weeks: int
) -> tuple[tuple[date, int], ...]:
    """Registrations (submitted applications, whatever became of them) per Tirana week.

    One query: the week of each entry is a CASE over the week boundaries, computed in
    Python because SQLite knows no time zones.
    """
    starts = week_starts(now, weeks)
    week: ColumnElement[int] = case(
        *[
            (Member.submitted_at >= start, index)
            for index, start in reversed(list(enumerate(starts)))
        ],
        else_=-1,
    )
    query = _filtered(
        select(week.label("week"), func.count())
        .where(Member.submitted_at >= starts[0])
        .group_by("week"),
        scope,
        ids,
    )
    per_week = {int(index): int(count) for index, count in (await session.execute(query)).all()}
    return tuple((tirana_day(start), per_week.get(index, 0)) for index, start in enumerate(starts))


async def _pending_ages(
    session: AsyncSession, scope: Scope, ids: list[int] | None, pending: int, now: datetime
) -> tuple[timedelta | None, timedelta | None]:
    """How long the oldest pending application has waited, and the median wait.

    The median is read at its offset in submission order (one or two rows), not by
    loading every pending application.
    """
    if pending == 0:
        return None, None
    ordered = _filtered(
        select(Member.submitted_at).where(Member.status == "pending"), scope, ids
    ).order_by(Member.submitted_at)
    oldest = await session.scalar(ordered.limit(1))
    middle_rows = list(
        (await session.scalars(ordered.offset((pending - 1) // 2).limit(2 - pending % 2))).all()
    )
    assert oldest is not None
    return now - oldest, median([now - moment for moment in middle_rows])


async def _unreachable(session: AsyncSession, scope: Scope, ids: list[int] | None) -> int:
    """Active entries (pending or approved) whose person blocked the bot."""
    query = _filtered(
        select(func.count())
        .select_from(Account)
        .join(Member, Member.telegram_id == Account.telegram_id)
        .where(Account.unreachable_at.is_not(None), Member.status.in_(MEMBER_ACTIVE)),
        scope,
        ids,
    )
    return int(await session.scalar(query) or 0)


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
