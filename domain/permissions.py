"""Who may do what: one place, pure, fed with grants read from the database on every action."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class RoleKind(StrEnum):
    ADMIN = "admin"  # national
    COORDINATOR = "coordinator"  # one county
    CHAIR = "chair"  # one municipality (a deputy is a second chair)


@dataclass(frozen=True)
class Grant:
    """An active role of the actor, as stored."""

    role_id: int
    kind: RoleKind
    county_id: int | None = None
    municipality_id: int | None = None


@dataclass(frozen=True)
class Scope:
    """The part of the register an actor may see and decide: national, counties, municipalities."""

    national: bool
    county_ids: frozenset[int]
    municipality_ids: frozenset[int]

    @property
    def empty(self) -> bool:
        return not (self.national or self.county_ids or self.municipality_ids)


def scope_of(grants: list[Grant]) -> Scope:
    return Scope(
        national=any(g.kind is RoleKind.ADMIN for g in grants),
        county_ids=frozenset(
            g.county_id for g in grants if g.kind is RoleKind.COORDINATOR and g.county_id
        ),
        municipality_ids=frozenset(
            g.municipality_id for g in grants if g.kind is RoleKind.CHAIR and g.municipality_id
        ),
    )


def covers(scope: Scope, *, municipality_id: int, county_id: int) -> bool:
    """Whether an application of this municipality is within the actor's scope."""
    return (
        scope.national or county_id in scope.county_ids or municipality_id in scope.municipality_ids
    )


def can_decide(grants: list[Grant], *, municipality_id: int, county_id: int) -> bool:
    """Chairs decide their municipality, coordinators their county, admins everything
    (coordinators and admins receive escalations and may act on them)."""
    return covers(scope_of(grants), municipality_id=municipality_id, county_id=county_id)


def can_invite(grants: list[Grant]) -> bool:
    return any(g.kind is RoleKind.ADMIN for g in grants)


def can_list_pending(grants: list[Grant]) -> bool:
    return bool(grants)


def covering_grant(grants: list[Grant], *, municipality_id: int, county_id: int) -> Grant | None:
    """The narrowest of the actor's grants that covers an entry of this municipality: the
    role in which they read it (shown to the member in "who looked at my data")."""
    for kind, fits in (
        (RoleKind.CHAIR, lambda g: g.municipality_id == municipality_id),
        (RoleKind.COORDINATOR, lambda g: g.county_id == county_id),
        (RoleKind.ADMIN, lambda g: True),
    ):
        for grant in grants:
            if grant.kind is kind and fits(grant):
                return grant
    return None


def reading_roles(
    grants: list[Grant], entries: Iterable[tuple[int, int, int]]
) -> list[tuple[int, Grant | None]]:
    """For (entry id, municipality id, county id) triples: each entry with the grant it is
    read in (the audit of reads, and the member's "who looked")."""
    return [
        (entry_id, covering_grant(grants, municipality_id=municipality_id, county_id=county_id))
        for entry_id, municipality_id, county_id in entries
    ]
