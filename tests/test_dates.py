"""Birth dates: every way members write 5 March 1980, and the ages they give."""

from __future__ import annotations

from datetime import date

import pytest

from domain.dates import DateProblem, DateResult, age_on, parse_birth_date

TODAY = date(2026, 1, 5)
MARCH_5_1980 = date(1980, 3, 5)


@pytest.mark.parametrize(
    "typed",
    [
        # Numeric, day first, with every separator people use.
        "5.3.1980",
        "05.03.1980",
        "5/3/1980",
        "05/03/1980",
        "5-3-1980",
        "5 3 1980",
        "5,3,1980",
        # A trailing dot, spaces around separators.
        "5.3.1980.",
        "5 . 3 . 1980",
        # ISO, the only year-first order.
        "1980-03-05",
        "1980/3/5",
        # Eight digits without separators.
        "05031980",
        # Albanian month names, full, short, any case, with a dot after the day.
        "5 mars 1980",
        "5 Mars 1980",
        "5 MARS 1980",
        "5 mar 1980",
        "5. mars 1980",
        "05 mars, 1980",
        "5 marsit 1980",
        # Albanian filler words: "on 5 March of the year 1980".
        "më 5 mars të vitit 1980",
        "me 5 mars viti 1980",
        "5 mars i vitit 1980",
        # English.
        "5 March 1980",
        "March 5, 1980",
        "the 5th of March, 1980",
        "Mar 5th 1980",
        # Roman numeral month, as on old Albanian documents.
        "5.III.1980",
        "5 iii 1980",
        # Year first with a month name.
        "1980 mars 5",
        # Surrounding whitespace and digits from another script.
        "  5.3.1980  ",
        "٥.٣.١٩٨٠",
    ],
)
def test_ways_of_writing_the_same_date(typed: str) -> None:
    assert parse_birth_date(typed, today=TODAY) == DateResult(MARCH_5_1980, None, 45)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        # Every Albanian month, full form.
        ("1 janar 1990", date(1990, 1, 1)),
        ("1 shkurt 1990", date(1990, 2, 1)),
        ("1 prill 1990", date(1990, 4, 1)),
        ("1 maj 1990", date(1990, 5, 1)),
        ("1 qershor 1990", date(1990, 6, 1)),
        ("1 korrik 1990", date(1990, 7, 1)),
        ("1 gusht 1990", date(1990, 8, 1)),
        ("1 shtator 1990", date(1990, 9, 1)),
        ("1 tetor 1990", date(1990, 10, 1)),
        ("1 nëntor 1990", date(1990, 11, 1)),
        ("1 nentor 1990", date(1990, 11, 1)),
        ("1 dhjetor 1990", date(1990, 12, 1)),
        # Every Albanian short form, with and without ë.
        ("1 jan 1990", date(1990, 1, 1)),
        ("1 shk 1990", date(1990, 2, 1)),
        ("1 pri 1990", date(1990, 4, 1)),
        ("1 qer 1990", date(1990, 6, 1)),
        ("1 kor 1990", date(1990, 7, 1)),
        ("1 gus 1990", date(1990, 8, 1)),
        ("1 sht 1990", date(1990, 9, 1)),
        ("1 tet 1990", date(1990, 10, 1)),
        ("1 nën 1990", date(1990, 11, 1)),
        ("1 nen 1990", date(1990, 11, 1)),
        ("1 dhj 1990", date(1990, 12, 1)),
        # Longer prefixes people stop at.
        ("1 shtat 1990", date(1990, 9, 1)),
        ("1 sept 1990", date(1990, 9, 1)),
        # English names and abbreviations.
        ("1 February 1990", date(1990, 2, 1)),
        ("1 may 1990", date(1990, 5, 1)),
        ("1 jun 1990", date(1990, 6, 1)),
        ("1 jul 1990", date(1990, 7, 1)),
        ("1 aug 1990", date(1990, 8, 1)),
        ("1 oct 1990", date(1990, 10, 1)),
        ("1 nov 1990", date(1990, 11, 1)),
        ("1 dec 1990", date(1990, 12, 1)),
        # Day first even when the day could be a month.
        ("12.1.1990", date(1990, 1, 12)),
        # Eight digits that only make sense year first.
        ("19900112", date(1990, 1, 12)),
        # Roman numerals: I and XII.
        ("1.I.1990", date(1990, 1, 1)),
        ("1 XII 1990", date(1990, 12, 1)),
        # A leap day in a leap year.
        ("29.2.1980", date(1980, 2, 29)),
    ],
)
def test_month_names_and_orders(typed: str, expected: date) -> None:
    result = parse_birth_date(typed, today=TODAY)
    assert result.ok
    assert result.value == expected


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        # Nothing typed.
        ("", DateProblem.EMPTY),
        ("   ", DateProblem.EMPTY),
        # Words that are not a date.
        ("dje", DateProblem.UNREADABLE),
        ("nuk e di", DateProblem.UNREADABLE),
        # A date with an emoji or extra words.
        ("5.3.1980 😀", DateProblem.UNREADABLE),
        ("5 mars 1980 abc", DateProblem.UNREADABLE),
        # Parts missing.
        ("5 mars", DateProblem.UNREADABLE),
        ("mars 1980", DateProblem.UNREADABLE),
        ("1980", DateProblem.UNREADABLE),
        ("5.3", DateProblem.UNREADABLE),
        # Too many numbers, or numbers of the wrong size.
        ("5.3.1980.4", DateProblem.UNREADABLE),
        ("5.3.19800", DateProblem.UNREADABLE),
        ("005.3.1980", DateProblem.UNREADABLE),
        ("5031980", DateProblem.UNREADABLE),
        # Two months named.
        ("5 mars prill 1980", DateProblem.UNREADABLE),
        # A prefix too short to name a month ("ju": June or July?).
        ("5 ju 1980", DateProblem.UNREADABLE),
        # Another script's month name.
        ("5 марта 1980", DateProblem.UNREADABLE),
        # Short years are never guessed (Babel would read 80 as 2080).
        ("5.3.80", DateProblem.TWO_DIGIT_YEAR),
        ("05/03/80", DateProblem.TWO_DIGIT_YEAR),
        ("5 mars 80", DateProblem.TWO_DIGIT_YEAR),
        ("5 mars '80", DateProblem.TWO_DIGIT_YEAR),
        ("050380", DateProblem.TWO_DIGIT_YEAR),
        ("5.3.198", DateProblem.TWO_DIGIT_YEAR),
        # Dates not in the calendar.
        ("31.2.1980", DateProblem.IMPOSSIBLE),
        ("29.2.1981", DateProblem.IMPOSSIBLE),
        ("31.4.1980", DateProblem.IMPOSSIBLE),
        ("5.0.1980", DateProblem.IMPOSSIBLE),
        ("0.3.1980", DateProblem.IMPOSSIBLE),
        ("32 mars 1980", DateProblem.IMPOSSIBLE),
        ("1980-13-05", DateProblem.IMPOSSIBLE),
        ("0000-01-01", DateProblem.IMPOSSIBLE),
        ("99999999", DateProblem.IMPOSSIBLE),
        # Month first (US order) where day first has no such month: asked to put the day
        # first, never swapped silently.
        ("03/25/1980", DateProblem.MONTH_FIRST),
        ("3/15/1980", DateProblem.MONTH_FIRST),
        ("5.13.1980", DateProblem.MONTH_FIRST),
        # Month 13 read either way is no date at all.
        ("13.13.1980", DateProblem.IMPOSSIBLE),
        # Swapped it would still be no date (30 February).
        ("2/30/1980", DateProblem.IMPOSSIBLE),
    ],
)
def test_unreadable_and_impossible(typed: str, problem: DateProblem) -> None:
    assert parse_birth_date(typed, today=TODAY) == DateResult(None, problem, None)


