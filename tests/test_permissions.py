"""The pure rules of who may decide what and who hears about a waiting application."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.escalation import Level, Thresholds, levels_due
from domain.permissions import (
    Grant,
    RoleKind,
    Scope,
    can_decide,
    can_invite,
    can_list_pending,
    covers,
    scope_of,
)

KORCE, POGRADEC, TIRANE = 31, 35, 51  # municipality ids (arbitrary for pure rules)
KORCE_COUNTY, TIRANE_COUNTY = 7, 11

CHAIR_KORCE = Grant(1, RoleKind.CHAIR, county_id=KORCE_COUNTY, municipality_id=KORCE)
COORD_KORCE = Grant(2, RoleKind.COORDINATOR, county_id=KORCE_COUNTY)
ADMIN = Grant(3, RoleKind.ADMIN)

LIMITS = Thresholds(
    remind_chair=timedelta(hours=48),
    to_coordinator=timedelta(days=5),
    to_admin=timedelta(days=10),
)


def test_no_grants_is_an_empty_scope() -> None:
    scope = scope_of([])
    assert scope.empty
    assert scope == Scope(national=False, county_ids=frozenset(), municipality_ids=frozenset())
    assert not covers(scope, municipality_id=KORCE, county_id=KORCE_COUNTY)


def test_a_chair_covers_their_municipality_only() -> None:
    scope = scope_of([CHAIR_KORCE])
    assert scope.municipality_ids == {KORCE}
    # A chair grant carries its county for reference, but does not widen the scope to it.
    assert scope.county_ids == frozenset() and not scope.national
    assert covers(scope, municipality_id=KORCE, county_id=KORCE_COUNTY)
    assert not covers(scope, municipality_id=POGRADEC, county_id=KORCE_COUNTY)
    assert not covers(scope, municipality_id=TIRANE, county_id=TIRANE_COUNTY)


def test_a_coordinator_covers_every_municipality_of_the_county() -> None:
    scope = scope_of([COORD_KORCE])
    assert covers(scope, municipality_id=KORCE, county_id=KORCE_COUNTY)
    assert covers(scope, municipality_id=POGRADEC, county_id=KORCE_COUNTY)
    assert not covers(scope, municipality_id=TIRANE, county_id=TIRANE_COUNTY)


def test_an_admin_covers_everything() -> None:
    scope = scope_of([ADMIN])
    assert scope.national and not scope.empty
    assert covers(scope, municipality_id=TIRANE, county_id=TIRANE_COUNTY)


def test_several_grants_add_up() -> None:
    tirane_chair = Grant(4, RoleKind.CHAIR, county_id=TIRANE_COUNTY, municipality_id=TIRANE)
    scope = scope_of([CHAIR_KORCE, tirane_chair])
    assert scope.municipality_ids == {KORCE, TIRANE}
    assert not covers(scope, municipality_id=POGRADEC, county_id=KORCE_COUNTY)


def test_grants_without_their_place_give_nothing() -> None:
    """A malformed row (a chair without a municipality) must not become a wider scope."""
    scope = scope_of([Grant(5, RoleKind.CHAIR), Grant(6, RoleKind.COORDINATOR)])
    assert scope.empty


def test_who_may_invite_decide_and_list() -> None:
    assert can_invite([ADMIN]) and not can_invite([CHAIR_KORCE, COORD_KORCE])
    assert can_decide([CHAIR_KORCE], municipality_id=KORCE, county_id=KORCE_COUNTY)
    assert not can_decide([CHAIR_KORCE], municipality_id=POGRADEC, county_id=KORCE_COUNTY)
    assert can_list_pending([CHAIR_KORCE]) and not can_list_pending([])


@pytest.mark.parametrize(
    ("waited", "expected"),
    [
        (timedelta(0), set()),
        (timedelta(hours=47, minutes=59), set()),
        (timedelta(hours=48), {Level.CHAIR}),
        (timedelta(days=4, hours=23), {Level.CHAIR}),
        (timedelta(days=5), {Level.CHAIR, Level.COORDINATOR}),
        (timedelta(days=9, hours=23), {Level.CHAIR, Level.COORDINATOR}),
        (timedelta(days=10), {Level.CHAIR, Level.COORDINATOR, Level.ADMIN}),
    ],
)
def test_levels_join_at_their_thresholds(waited: timedelta, expected: set[Level]) -> None:
    assert levels_due(waited, LIMITS, has_chair=True, has_coordinator=True) == expected


def test_a_county_without_coordinator_escalates_to_admins_at_five_days() -> None:
    assert levels_due(timedelta(days=3), LIMITS, has_chair=True, has_coordinator=False) == {
        Level.CHAIR
    }
    assert levels_due(timedelta(days=5), LIMITS, has_chair=True, has_coordinator=False) == {
        Level.CHAIR,
        Level.ADMIN,
    }


def test_a_municipality_without_chair_escalates_at_once() -> None:
    assert levels_due(timedelta(0), LIMITS, has_chair=False, has_coordinator=True) == {
        Level.COORDINATOR
    }
    assert levels_due(timedelta(days=10), LIMITS, has_chair=False, has_coordinator=True) == {
        Level.COORDINATOR,
        Level.ADMIN,
    }
    assert levels_due(timedelta(0), LIMITS, has_chair=False, has_coordinator=False) == {Level.ADMIN}
