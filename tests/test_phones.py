"""Phone numbers: typed in Albania, typed abroad, or shared as a Telegram contact."""

from __future__ import annotations

import pytest

from domain.phones import (
    PhoneProblem,
    PhoneResult,
    PhoneStatus,
    normalize_contact_phone,
    parse_phone,
)


@pytest.mark.parametrize(
    "typed",
    [
        # National format with the trunk 0, grouped or not.
        "069 212 3456",
        "0692123456",
        # Without the trunk 0.
        "692123456",
        # International with +, with 00, grouped.
        "+355692123456",
        "+355 69 212 3456",
        "00355 69 212 3456",
        "00355692123456",
        # Separators people use: dots, dashes, slashes, parentheses.
        "069.212.3456",
        "069-212-3456",
        "069/212 3456",
        "(069) 212 3456",
        "(+355) 69 212 3456",
        # The trunk 0 kept after the country code, with or without parentheses.
        "+355 (0) 69 212 3456",
        "+355 069 212 3456",
        # Surrounding spaces, a no-break space, an autocorrect dash.
        "  069 212 3456  ",
        "069\u00a0212\u00a03456",
        "069–212–3456",
        # Digits of another script, fullwidth digits and plus.
        "٠٦٩٢١٢٣٤٥٦",
        "＋３５５６９２１２３４５６",
    ],
)
def test_albanian_mobile_written_every_way(typed: str) -> None:
    assert parse_phone(typed) == PhoneResult(
        e164="+355692123456",
        status=PhoneStatus.VALID,
        error=None,
        country_code=355,
        is_albanian=True,
        formatted="+355 69 212 3456",
    )


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        # The examples from the library notes: 069 1xx is valid in every form.
        ("069 123 4567", "+355691234567"),
        ("0691234567", "+355691234567"),
        ("691234567", "+355691234567"),
        ("+355691234567", "+355691234567"),
        ("00355 69 123 4567", "+355691234567"),
        # The three mobile operators' ranges that the library knows.
        ("067 212 3456", "+355672123456"),
        ("068 212 3456", "+355682123456"),
        # A Tirana landline.
        ("04 222 3333", "+35542223333"),
    ],
)
def test_valid_albanian_numbers(typed: str, e164: str) -> None:
    result = parse_phone(typed)
    assert result.status is PhoneStatus.VALID
    assert result.e164 == e164
    assert result.is_albanian
    assert not result.needs_confirmation


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        # 067 1xx and 068 1xx: real numbers the library's tables call invalid.
        ("067 123 4567", "+355671234567"),
        ("068 123 4567", "+355681234567"),
        # 066: likewise.
        ("066 234 5678", "+355662345678"),
        # A landline missing a digit: the right shape, not in the tables.
        ("04 222 333", "+3554222333"),
    ],
)
def test_possible_numbers_are_confirmed_not_refused(typed: str, e164: str) -> None:
    result = parse_phone(typed)
    assert result.status is PhoneStatus.POSSIBLE
    assert result.needs_confirmation
    assert result.ok
    assert result.error is None
    assert result.e164 == e164
    assert result.formatted is not None and result.formatted.startswith("+355 ")


@pytest.mark.parametrize(
    ("typed", "e164", "country_code", "formatted"),
    [
        # Italy with +.
        ("+39 333 123 4567", "+393331234567", 39, "+39 333 123 4567"),
        # UK with 00: country code 44 even though the library's region is Guernsey.
        ("0044 7911 123456", "+447911123456", 44, "+44 7911 123456"),
        # USA.
        ("+1 212 555 0100", "+12125550100", 1, "+1 212-555-0100"),
        # Greece, Germany.
        ("+30 691 234 5678", "+306912345678", 30, "+30 691 234 5678"),
        ("+49 151 23456789", "+4915123456789", 49, "+49 1512 3456789"),
        # Kosovo, which has its own country code.
        ("+383 44 123 456", "+38344123456", 383, "+383 44 123 456"),
    ],
)
def test_diaspora_numbers(typed: str, e164: str, country_code: int, formatted: str) -> None:
    assert parse_phone(typed) == PhoneResult(
        e164=e164,
        status=PhoneStatus.VALID,
        error=None,
        country_code=country_code,
        is_albanian=False,
        formatted=formatted,
    )


