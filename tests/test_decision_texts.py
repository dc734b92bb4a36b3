"""Typed rejection reasons and deciders' names: what others will read, cleaned and bounded."""

from __future__ import annotations

import pytest

from domain.decisions import (
    MAX_OFFICER_NAME_LENGTH,
    MAX_REASON_LENGTH,
    ReasonProblem,
    TypedReason,
    officer_name,
    read_typed_reason,
)
from domain.text import bounded, visible_text


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        # A plain reason is kept as typed.
        ("Nuk jeton në Korçë", TypedReason("Nuk jeton në Korçë", None, 18)),
        # Spaces and line breaks collapse into one line.
        ("  Nuk   jeton\nnë Korçë ", TypedReason("Nuk jeton në Korçë", None, 18)),
        # A right-to-left override would make the member read it backwards: dropped.
        ("\u202eNuk jeton\u202c", TypedReason("Nuk jeton", None, 9)),
        # Bidi isolates and marks, zero-width joiners and a BOM: dropped.
        ("\u2067Nuk\u2069 \u200fjeton\u200d\ufeff", TypedReason("Nuk jeton", None, 9)),
        # A zero-width space still separates two words.
        ("Nuk\u200bjeton", TypedReason("Nuk jeton", None, 9)),
        # Only invisible characters: nothing to send.
        ("\u200e\u200b \u202e", TypedReason(None, ReasonProblem.EMPTY, 0)),
        # Exactly the limit is accepted.
        ("a" * MAX_REASON_LENGTH, TypedReason("a" * MAX_REASON_LENGTH, None, MAX_REASON_LENGTH)),
        # One character more is refused with its length, never cut.
        (
            "a" * (MAX_REASON_LENGTH + 1),
            TypedReason(None, ReasonProblem.TOO_LONG, MAX_REASON_LENGTH + 1),
        ),
        # The limit counts what is left after cleaning (invisible characters do not count).
        ("a" * MAX_REASON_LENGTH + "\u200e" * 5, TypedReason("a" * 200, None, 200)),
    ],
)
def test_typed_reasons(typed: str, read: TypedReason) -> None:
    assert read_typed_reason(typed) == read


@pytest.mark.parametrize(
    ("telegram_name", "kept"),
    [
        # An ordinary name.
        ("Besa Kola", "Besa Kola"),
        # Telegram's longest (64 + space + 64 = 129) is cut to the column, marked with "…".
        ("B" * 64 + " " + "K" * 64, "B" * 64 + " " + "K" * 62 + "…"),
        # A bidi override in a name (a known way to disguise one): dropped.
        ("\u202eBesa Kola", "Besa Kola"),
        # Only invisible characters: no name to show (the caller uses "another officer").
        ("\u200f\u200b", None),
    ],
)
def test_officer_names(telegram_name: str, kept: str | None) -> None:
    assert officer_name(telegram_name) == kept
    assert kept is None or len(kept) <= MAX_OFFICER_NAME_LENGTH


@pytest.mark.parametrize(
    ("text", "limit", "result"),
    [
        # Within the limit: unchanged.
        ("abc", 3, "abc"),
        # Over it: cut, the last character an ellipsis.
        ("abcd", 3, "ab…"),
        # A space before the cut is not left before the ellipsis.
        ("ab cd", 4, "ab…"),
    ],
)
def test_bounded(text: str, limit: int, result: str) -> None:
    assert bounded(text, limit) == result


@pytest.mark.parametrize(
    ("text", "result"),
    [
        # Control characters go, a tab is whitespace.
        ("a\x07b\tc", "ab c"),
        # Combining marks are kept (they are part of the letter) and composed.
        ("e\u0308", "ë"),
        # Private-use characters (a custom font's icons) go.
        ("a\ue000b", "ab"),
    ],
)
def test_visible_text(text: str, result: str) -> None:
    assert visible_text(text) == result
