"""Who must hear about a pending application, and when (pure rules)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class Level(StrEnum):
    CHAIR = "chair"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


@dataclass(frozen=True)
class Thresholds:
    remind_chair: timedelta
    to_coordinator: timedelta
    to_admin: timedelta


def levels_due(
    waited: timedelta, thresholds: Thresholds, *, has_chair: bool, has_coordinator: bool
) -> set[Level]:
    """The levels to remind for an application that has waited `waited`.

    A municipality with no chair escalates at once (to the coordinator, or to national staff
    when the county has no coordinator either); otherwise each level joins at its threshold.
    """
    due: set[Level] = set()
    if has_chair and waited >= thresholds.remind_chair:
        due.add(Level.CHAIR)
    if waited >= thresholds.to_coordinator or not has_chair:
        due.add(Level.COORDINATOR if has_coordinator else Level.ADMIN)
    if waited >= thresholds.to_admin or not (has_chair or has_coordinator):
        due.add(Level.ADMIN)
    return due
