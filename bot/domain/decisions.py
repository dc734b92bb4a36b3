"""Chairs' decisions: rejection reasons and membership numbers."""

from __future__ import annotations

from bot.i18n import N_, _

# Common reasons offered as buttons; the code is stored, the text is shown in the reader's
# language. Free text is stored as typed (capped), prefixed so the two never collide.
REJECTION_REASONS: dict[str, str] = {
    "not_resident": N_("Does not live in this municipality"),
    "unknown": N_("Not known to the local branch"),
    "details": N_("The details given are not correct"),
    "duplicate": N_("Already registered"),
}
FREE_TEXT_PREFIX = "text:"
CODE_PREFIX = "code:"
MAX_REASON_LENGTH = 200


def stored_reason_for_code(code: str) -> str | None:
    return CODE_PREFIX + code if code in REJECTION_REASONS else None


def stored_reason_for_text(text: str) -> str | None:
    """Free text as a reason: trimmed, one line, capped; None when empty."""
    cleaned = " ".join(text.split())
    if not cleaned:
        return None
    return FREE_TEXT_PREFIX + cleaned[:MAX_REASON_LENGTH]


def reason_text(stored: str | None) -> str:
    """The reason in the current language (codes translated, free text as the chair wrote it)."""
    if not stored:
        return _("no reason was given")
    if stored.startswith(CODE_PREFIX) and stored[len(CODE_PREFIX) :] in REJECTION_REASONS:
        return _(REJECTION_REASONS[stored[len(CODE_PREFIX) :]])
    if stored.startswith(FREE_TEXT_PREFIX):
        return stored[len(FREE_TEXT_PREFIX) :]
    return stored


def membership_number(municipality_code: str, sequence: int) -> str:
    """KOR-000042: the municipality's code and its running number, easy to read out."""
    return f"{municipality_code}-{sequence:06d}"
