"""Full names as members type them, checked and tidied for the register.

The register keeps one string per member, shown back to the member and to the chair, so
the parser both refuses what cannot be a name (digits, emoji, a single word) and quietly
repairs what phones do to names: curly apostrophes, doubled spaces, a name typed all in
lower case or with caps lock on.

Decisions worth knowing:
- Letters of any script are accepted (Albanian, Latin, Greek, Cyrillic, Arabic…), with
  their combining marks; inside a word only hyphens and apostrophes may join letters.
- A dot is accepted only as the mark of an initial, a one-letter word such as the father's
  initial in "Arben B. Hoxha" (a common Albanian way of writing names). An initial does not
  count as one of the two words the register needs, so "A. Hoxha" is ONE_WORD: the
  chair must be able to recognise the member by a full first name. Any other dot
  ("Dr. Hoxha", "arben.hoxha") is HAS_SYMBOLS.
- Stray punctuation at the edge of a word or doubled ("Hoxha-", "Mary--Jane") is
  HAS_SYMBOLS rather than silently dropped: the member retypes, we do not guess.
- Case is tidied part by part (the parts of a word are split at hyphens): a part typed
  all in lower case, all in upper case or starting with a small letter is title-cased
  ("arben HOXHA" → "Arben Hoxha"); a part that starts with a capital and has small letters
  too is kept as typed, since that is how real names are written ("McDonald", "DeLuca",
  "O'Brien"). A surname particle ("de", "van") between the first and the last word is
  written small unless the member capitalised it ("De Rada" stays).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from domain.text import collapse_whitespace

MIN_LENGTH = 3
MAX_LENGTH = 100

# What phones put in place of a plain apostrophe (’ on iOS, ‘ ` ´ from other keyboards).
_APOSTROPHES = "’‘`´ʼ′‛＇"
# Dashes that autocorrect makes of a typed hyphen.
_HYPHENS = "‐‑‒–—―−﹣－"
_PUNCTUATION_FOLDS = str.maketrans(
    {**dict.fromkeys(_APOSTROPHES, "'"), **dict.fromkeys(_HYPHENS, "-")}
)
# Zero-width (non-)joiners are part of spelling in Persian, Arabic and Indic names;
# every other invisible format character (bidi marks, BOM, zero-width space) is noise.
_JOINERS = frozenset("\u200c\u200d")
_SPACED_HYPHEN = re.compile(r"\s*-\s*")
_GLUED_INITIAL = re.compile(r"\.(?=[^\s.])")
_SEPARATORS = re.compile(r"[-']")
_SPLIT_KEEPING_SEPARATORS = re.compile(r"([-'])")

# Surname particles written small inside a name ("Jeronim de Rada") when typed all in one
# case. Only between the first and the last word, where they cannot be the given name or
# the surname itself.
_PARTICLES = frozenset(
    {"de", "di", "del", "della", "der", "den", "van", "von", "dos", "das", "bin", "ibn"}
)


class NameProblem(StrEnum):
    """Why a typed name was refused; the handler turns it into a translated message."""

    EMPTY = "empty"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    ONE_WORD = "one_word"
    HAS_DIGITS = "has_digits"
    HAS_SYMBOLS = "has_symbols"


@dataclass(frozen=True)
class NameResult:
    """The cleaned name (when accepted) or the reason it was refused; never both."""

    value: str | None
    error: NameProblem | None

    @property
    def ok(self) -> bool:
        return self.error is None


def parse_full_name(text: str) -> NameResult:
    """Check and tidy a member's full name (first name and surname, any script)."""
    name = _normalize(text)
    if not name:
        return _refuse(NameProblem.EMPTY)
    if any(unicodedata.category(ch).startswith("N") for ch in name):
        return _refuse(NameProblem.HAS_DIGITS)
    if not all(_is_allowed_char(ch) for ch in name):
        return _refuse(NameProblem.HAS_SYMBOLS)

    name = _SPACED_HYPHEN.sub("-", name)
    name = _GLUED_INITIAL.sub(". ", name)
    words = name.split(" ")
    shapes = [_word_shape(word) for word in words]
    if None in shapes:
        return _refuse(NameProblem.HAS_SYMBOLS)

    if len(name) > MAX_LENGTH:
        return _refuse(NameProblem.TOO_LONG)
    if len(name) < MIN_LENGTH:
        return _refuse(NameProblem.TOO_SHORT)
    if sum(1 for shape in shapes if shape == "word") < 2:
        return _refuse(NameProblem.ONE_WORD)

    name = _tidy_case(name.split(" "))
    return NameResult(value=unicodedata.normalize("NFC", name), error=None)


def _refuse(problem: NameProblem) -> NameResult:
    return NameResult(value=None, error=problem)


def _normalize(text: str) -> str:
    """NFC, plain apostrophes and hyphens, no invisible characters, single spaces."""
    text = unicodedata.normalize("NFC", text).translate(_PUNCTUATION_FOLDS)
    text = text.replace("\u200b", " ")  # a zero-width space still separates words
    text = "".join(ch for ch in text if ch in _JOINERS or unicodedata.category(ch) != "Cf")
    return collapse_whitespace(text)


def _is_allowed_char(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] in "LM" or ch in " -'." or ch in _JOINERS


def _is_letter(ch: str) -> bool:
    return unicodedata.category(ch).startswith("L")


def _word_shape(word: str) -> str | None:
    """'word', 'initial' (one letter and a dot) or None when the word is malformed."""
    is_initial = word.endswith(".")
    core = word[:-1] if is_initial else word
    if not core or "." in core:
        return None
    parts = _SEPARATORS.split(core)
    for part in parts:
        # Each hyphen/apostrophe must sit between letters; a part starts with a letter.
        if not part or not _is_letter(part[0]):
            return None
    if is_initial:
        if len(parts) != 1 or sum(1 for ch in core if _is_letter(ch)) != 1:
            return None
        return "initial"
    return "word"


def _kept_as_typed(part: str) -> bool:
    """A capital first and small letters after it: written on purpose ("McDonald")."""
    cased = [ch for ch in part if ch.islower() or ch.isupper()]
    if not cased:
        return True  # scripts without case (Arabic, Chinese)
    return cased[0].isupper() and any(ch.islower() for ch in cased[1:])


def _tidy_case(words: list[str]) -> str:
    """Title-case the parts typed in one case or starting small; keep the rest.

    After an apostrophe the next part is capitalised only behind a one-letter prefix
    (O'Brien, D'Angelo); elsewhere an apostrophe sits inside the word (Ma'mun).
    """
    result = []
    last = len(words) - 1
    for index, word in enumerate(words):
        if 0 < index < last and word.lower() in _PARTICLES and not _kept_as_typed(word):
            result.append(word.lower())
            continue
        result.append("-".join(_tidy_part(part) for part in word.split("-")))
    return " ".join(result)


def _tidy_part(part: str) -> str:
    if _kept_as_typed(part):
        return part
    pieces = _SPLIT_KEEPING_SEPARATORS.split(part)
    out: list[str] = []
    for i, piece in enumerate(pieces):
        if piece == "'" or not piece:
            out.append(piece)
            continue
        after_apostrophe = i >= 2 and pieces[i - 1] == "'"
        capitalise = not after_apostrophe or len(pieces[i - 2]) == 1
        lowered = piece.lower()
        out.append(lowered[0].title() + lowered[1:] if capitalise else lowered)
    return "".join(out)
