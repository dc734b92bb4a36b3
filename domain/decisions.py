"""Chairs' decisions: rejection reasons and membership numbers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.i18n import N_, _
from domain.text import bounded, visible_text

# Common reasons offered as buttons; the code is stored, the text is shown in the reader's
# language. Free text is stored cleaned, prefixed so the two never collide.
REJECTION_REASONS: dict[str, str] = {
    "not_resident": N_("Does not live in this municipality"),
    "unknown": N_("Not known to the local branch"),
    "details": N_("The details given are not correct"),
    "duplicate": N_("Already registered"),
}
FREE_TEXT_PREFIX = "text:"
CODE_PREFIX = "code:"
MAX_REASON_LENGTH = 200
# The width of the name columns (role.holder_name): a Telegram name can be 129 characters
# (64 + a space + 64), and PostgreSQL refuses what SQLite would quietly store.
MAX_OFFICER_NAME_LENGTH = 128


class ReasonProblem(StrEnum):
    """Why a typed reason was not taken; the handler says it in the decider's language."""

    EMPTY = "empty"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class TypedReason:
    """A typed reason, cleaned (`text`), or why it cannot be used; `length` as cleaned."""

    text: str | None
    problem: ReasonProblem | None
    length: int


def stored_reason_for_code(code: str) -> str | None:
    return CODE_PREFIX + code if code in REJECTION_REASONS else None


def read_typed_reason(typed: str) -> TypedReason:
    """A reason as a decider typed it: one visible line of at most MAX_REASON_LENGTH.

    Too long is refused rather than cut: the member would read a sentence cut in half.
    """
    cleaned = visible_text(typed)
    if not cleaned:
        return TypedReason(None, ReasonProblem.EMPTY, 0)
    if len(cleaned) > MAX_REASON_LENGTH:
        return TypedReason(None, ReasonProblem.TOO_LONG, len(cleaned))
    return TypedReason(cleaned, None, len(cleaned))


def stored_reason_for_text(cleaned: str) -> str:
    """How a reason read by `read_typed_reason` is stored."""
    return FREE_TEXT_PREFIX + cleaned


def officer_name(telegram_name: str) -> str | None:
    """A decider's Telegram name as others read it and the roles keep it: visible
    characters only, within the column's width; None when nothing visible is left."""
    cleaned = visible_text(telegram_name)
    return bounded(cleaned, MAX_OFFICER_NAME_LENGTH) if cleaned else None


def reason_text(stored: str | None) -> str:
    """The reason in the current language (codes translated, free text as the chair wrote it)."""
    if not stored:
        return _("not specified")
    if stored.startswith(CODE_PREFIX) and stored[len(CODE_PREFIX) :] in REJECTION_REASONS:
        return _(REJECTION_REASONS[stored[len(CODE_PREFIX) :]])
    if stored.startswith(FREE_TEXT_PREFIX):
        return stored[len(FREE_TEXT_PREFIX) :]
    return stored


def membership_number(municipality_code: str, sequence: int) -> str:
    """KOR-000042: the municipality's code and its running number, easy to read out."""
    return f"{municipality_code}-{sequence:06d}"
