"""Phone numbers typed by members or shared as a Telegram contact, in E.164.

The register stores E.164 so a number is recognised whichever way it was typed
("069 212 3456", "+355692123456", "00355 69 212 3456"). Parsing is `phonenumbers`'
with a few rules of our own, each for a reason:

- A number the library finds *possible* but not *valid* is not refused (status POSSIBLE):
  its validity tables lag behind real allocations (phonenumbers 9.0 still calls some
  067 1xx and 068 1xx mobiles invalid), so the member is asked to confirm it instead.
- An Albanian mobile (national number starting with 6) must have nine digits: the
  library would call a mobile missing a digit "possible" (it looks like a fixed line
  without an area code), and that is almost always a typo.
- A number that only works locally, without an area code, is TOO_SHORT: the chair
  calling back may not be in the same town.
- Albanian or abroad is decided by the country calling code (355), not by
  `region_code_for_number`, which for instance puts UK mobiles in Guernsey.
- Numbers abroad need "+" or "00": without it a number is read as Albanian.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

from domain.text import ascii_digits

ALBANIA_COUNTRY_CODE = 355
ALBANIAN_MOBILE_LENGTH = 9

# Separators people put between digit groups; anything else that is not a digit or a
# leading "+" makes the text unreadable.
_SEPARATORS = re.compile(r"[\s.\-()/\u2010-\u2015\u2212]+")


class PhoneStatus(StrEnum):
    """How far a number could be trusted."""

    VALID = "valid"
    POSSIBLE = "possible"  # right length, not in the library's tables: confirm with the member
    INVALID = "invalid"  # refused: see `PhoneResult.error`


class PhoneProblem(StrEnum):
    """Why a number was refused; the handler turns it into a translated message."""

    EMPTY = "empty"
    UNREADABLE = "unreadable"  # letters, symbols, a "+" in the middle
    INVALID = "invalid"  # not even possible: unknown country code or wrong length pattern
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    # Several numbers typed in one registration already: only a shared contact is taken now,
    # so nobody can try numbers one after another.
    TOO_MANY_TYPED = "too_many_typed"


@dataclass(frozen=True)
class PhoneResult:
    """A parsed number, or the reason it was refused.

    `e164` and `formatted` (international format, for showing back) are set for VALID and
    POSSIBLE; `country_code` is set whenever the country could be read, even on refusal.
    """

    e164: str | None
    status: PhoneStatus
    error: PhoneProblem | None
    country_code: int | None
    is_albanian: bool
    formatted: str | None

    @property
    def ok(self) -> bool:
        """Usable, possibly after the member confirms it (see `needs_confirmation`)."""
        return self.error is None

    @property
    def needs_confirmation(self) -> bool:
        return self.status is PhoneStatus.POSSIBLE


def parse_phone(text: str, *, default_region: str = "AL") -> PhoneResult:
    """Parse a number typed by a member; national numbers are read in `default_region`."""
    compact = _compact(text)
    if isinstance(compact, PhoneProblem):
        return _refuse(compact)
    return _parse(compact, default_region)


def normalize_contact_phone(phone_number: str) -> PhoneResult:
    """Parse the number of a shared Telegram contact, always international.

    Telegram sends it as digits with the country code and usually without "+"
    ("355692123456"), so a "+" is added rather than reading it as a national number.
    """
    compact = _compact(phone_number)
    if isinstance(compact, PhoneProblem):
        return _refuse(compact)
    if not compact.startswith("+"):
        compact = "+" + compact
    return _parse(compact, None)


def _compact(text: str) -> str | PhoneProblem:
    """Digits with an optional leading "+" ("00" becomes "+"), or why that is impossible."""
    text = ascii_digits(unicodedata.normalize("NFKC", text)).strip()
    if not text:
        return PhoneProblem.EMPTY
    compact = _SEPARATORS.sub("", text)
    body = compact[1:] if compact.startswith("+") else compact
    if not body or not body.isascii() or not body.isdigit():
        return PhoneProblem.UNREADABLE
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    return compact


def _parse(compact: str, region: str | None) -> PhoneResult:
    try:
        number = phonenumbers.parse(compact, region)
    except NumberParseException as exc:
        return _refuse(_PARSE_ERRORS.get(exc.error_type, PhoneProblem.INVALID))

    country_code = number.country_code
    reason = phonenumbers.is_possible_number_with_reason(number)
    problem = _POSSIBILITY_PROBLEMS.get(reason)
    valid = problem is None and phonenumbers.is_valid_number(number)
    if problem is None and not valid and country_code == ALBANIA_COUNTRY_CODE:
        problem = _albanian_length_problem(number)
    if problem is not None:
        return _refuse(problem, country_code)
    return PhoneResult(
        e164=phonenumbers.format_number(number, PhoneNumberFormat.E164),
        status=PhoneStatus.VALID if valid else PhoneStatus.POSSIBLE,
        error=None,
        country_code=country_code,
        is_albanian=country_code == ALBANIA_COUNTRY_CODE,
        formatted=phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL),
    )


def _albanian_length_problem(number: phonenumbers.PhoneNumber) -> PhoneProblem | None:
    """Catch Albanian numbers the library calls possible that cannot be right."""
    if number.italian_leading_zero:
        # "069123": the library keeps the 0 when what follows it is too short.
        return PhoneProblem.TOO_SHORT
    national = phonenumbers.national_significant_number(number)
    if national.startswith("6") and len(national) != ALBANIAN_MOBILE_LENGTH:
        return (
            PhoneProblem.TOO_SHORT
            if len(national) < ALBANIAN_MOBILE_LENGTH
            else PhoneProblem.TOO_LONG
        )
    return None


def _refuse(problem: PhoneProblem, country_code: int | None = None) -> PhoneResult:
    return PhoneResult(
        e164=None,
        status=PhoneStatus.INVALID,
        error=problem,
        country_code=country_code,
        is_albanian=country_code == ALBANIA_COUNTRY_CODE,
        formatted=None,
    )


_PARSE_ERRORS: dict[int, PhoneProblem] = {
    NumberParseException.INVALID_COUNTRY_CODE: PhoneProblem.INVALID,
    # Raised for a lone digit or two: too little to be a number at all.
    NumberParseException.NOT_A_NUMBER: PhoneProblem.TOO_SHORT,
    NumberParseException.TOO_SHORT_AFTER_IDD: PhoneProblem.TOO_SHORT,
    NumberParseException.TOO_SHORT_NSN: PhoneProblem.TOO_SHORT,
    NumberParseException.TOO_LONG: PhoneProblem.TOO_LONG,
}

_POSSIBILITY_PROBLEMS: dict[int, PhoneProblem] = {
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: PhoneProblem.TOO_SHORT,
    ValidationResult.INVALID_COUNTRY_CODE: PhoneProblem.INVALID,
    ValidationResult.TOO_SHORT: PhoneProblem.TOO_SHORT,
    ValidationResult.INVALID_LENGTH: PhoneProblem.INVALID,
    ValidationResult.TOO_LONG: PhoneProblem.TOO_LONG,
}


def display_phone(e164: str) -> str:
    """A stored number as people read it: «+355 69 212 3467»."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)


def mask_phone(e164: str) -> str:
    """A number as officers see it by default: country code, the first group (the
    operator) and the last two digits, the rest hidden — «+355 69 *** **67».

    Enough to tell two members apart or recognise a number one already knows; not enough
    to call or copy (design §8). Revealing the whole number is a deliberate, audited act.
    """
    country, _, rest = display_phone(e164).partition(" ")
    first, space, body = rest.partition(" ")
    if not space:  # one group only (e.g. «202-555-0123»): hide all of it but the end
        first, body = "", rest
    total = sum(ch.isdigit() for ch in body)
    seen = 0
    hidden = []
    for ch in body:
        if ch.isdigit():
            seen += 1
            hidden.append(ch if seen > total - 2 else "*")
        else:
            hidden.append(ch)
    return " ".join(part for part in (country, first, "".join(hidden)) if part)
