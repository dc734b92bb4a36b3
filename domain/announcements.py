"""Announcements, the rules without I/O: who may reach which structure, the wizard's steps,
the time to send later, and the figures of a running broadcast (design §4).

Targets are written `kind` or `kind:id`, the same in callback data, in the database and in
the CLI (`--target municipality:Korçë` is turned into an id before it gets here):

- `all`: every approved member (national staff only);
- `county:<id>`: the approved members of a county (national staff, that county's coordinator);
- `municipality:<id>`: one municipality's approved members (national staff, the coordinator
  of its county, its chair);
- `chairs`: every branch chair (national staff);
- `county_chairs:<id>`: the chairs of a county (national staff, that county's coordinator).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.permissions import Scope

TIRANA = ZoneInfo("Europe/Tirane")


class TargetKind(StrEnum):
    ALL = "all"
    COUNTY = "county"
    MUNICIPALITY = "municipality"
    CHAIRS = "chairs"
    COUNTY_CHAIRS = "county_chairs"


#: Targets that need an id (a county or a municipality).
WITH_ID = frozenset({TargetKind.COUNTY, TargetKind.MUNICIPALITY, TargetKind.COUNTY_CHAIRS})
#: Targets whose recipients are officers, not members.
OF_CHAIRS = frozenset({TargetKind.CHAIRS, TargetKind.COUNTY_CHAIRS})


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    place_id: int | None = None  # a county's or a municipality's id

    def __str__(self) -> str:
        return self.kind.value if self.place_id is None else f"{self.kind.value}:{self.place_id}"


def read_target(kind: str | None, place_id: int | None) -> Target | None:
    """A target from stored or pressed parts; None when the parts do not make one."""
    try:
        target_kind = TargetKind(kind or "")
    except ValueError:
        return None
    if (target_kind in WITH_ID) != (place_id is not None):
        return None
    if place_id is not None and place_id <= 0:
        return None
    return Target(target_kind, place_id)


def may_target(scope: Scope, target: Target, county_of: dict[int, int]) -> bool:
    """Whether an officer of `scope` may send to `target`.

    `county_of` maps each municipality id to its county id (reference data); an id that is
    not a known county or municipality is refused, like one outside the scope.
    """
    counties = set(county_of.values())
    match target.kind:
        case TargetKind.ALL | TargetKind.CHAIRS:
            return scope.national
        case TargetKind.COUNTY | TargetKind.COUNTY_CHAIRS:
            if target.place_id not in counties:
                return False
            return scope.national or target.place_id in scope.county_ids
        case TargetKind.MUNICIPALITY:
            county = county_of.get(target.place_id or 0)
            if county is None:
                return False
            return (
                scope.national
                or county in scope.county_ids
                or target.place_id in scope.municipality_ids
            )
    return False


def may_announce(scope: Scope) -> bool:
    return not scope.empty


# --- the wizard ---------------------------------------------------------------------------


class Step(StrEnum):
    TARGET = "target"  # choosing whom to reach
    MESSAGE = "message"  # waiting for the message to copy
    TIME = "time"  # waiting for a time to send later
    PREVIEW = "preview"  # shown back with Send / Cancel


#: The longest an unsent draft waits for its message before the wizard forgets it.
DRAFT_LIFETIME = timedelta(hours=6)


# --- sending later ------------------------------------------------------------------------

_TIME = re.compile(r"^(?:(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2,4}))?\s+)?(\d{1,2})[:.h](\d{2})$")
#: The furthest ahead an announcement may be scheduled.
LATEST = timedelta(days=60)


class TimeProblem(StrEnum):
    UNREADABLE = "unreadable"
    PAST = "past"
    TOO_FAR = "too_far"


@dataclass(frozen=True)
class ReadTime:
    at: datetime | None = None  # UTC
    problem: TimeProblem | None = None


def read_send_time(typed: str, now: datetime) -> ReadTime:
    """A time typed as «18:30», «18.30», «5.12 18:30» or «5.12.2026 18:30», in Tirana time.

    A bare time means today, or tomorrow once today's has passed. The answer is in UTC.
    """
    match = _TIME.match(" ".join(typed.strip().lower().split()))
    if match is None:
        return ReadTime(problem=TimeProblem.UNREADABLE)
    day_s, month_s, year_s, hour_s, minute_s = match.groups()
    local_now = now.astimezone(TIRANA)
    try:
        at_time = time(int(hour_s), int(minute_s))
        if day_s is None:
            day = local_now.date()
        else:
            year = local_now.year if year_s is None else int(year_s)
            if year < 100:
                year += 2000
            day = date(year, int(month_s), int(day_s))
    except ValueError:
        return ReadTime(problem=TimeProblem.UNREADABLE)
    local = datetime.combine(day, at_time, tzinfo=TIRANA)
    if day_s is None and local <= local_now:
        local = datetime.combine(day + timedelta(days=1), at_time, tzinfo=TIRANA)
    if day_s is not None and year_s is None and local <= local_now - timedelta(days=1):
        # «5.1» typed in December means next January.
        local = local.replace(year=local.year + 1)
    at = local.astimezone(UTC)
    if at <= now:
        return ReadTime(problem=TimeProblem.PAST)
    if at - now > LATEST:
        return ReadTime(problem=TimeProblem.TOO_FAR)
    return ReadTime(at=at)


# --- progress --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """Where a broadcast stands, from its deliveries' statuses."""

    total: int
    sent: int
    unreachable: int
    failed: int
    cancelled: int
    elapsed_seconds: float
    # Copies still queued or being sent. Not total − finished: a recipient who erases
    # their data takes their copy with them, and the broadcast must still end.
    left: int = 0

    @property
    def finished(self) -> int:
        return self.sent + self.unreachable + self.failed + self.cancelled

    @property
    def done(self) -> bool:
        return self.left == 0

    @property
    def percent(self) -> int:
        known = self.finished + self.left
        return 100 if known == 0 else int(100 * self.finished / known)

    @property
    def rate(self) -> float:
        """Deliveries finished per second so far."""
        return self.finished / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    @property
    def seconds_left(self) -> float | None:
        """At the rate so far; None before anything finished."""
        if self.done:
            return 0.0
        return self.left / self.rate if self.rate > 0 else None


#: The progress message is edited at most this often: each edit counts as a message.
PROGRESS_EVERY = timedelta(seconds=3)


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0
