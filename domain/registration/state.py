"""Where a member's registration stands: the step, the answers so far, the register's entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Step(StrEnum):
    """Where a member's draft stands. Stored in the draft row, so values must stay stable."""

    NAME = "name"
    BIRTH_DATE = "birth_date"
    PHONE = "phone"
    MUNICIPALITY = "municipality"
    SUMMARY = "summary"


# The order the questions are asked in; Edit re-asks one of them and returns to the summary.
QUESTION_ORDER = (Step.NAME, Step.BIRTH_DATE, Step.PHONE, Step.MUNICIPALITY)


def next_step(answered: set[Step], *, editing: bool) -> Step:
    """The first unanswered question, or the summary (always the summary after an edit)."""
    if editing:
        return Step.SUMMARY
    for step in QUESTION_ORDER:
        if step not in answered:
            return step
    return Step.SUMMARY


def parse_step(value: str | None) -> Step | None:
    """A stored step name, or None for anything unknown (a row written by a newer version)."""
    try:
        return Step(value) if value is not None else None
    except ValueError:
        return None


#: Typed numbers one registration may take; a typo or two is expected, ten numbers are not.
MAX_TYPED_NUMBERS = 5


class Standing(StrEnum):
    """What the register already holds for the account: its latest entry, if any."""

    NONE = "none"  # never applied
    ACTIVE = "active"  # pending or approved: there is nothing to register again
    FORMER = "former"  # rejected or withdrawn: may apply again


@dataclass(frozen=True)
class Draft:
    """A registration in progress: the step it is at and what has been entered so far.

    Nothing of it exists before consent; storage/drafts.py keeps it in the
    `registration_draft` row, so a restart or a second process goes on from here.
    """

    step: Step | None  # None: a step this version does not know (a row from a newer version)
    full_name: str | None = None
    birth_date: date | None = None
    phone_e164: str | None = None
    phone_verified: bool = False
    municipality_id: int | None = None
    # One field re-asked from the summary: once answered, back to the summary.
    editing: bool = False
    # A merely possible number, waiting for «Yes, it is correct».
    pending_phone: str | None = None
    # The municipalities offered for a typo or an ambiguity (kept for the record: any
    # municipality button is accepted at this step, as the county picker offers them all).
    offered: tuple[int, ...] = ()
    # Numbers typed (not shared) and taken in this registration: bounded by
    # `MAX_TYPED_NUMBERS`, after which only the member's own shared contact is accepted.
    typed_numbers: int = 0

    def answered(self) -> set[Step]:
        """The questions that have an answer."""
        done = set()
        if self.full_name:
            done.add(Step.NAME)
        if self.birth_date:
            done.add(Step.BIRTH_DATE)
        if self.phone_e164:
            done.add(Step.PHONE)
        if self.municipality_id:
            done.add(Step.MUNICIPALITY)
        return done


@dataclass(frozen=True)
class State:
    """Everything the dialogue decides on for one person.

    `standing` is looked up only when the dialogue consults it (`machine.needs_standing`):
    most answers go to a draft and never need it, and each look-up is a query.
    """

    draft: Draft | None = None  # None: no registration in progress, nothing stored
    standing: Standing | None = None  # None: not looked up
