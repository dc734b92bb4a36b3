"""Text folding shared by the domain parsers.

Members type on phones, mostly without ë and ç, sometimes with typographic punctuation
their keyboard inserted, sometimes with digits from another script. Every parser needs
the same few normalizations, so they live here once and are tested through their users.
"""

from __future__ import annotations

import re
import unicodedata

# Letters that carry their "accent" as part of the base character, so Unicode
# decomposition does not separate it; people who type without diacritics expect
# them to fold like ë → e does.
_BASE_LETTER_FOLDS = str.maketrans(
    {
        "đ": "d",
        "Đ": "D",
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "ħ": "h",
        "Ħ": "H",
        "ı": "i",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
    }
)

_WHITESPACE_RUN = re.compile(r"\s+")


def strip_diacritics(text: str) -> str:
    """Remove every combining mark (ë → e, ç → c, é → e) and fold a few base letters.

    Matching must not depend on whether the member's keyboard has ë and ç: most do not.
    """
    decomposed = unicodedata.normalize("NFD", text.translate(_BASE_LETTER_FOLDS))
    kept = "".join(ch for ch in decomposed if not unicodedata.category(ch).startswith("M"))
    return unicodedata.normalize("NFC", kept)


def fold_case(text: str) -> str:
    """Case- and diacritic-insensitive form of `text`.

    For example «KORÇË» becomes «korce».
    """
    return strip_diacritics(text).casefold()


def collapse_whitespace(text: str) -> str:
    """Trim and turn every run of whitespace (no-break spaces included) into one space."""
    return _WHITESPACE_RUN.sub(" ", text).strip()


def ascii_digits(text: str) -> str:
    """Replace decimal digits of any script (Arabic-Indic, fullwidth…) with ASCII ones.

    Phones set to another locale type other digits; the value is the same number.
    """
    return "".join(
        str(unicodedata.decimal(ch)) if not ch.isascii() and ch.isdecimal() else ch for ch in text
    )


def visible_text(text: str) -> str:
    """One line without invisible characters: bidi overrides and isolates, zero-width
    spaces and joiners, BOMs and control characters are dropped, whitespace collapsed.

    For text other people read as typed by someone else (a rejection reason, a Telegram
    name): a right-to-left override would make "Arsyeja: …" read backwards on the
    member's screen, and zero-width characters make two equal-looking texts differ.
    """
    text = unicodedata.normalize("NFC", text).replace("\u200b", " ")
    kept = "".join(ch for ch in text if ch.isspace() or unicodedata.category(ch) not in _HIDDEN)
    return collapse_whitespace(kept)


# Format (bidi, zero-width), control, unassigned and private-use characters.
_HIDDEN = frozenset({"Cf", "Cc", "Cn", "Co", "Cs"})


def bounded(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fold_name(text: str) -> str:
    """A person's name as it is searched: «Arbën  Hoxha» and «arben hoxha» alike."""
    return collapse_whitespace(fold_case(text)).strip()