@pytest.mark.parametrize(
    ("typed", "result"),
    [
        # Tomorrow.
        ("6.1.2026", DateResult(date(2026, 1, 6), DateProblem.IN_FUTURE, None)),
        # Born today: not in the future, but 0 years old.
        ("5.1.2026", DateResult(date(2026, 1, 5), DateProblem.TOO_YOUNG, 0)),
        # Turns 18 tomorrow: still 17.
        ("6.1.2008", DateResult(date(2008, 1, 6), DateProblem.TOO_YOUNG, 17)),
        # Turns 18 today: accepted.
        ("5.1.2008", DateResult(date(2008, 1, 5), None, 18)),
        # Exactly the maximum age: accepted.
        ("5.1.1916", DateResult(date(1916, 1, 5), None, 110)),
        # One day over the maximum age.
        ("4.1.1915", DateResult(date(1915, 1, 4), DateProblem.TOO_OLD, 111)),
        # A four-digit year far in the past.
        ("5.3.1066", DateResult(date(1066, 3, 5), DateProblem.TOO_OLD, 959)),
    ],
)
def test_age_bounds(typed: str, result: DateResult) -> None:
    assert parse_birth_date(typed, today=TODAY) == result


def test_age_bounds_come_from_configuration() -> None:
    # A 16-year-old is accepted where the organisation allows youth members.
    result = parse_birth_date("1.1.2010", today=TODAY, min_age=16)
    assert result == DateResult(date(2010, 1, 1), None, 16)
    # And refused where the maximum is lower.
    assert parse_birth_date("1.1.1940", today=TODAY, max_age=80).error is DateProblem.TOO_OLD


@pytest.mark.parametrize(
    ("birth", "today", "age"),
    [
        # The day before the birthday.
        (date(1980, 3, 5), date(2026, 3, 4), 45),
        # The birthday itself.
        (date(1980, 3, 5), date(2026, 3, 5), 46),
        # Born today.
        (date(2026, 3, 5), date(2026, 3, 5), 0),
        # Earlier month, later day: the birthday has passed.
        (date(1980, 3, 25), date(2026, 4, 1), 46),
        # Later month, earlier day: not yet.
        (date(1980, 12, 1), date(2026, 11, 30), 45),
        # 29 February, common year: not yet on 28 February...
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        # ...one year older on 1 March.
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        # 29 February, leap year: the birthday itself.
        (date(2008, 2, 29), date(2028, 2, 29), 20),
        # New Year's Eve born, checked on New Year's Day.
        (date(2007, 12, 31), date(2026, 1, 1), 18),
    ],
)
def test_age_on(birth: date, today: date, age: int) -> None:
    assert age_on(birth, today) == age


def test_age_on_refuses_a_future_birth() -> None:
    # A negative age is a bug in the caller, not a value.
    with pytest.raises(ValueError):
        age_on(date(2030, 1, 1), TODAY)


def test_eighteenth_birthday_of_a_leap_day_baby() -> None:
    # Born 29.2.2008: still 17 on 28.2.2026, a member from 1.3.2026.
    assert parse_birth_date("29.2.2008", today=date(2026, 2, 28)).error is DateProblem.TOO_YOUNG
    assert parse_birth_date("29.2.2008", today=date(2026, 3, 1)).ok
