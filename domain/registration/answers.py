"""Answers to the four questions (name, date of birth, phone, municipality): parsed with the
domain's parsers, refused kindly with the parser's reason, or taken and the next question
asked with the answer shown back. Part of the dialogue in machine.py.

A refused answer changes nothing already entered: the refusal returns the state as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

from domain.dates import DEFAULT_MAX_AGE, DEFAULT_MIN_AGE, DateProblem, parse_birth_date
from domain.names import NameProblem, parse_full_name
from domain.phones import (
    PhoneProblem,
    PhoneResult,
    PhoneStatus,
    normalize_contact_phone,
    parse_phone,
)
from domain.places import MatchKind, MunicipalityMatcher, Place
from domain.registration.events import Contact, PhoneChecked
from domain.registration.outcomes import (
    Ask,
    CheckPhone,
    Confirm,
    ConfirmPhone,
    DidYouMean,
    ForeignContact,
    Invalid,
    Message,
    NoSuchPlace,
    PhoneTaken,
    Record,
    Transition,
    WhichOne,
)
from domain.registration.state import MAX_TYPED_NUMBERS, Draft, State, Step, next_step


@dataclass(frozen=True)
class Facts:
    """What answers are checked against: the same for everyone on a given day."""

    today: date
    places: Mapping[int, Place]
    matcher: MunicipalityMatcher
    min_age: int = DEFAULT_MIN_AGE
    max_age: int = DEFAULT_MAX_AGE


def say(state: State, *messages: Message) -> Transition:
    """Messages only: nothing to write beyond the draft (if it changed)."""
    return Transition(state, messages)


def question(draft: Draft, *, echo: bool = False, edit_id: int | None = None) -> Ask | Confirm:
    """What the draft's step asks (an unknown step starts again from the name)."""
    step = draft.step or Step.NAME
    if step is Step.SUMMARY:
        return Confirm(draft, edit_id)
    return Ask(step, draft, echo)


def advance(state: State, answered: Draft) -> Transition:
    """After a valid answer: the next question (the summary after an edit), showing back
    what was understood."""
    step = next_step(answered.answered(), editing=answered.editing)
    moved = replace(answered, step=step, editing=False, pending_phone=None, offered=())
    return say(replace(state, draft=moved), question(moved, echo=True))


def typed(state: State, draft: Draft, text: str, facts: Facts) -> Transition:
    """A typed answer to the draft's question (one of the four: never the summary)."""
    if draft.step is Step.NAME:
        name = parse_full_name(text)
        if name.value is None or name.error is not None:
            return say(state, Invalid(Step.NAME, name.error or NameProblem.EMPTY))
        return advance(state, replace(draft, full_name=name.value))
    if draft.step is Step.BIRTH_DATE:
        born = parse_birth_date(
            text, today=facts.today, min_age=facts.min_age, max_age=facts.max_age
        )
        if born.value is None or born.error is not None:
            return say(state, Invalid(Step.BIRTH_DATE, born.error or DateProblem.EMPTY))
        return advance(state, replace(draft, birth_date=born.value))
    if draft.step is Step.PHONE:
        return _phone(state, draft, parse_phone(text))
    return _municipality(state, draft, text, facts)


def contact(state: State, draft: Draft, shared: Contact) -> Transition:
    """A contact shared at the phone question."""
    if not shared.own:
        return Transition(state, (ForeignContact(),), (Record("registration.foreign_contact"),))
    result = normalize_contact_phone(shared.phone_number)
    if result.e164 is None:
        return _phone(state, draft, result)
    # Telegram vouches for the number of the account's own contact: that is the verification.
    return Transition(state, need=CheckPhone(result.e164, verified=True))


def phone_checked(state: State, draft: Draft, checked: PhoneChecked) -> Transition:
    """The register's answer for a number Telegram vouched for: another account's verified
    entry with it is refused (the person has proven the number is theirs, so telling them
    reveals nothing), else the number is taken, verified."""
    if checked.taken:
        kept = replace(draft, pending_phone=None, offered=())
        return Transition(
            replace(state, draft=kept), (PhoneTaken(),), (Record("registration.phone_in_use"),)
        )
    return advance(state, replace(draft, phone_e164=checked.e164, phone_verified=checked.verified))


def typed_number(state: State, draft: Draft, e164: str) -> Transition:
    """A typed number is taken as it is, without asking the register about it.

    Whether someone else's entry has the same number is never said to the person who
    typed it (a stranger could test numbers one by one): the clash shows on the decider's
    card instead. The count of typed numbers bounds the tries.
    """
    if draft.typed_numbers >= MAX_TYPED_NUMBERS:
        return say(state, Invalid(Step.PHONE, PhoneProblem.TOO_MANY_TYPED))
    taken = replace(
        draft, phone_e164=e164, phone_verified=False, typed_numbers=draft.typed_numbers + 1
    )
    return advance(state, taken)


def _phone(state: State, draft: Draft, result: PhoneResult) -> Transition:
    if result.e164 is None or result.error is not None:
        return say(state, Invalid(Step.PHONE, result.error or PhoneProblem.EMPTY))
    if draft.typed_numbers >= MAX_TYPED_NUMBERS:
        return say(state, Invalid(Step.PHONE, PhoneProblem.TOO_MANY_TYPED))
    if result.status is PhoneStatus.POSSIBLE:
        # Right length, unknown to the numbering plan: the member confirms it (a button).
        waiting = replace(draft, pending_phone=result.e164, offered=())
        return say(replace(state, draft=waiting), ConfirmPhone(result.e164))
    return typed_number(state, draft, result.e164)


def _municipality(state: State, draft: Draft, text: str, facts: Facts) -> Transition:
    match = facts.matcher.match(text)
    ids = tuple(place.id for place in match.places)
    if match.kind is MatchKind.EXACT:
        return advance(state, replace(draft, municipality_id=ids[0]))
    # A guess is offered, never taken: the member presses it (or asks for the list).
    if match.kind is MatchKind.FUZZY:
        offered = replace(draft, offered=ids[:1], pending_phone=None)
        return say(replace(state, draft=offered), DidYouMean(ids[0]))
    if match.kind is MatchKind.AMBIGUOUS:
        offered = replace(draft, offered=ids, pending_phone=None)
        return say(replace(state, draft=offered), WhichOne(ids))
    return say(state, NoSuchPlace())
