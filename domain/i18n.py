"""Gettext for every user-visible string.

The current user's language lives in a ContextVar, set once per update (and explicitly by
background jobs for each recipient), so handlers simply call `_("…")`. Catalogs are the
`.po` files in `locales/`, compiled in memory at first use: there is no build step to forget
and a catalog that does not compile stops the start (and the test suite).
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
LANGUAGES = ("sq", "en")
DEFAULT_LANGUAGE = "sq"
# Time zone of the organisation: dates and times shown to people are in Tirana time.
TIMEZONE = "Europe/Tirane"

_current: ContextVar[str] = ContextVar("regjistri_language", default=DEFAULT_LANGUAGE)


def normalize_language(code: str | None) -> str:
    """Map a Telegram language_code (or anything) onto one of our catalogs."""
    if code and code.split("-")[0].lower() in LANGUAGES:
        return code.split("-")[0].lower()
    return DEFAULT_LANGUAGE


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog for a language (compiled from its .po once per process)."""
    path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def current_language() -> str:
    return _current.get()


def set_language(language: str) -> None:
    _current.set(normalize_language(language))


@contextmanager
def use_language(language: str) -> Iterator[None]:
    """Render strings in `language` for the block (background jobs, other recipients)."""
    token = _current.set(normalize_language(language))
    try:
        yield
    finally:
        _current.reset(token)


def _(message: str) -> str:
    """Translate into the current language."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where it is shown."""
    return message


def babel_locale(language: str | None = None) -> Locale:
    return Locale.parse(language or _current.get())


def format_day(value: date, language: str | None = None) -> str:
    """A date the way people of this language write it in prose: 5 mars 1980 / March 5, 1980."""
    return format_date(value, format="long", locale=babel_locale(language))


def format_moment(value: datetime, language: str | None = None) -> str:
    """Date with the long month (the short Albanian form of November, nën, also means
    under) and 24-hour time, in Tirana time: «25 nëntor 2026, ora 16:37» / «November 25,
    2026, 16:37»."""
    loc = babel_locale(language)
    day = format_date(value.astimezone(_tz()), format="long", locale=loc)
    time = format_datetime(value, "HH:mm", tzinfo=_tz(), locale=loc)
    if language is None:
        return _("{day}, {time}").format(day=day, time=time)
    with use_language(language):
        return _("{day}, {time}").format(day=day, time=time)


def format_count(value: int, language: str | None = None) -> str:
    return format_decimal(value, locale=babel_locale(language))


@cache
def _tz():  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo(TIMEZONE)