@pytest.mark.parametrize(
    ("typed", "problem", "country_code"),
    [
        # Nothing typed.
        ("", PhoneProblem.EMPTY, None),
        ("   ", PhoneProblem.EMPTY, None),
        # Letters, words, emoji, symbols.
        ("abc", PhoneProblem.UNREADABLE, None),
        ("069 212 345six", PhoneProblem.UNREADABLE, None),
        ("s'kam", PhoneProblem.UNREADABLE, None),
        ("069 212 3456 📞", PhoneProblem.UNREADABLE, None),
        ("*100#", PhoneProblem.UNREADABLE, None),
        # Two numbers in one message.
        ("0692123456, 0682123456", PhoneProblem.UNREADABLE, None),
        # A plus that is not at the start, or only a plus.
        ("069+2123456", PhoneProblem.UNREADABLE, None),
        ("++355692123456", PhoneProblem.UNREADABLE, None),
        ("+", PhoneProblem.UNREADABLE, None),
        ("--", PhoneProblem.UNREADABLE, None),
        # Far too few digits.
        ("0", PhoneProblem.TOO_SHORT, None),
        ("00", PhoneProblem.TOO_SHORT, None),
        ("12", PhoneProblem.TOO_SHORT, 355),
        # A mobile missing digits (the library alone would call some "possible").
        ("069 212 345", PhoneProblem.TOO_SHORT, 355),
        ("069 2123", PhoneProblem.TOO_SHORT, 355),
        ("069123", PhoneProblem.TOO_SHORT, 355),
        # A mobile with a digit too many.
        ("069 212 34567", PhoneProblem.TOO_LONG, 355),
        ("0692123456789", PhoneProblem.TOO_LONG, 355),
        # A foreign number typed without + or 00 is read as Albanian, and is too long.
        ("393331234567", PhoneProblem.TOO_LONG, 355),
        # Only a country code.
        ("+355", PhoneProblem.TOO_SHORT, None),
        ("0044", PhoneProblem.TOO_SHORT, None),
        # A foreign number cut short.
        ("+44 20 7946 09", PhoneProblem.TOO_SHORT, 44),
        # A country code that does not exist.
        ("+999 123 4567", PhoneProblem.INVALID, None),
        ("+0692123456", PhoneProblem.INVALID, None),
    ],
)
def test_refused_numbers(typed: str, problem: PhoneProblem, country_code: int | None) -> None:
    assert parse_phone(typed) == PhoneResult(
        e164=None,
        status=PhoneStatus.INVALID,
        error=problem,
        country_code=country_code,
        is_albanian=country_code == 355,
        formatted=None,
    )


def test_default_region_reads_national_numbers_elsewhere() -> None:
    # A member configured for Italy types an Italian mobile without the country code.
    result = parse_phone("333 123 4567", default_region="IT")
    assert result.e164 == "+393331234567"
    assert not result.is_albanian


@pytest.mark.parametrize(
    ("shared", "e164", "country_code"),
    [
        # What Telegram sends: digits with the country code, no plus.
        ("355692123456", "+355692123456", 355),
        # Some clients send the plus.
        ("+355692123456", "+355692123456", 355),
        # A diaspora member's own number: UK, read by country code (not Guernsey).
        ("447911123456", "+447911123456", 44),
        # Italy, USA.
        ("393331234567", "+393331234567", 39),
        ("12125550100", "+12125550100", 1),
        # 00 as the international prefix.
        ("00355692123456", "+355692123456", 355),
    ],
)
def test_contact_shares_are_international(shared: str, e164: str, country_code: int) -> None:
    result = normalize_contact_phone(shared)
    assert result.status is PhoneStatus.VALID
    assert result.e164 == e164
    assert result.country_code == country_code
    assert result.is_albanian is (country_code == 355)


def test_contact_share_with_a_merely_possible_number() -> None:
    # 067 1xx as a contact: kept, to be confirmed like a typed one.
    result = normalize_contact_phone("355671234567")
    assert result.status is PhoneStatus.POSSIBLE
    assert result.e164 == "+355671234567"


@pytest.mark.parametrize(
    ("shared", "problem"),
    [
        # Empty.
        ("", PhoneProblem.EMPTY),
        # A national number is not what Telegram sends: 0 is no country code.
        ("0692123456", PhoneProblem.INVALID),
        # Garbage.
        ("not a phone", PhoneProblem.UNREADABLE),
        # A country code alone.
        ("355", PhoneProblem.TOO_SHORT),
    ],
)
def test_refused_contact_shares(shared: str, problem: PhoneProblem) -> None:
    result = normalize_contact_phone(shared)
    assert result.error is problem
    assert result.status is PhoneStatus.INVALID
    assert result.e164 is None


def test_masked_numbers_keep_the_operator_and_the_last_two_digits() -> None:
    from domain.phones import mask_phone

    assert mask_phone("+355692123467") == "+355 69 *** **67"
    assert mask_phone("+355681234567") == "+355 68 *** **67"
    assert mask_phone("+4915112345678") == "+49 1511 *****78"
    assert mask_phone("+12025550123") == "+1 ***-***-**23"
