"""Birth dates as Albanian members type them, and the age they give.

Our own small parser rather than Babel's: Babel reads "80" as 2080 (or 1980, depending on
the pattern) and silently accepts month-first orders, while a register must never guess a
birth year or swap a day and a month. The rules:

- Numeric dates are always day first (Albanian convention): 5.3.1980, 05/03/1980,
  5-3-1980, 5 3 1980, or eight digits 05031980. Only a four-digit year may come first,
  and then it is ISO order: 1980-03-05.
- Month names in Albanian (janar … dhjetor, with or without ë, definite forms such as
  "marsit" too) or English (March, Mar), any case, any unambiguous prefix of at least
  three letters ("shtat", "sept"); Roman numeral months as on old documents (5.III.1980).
- The year must have four digits: "5.3.80" is TWO_DIGIT_YEAR, never a guess.
- A month-first date that cannot be read day first ("3/15/1980") is MONTH_FIRST, so the
  member is asked to put the day first; it is never swapped silently.
- Filler words people add are ignored: «më 5 mars të vitit 1980», «the 5th of March 1980».
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.text import ascii_digits, collapse_whitespace, fold_case

DEFAULT_MIN_AGE = 18
DEFAULT_MAX_AGE = 110


class DateProblem(StrEnum):
    """Why a typed birth date was refused; the handler turns it into a translated message."""

    EMPTY = "empty"
    UNREADABLE = "unreadable"
    TWO_DIGIT_YEAR = "two_digit_year"  # any year shorter than four digits
    IMPOSSIBLE = "impossible"  # 31.2.1980, month 13, day 0
    MONTH_FIRST = "month_first"  # 3/15/1980: no month 15, but 15 March is a date
    IN_FUTURE = "in_future"
    TOO_YOUNG = "too_young"
    TOO_OLD = "too_old"


@dataclass(frozen=True)
class DateResult:
    """A parsed birth date with the member's age, or the reason it was refused.

    `value` is set whenever a real calendar date was read, also when it is refused for
    the age (IN_FUTURE, TOO_YOUNG, TOO_OLD), so the message can show what was understood;
    `age` is set for TOO_YOUNG and TOO_OLD and on success. Test `ok`, not `value`.
    """

    value: date | None
    error: DateProblem | None
    age: int | None

    @property
    def ok(self) -> bool:
        return self.error is None


# Month spellings, already folded (lower case, no diacritics). Any prefix of three or
# more letters of one of these that names a single month is accepted as well.
_MONTH_WORDS: dict[int, tuple[str, ...]] = {
    1: ("janar", "janari", "janarit", "january"),
    2: ("shkurt", "shkurti", "shkurtit", "february"),
    3: ("mars", "marsi", "marsit", "march"),
    4: ("prill", "prilli", "prillit", "april"),
    5: ("maj", "maji", "majit", "may"),
    6: ("qershor", "qershori", "qershorit", "june"),
    7: ("korrik", "korriku", "korrikut", "july"),
    8: ("gusht", "gushti", "gushtit", "august"),
    9: ("shtator", "shtatori", "shtatorit", "september"),
    10: ("tetor", "tetori", "tetorit", "october"),
    11: ("nentor", "nentori", "nentorit", "november"),
    12: ("dhjetor", "dhjetori", "dhjetorit", "december"),
}
_ROMAN_MONTHS = {
    roman: number
    for number, roman in enumerate(
        ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"), start=1
    )
}
# Words around a date that carry no information: «më 5 mars të vitit 1980»,
# «born on the 5th of March, 1980», «data 5.3.1980».
_FILLER_WORDS = frozenset(
    {
        "me", "ne", "te", "i", "e", "viti", "vitit", "vit", "data", "datelindja",
        "lindur", "jam", "on", "the", "of", "born", "year", "date",
    }
)  # fmt: skip
_TOKEN = re.compile(r"\d+|[^\W\d_]+")
_ALLOWED_LEFTOVERS = re.compile(r"[\s.,/\-']*")
_ENGLISH_ORDINAL = re.compile(r"(?<=\d)(st|nd|rd|th)\b")


def age_on(birth: date, today: date) -> int:
    """Completed years of life on `today`.

    Someone born on 29 February turns a year older on 1 March in common years (their
    birthday has not yet come on 28 February), as for any other date not yet reached.
    """
    if today < birth:
        raise ValueError("birth date is after today")
    not_yet_this_year = (today.month, today.day) < (birth.month, birth.day)
    return today.year - birth.year - int(not_yet_this_year)


def parse_birth_date(
    text: str,
    *,
    today: date,
    min_age: int = DEFAULT_MIN_AGE,
    max_age: int = DEFAULT_MAX_AGE,
) -> DateResult:
    """Read a birth date typed by a member and check it against the age bounds."""
    cleaned = collapse_whitespace(fold_case(ascii_digits(text)))
    if not cleaned:
        return DateResult(None, DateProblem.EMPTY, None)
    read = _read_date(cleaned)
    if isinstance(read, DateProblem):
        return DateResult(None, read, None)
    birth = read
    if birth > today:
        return DateResult(birth, DateProblem.IN_FUTURE, None)
    age = age_on(birth, today)
    if age < min_age:
        return DateResult(birth, DateProblem.TOO_YOUNG, age)
    if age > max_age:
        return DateResult(birth, DateProblem.TOO_OLD, age)
    return DateResult(birth, None, age)


def _read_date(cleaned: str) -> date | DateProblem:
    """The calendar date in `cleaned` (folded text), or why there is none."""
    cleaned = _ENGLISH_ORDINAL.sub("", cleaned)
    tokens = _TOKEN.findall(cleaned)
    if _ALLOWED_LEFTOVERS.fullmatch(_TOKEN.sub("", cleaned)) is None:
        return DateProblem.UNREADABLE  # emoji, symbols, letters of no use here
    numbers = [token for token in tokens if token.isdigit()]
    words = [token for token in tokens if not token.isdigit()]

    month_words = [month for word in words if (month := _month_from_word(word)) is not None]
    other_words = [word for word in words if _month_from_word(word) is None]

    if len(numbers) == 3 and not month_words and all(w in _FILLER_WORDS for w in words):
        return _from_numbers(*numbers)
    if len(numbers) == 1 and not words and len(numbers[0]) in (6, 8):
        return _from_compact(numbers[0])
    if len(numbers) == 2:
        if len(month_words) == 1 and all(w in _FILLER_WORDS for w in other_words):
            return _from_day_year(numbers, month_words[0])
        romans = [w for w in words if w in _ROMAN_MONTHS]
        if not month_words and len(romans) == 1:
            rest = [w for w in words if w != romans[0]]
            if all(w in _FILLER_WORDS for w in rest):
                return _from_day_year(numbers, _ROMAN_MONTHS[romans[0]])
    return DateProblem.UNREADABLE


def _month_from_word(word: str) -> int | None:
    """The month a (folded) word names, accepting unambiguous prefixes of 3+ letters."""
    if len(word) < 3:
        return None
    found = {
        month
        for month, spellings in _MONTH_WORDS.items()
        if any(spelling.startswith(word) for spelling in spellings)
    }
    return found.pop() if len(found) == 1 else None


def _from_numbers(first: str, second: str, third: str) -> date | DateProblem:
    if len(first) == 4 and len(second) <= 2 and len(third) <= 2:
        return _make_date(int(first), int(second), int(third))  # ISO: year-month-day
    if len(first) <= 2 and len(second) <= 2:
        if len(third) == 4:
            read = _make_date(int(third), int(second), int(first))
            # Written month first, the American way: say so rather than "no such date".
            swapped = _make_date(int(third), int(first), int(second))
            if read is DateProblem.IMPOSSIBLE and int(second) > 12 and isinstance(swapped, date):
                return DateProblem.MONTH_FIRST
            return read
        if len(third) < 4:
            return DateProblem.TWO_DIGIT_YEAR
    return DateProblem.UNREADABLE


def _from_compact(digits: str) -> date | DateProblem:
    """Eight digits typed without separators: ddmmyyyy, or else yyyymmdd if only that is a date."""
    if len(digits) == 6:
        return DateProblem.TWO_DIGIT_YEAR  # ddmmyy
    day_first = _make_date(int(digits[4:]), int(digits[2:4]), int(digits[:2]))
    if isinstance(day_first, date):
        return day_first
    year_first = _make_date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    return year_first if isinstance(year_first, date) else DateProblem.IMPOSSIBLE


def _from_day_year(numbers: list[str], month: int) -> date | DateProblem:
    """Two numbers around a month name: the four-digit one is the year, the other the day."""
    years = [n for n in numbers if len(n) == 4]
    days = [n for n in numbers if len(n) <= 2]
    if len(years) == 1 and len(days) == 1:
        return _make_date(int(years[0]), month, int(days[0]))
    if not years and len(days) >= 1 and all(len(n) <= 3 for n in numbers):
        return DateProblem.TWO_DIGIT_YEAR
    return DateProblem.UNREADABLE


def _make_date(year: int, month: int, day: int) -> date | DateProblem:
    try:
        return date(year, month, day)
    except ValueError:
        return DateProblem.IMPOSSIBLE
