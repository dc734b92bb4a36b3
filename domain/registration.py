"""The registration conversation as pure rules: which step comes next, what a typed consent says."""

from __future__ import annotations

import re
from enum import StrEnum

from domain.text import fold_case


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


# What people type instead of pressing the consent buttons, folded (case, diacritics and
# punctuation ignored). Only obvious answers: anything else shows the buttons again.
_TYPED_YES = frozenset(
    {"po", "yes", "dakord", "po dakord", "jam dakord", "po jam dakord", "i agree", "yes i agree"}
)
_TYPED_NO = frozenset(
    {"jo", "no", "jo faleminderit", "nuk jam dakord", "no thank you", "no thanks"}
)


def typed_consent(text: str) -> bool | None:
    """A typed answer to the consent question: True (yes), False (no) or None (unclear)."""
    words = " ".join(re.findall(r"[a-z]+", fold_case(text)))
    if words in _TYPED_YES:
        return True
    if words in _TYPED_NO:
        return False
    return None
