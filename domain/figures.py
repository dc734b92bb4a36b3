"""Figures of the register for its keepers (/statistika): what they are, pure.

An officer asks for the figures of one area — the whole country, a county or a
municipality — and gets them only when their scope covers it (`area_within`); the storage
query filters by the same scope again. Weeks are Tirana weeks (Monday to Sunday, Europe/
Tirane), whatever the server's time zone. Coverage is approved members per 1 000
inhabitants of the 2023 census, and only where that population is known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.i18n import TIMEZONE
from domain.permissions import Scope, covers

#: Every status an entry can have, in the order the figures show them.
STATUSES = ("approved", "pending", "rejected", "withdrawn")
#: Weeks of registrations shown (the current one, partial, included).
WEEKS = 12


class AreaKind(StrEnum):
    NATIONAL = "national"
    COUNTY = "county"
    MUNICIPALITY = "municipality"


@dataclass(frozen=True)
class Area:
    """What the figures are of; `id` is the county's or municipality's (None: national)."""

    kind: AreaKind
    id: int | None = None


NATIONAL = Area(AreaKind.NATIONAL)


def area_within(scope: Scope, area: Area, county_of: Mapping[int, int]) -> bool:
    """Whether the scope covers the whole area; `county_of` maps municipality → county.

    An unknown county or municipality id (a forged button) is never covered.
    """
    if area.kind is AreaKind.NATIONAL:
        return scope.national
    if area.kind is AreaKind.COUNTY:
        known = area.id in set(county_of.values())
        return known and (scope.national or area.id in scope.county_ids)
    if area.id is None or area.id not in county_of:
        return False
    return covers(scope, municipality_id=area.id, county_id=county_of[area.id])


def widest_areas(scope: Scope, county_of: Mapping[int, int]) -> list[Area]:
    """The areas an officer's figures start from: the country, else each county, else each
    municipality outside those counties (a chair who is also a coordinator elsewhere)."""
    if scope.national:
        return [NATIONAL]
    counties = [Area(AreaKind.COUNTY, cid) for cid in sorted(scope.county_ids)]
    municipalities = [
        Area(AreaKind.MUNICIPALITY, mid)
        for mid in sorted(scope.municipality_ids)
        if county_of.get(mid) not in scope.county_ids
    ]
    return counties + municipalities


def per_thousand(members: int, population: int | None) -> float | None:
    """Members per 1 000 inhabitants; None where the population is not known."""
    if not population:
        return None
    return members * 1000 / population


def week_starts(now: datetime, weeks: int = WEEKS) -> list[datetime]:
    """The UTC instants at which the last `weeks` Tirana weeks began, oldest first.

    Monday 00:00 in Tirana is 23:00 UTC on Sunday in winter and 22:00 in summer, so the
    boundaries are computed in Tirana time and converted, not counted in UTC days.
    """
    tirana = ZoneInfo(TIMEZONE)
    local = now.astimezone(tirana)
    monday = local.date() - timedelta(days=local.weekday())
    days = [monday - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]
    return [datetime.combine(day, time(0), tzinfo=tirana).astimezone(UTC) for day in days]


def tirana_day(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(TIMEZONE)).date()


def median(values: list[timedelta]) -> timedelta | None:
    """The median of sorted or unsorted durations (the mean of the middle two when even)."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


@dataclass(frozen=True)
class AreaRow:
    """One county (national figures) or municipality (a county's) in the per-area rows."""

    id: int
    name: str
    counts: Mapping[str, int]
    population: int | None

    @property
    def approved(self) -> int:
        return self.counts.get("approved", 0)

    @property
    def pending(self) -> int:
        return self.counts.get("pending", 0)

    @property
    def coverage(self) -> float | None:
        return per_thousand(self.approved, self.population)


@dataclass(frozen=True)
class Figures:
    """The figures of one area at one moment; no personal data, only counts and ages."""

    area: Area
    name: str | None  # the county or municipality; None for the country
    county_name: str | None  # a municipality's county
    counts: Mapping[str, int]
    population: int | None
    weeks: tuple[tuple[date, int], ...]  # the Monday (Tirana) each week began, registrations
    pending_oldest: timedelta | None
    pending_median: timedelta | None
    unreachable: int  # active members whose account blocked the bot
    rows: tuple[AreaRow, ...] = field(default=())

    @property
    def approved(self) -> int:
        return self.counts.get("approved", 0)

    @property
    def pending(self) -> int:
        return self.counts.get("pending", 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def coverage(self) -> float | None:
        return per_thousand(self.approved, self.population)
