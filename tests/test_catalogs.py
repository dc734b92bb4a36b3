"""The translation catalogs: they compile, they are complete, and they match the code.

The bot compiles `locales/<lang>/LC_MESSAGES/messages.po` in memory at start, so a broken or
incomplete catalog shows up here rather than as English (or a crash) in front of members.
"""

from __future__ import annotations

import re
import string
from functools import cache
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "locales"
TEMPLATE = LOCALES / "messages.pot"
LANGUAGES = ("sq", "en")
# The keywords the documented `pybabel extract` command passes (on top of babel's defaults).
EXTRACT_KEYWORDS = ("_", "N_", "ngettext:1,2")

REFRESH_HINT = """Refresh the catalogs from the project root, then translate what is new:
  pybabel extract -F babel.cfg -k _ -k N_ -k ngettext:1,2 --no-wrap --sort-by-file \
--project=Regjistri --copyright-holder="Regjistri contributors" -o locales/messages.pot .
  pybabel update -i locales/messages.pot -d locales --no-wrap --no-fuzzy-matching"""

MessageKey = str | tuple[str, ...]

# babel's reader forgives malformed lines (an unclosed quote silently loses a character), so
# the catalogs' lines are checked against the PO grammar first.
QUOTED = r'"(?:[^"\\]|\\.)*"'
PO_LINE = re.compile(rf"(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?{QUOTED}|#.*|\s*")


def po_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / "messages.po"


@cache
def load(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def catalog(language: str) -> Catalog:
    return load(po_path(language), language)


def key(message: Message) -> MessageKey:
    return message.id if isinstance(message.id, str) else tuple(message.id)


def entries(cat: Catalog) -> list[Message]:
    """Every real message (not the header)."""
    return [message for message in cat if message.id]


def strings(message: Message) -> list[str]:
    value = message.string
    return list(value) if isinstance(value, (tuple, list)) else [value or ""]


def sources(message: Message) -> list[str]:
    """The msgid each msgstr should mirror: singular for [0], plural for the others."""
    if isinstance(message.id, str):
        return [message.id]
    singular, plural = message.id[0], message.id[1]
    return [singular] + [plural] * (len(strings(message)) - 1)


def placeholders(text: str) -> set[str]:
    """The str.format field names in text (ValueError when the braces are malformed)."""
    return {
        field.split(".")[0].split("[")[0]
        for _, field, _, _ in string.Formatter().parse(text)
        if field is not None
    }


def where(message: Message) -> str:
    places = ", ".join(f"{file}:{line}" for file, line in message.locations)
    return f"{key(message)!r} ({places or 'no location'})"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_compiles_and_passes_babels_checks(language: str) -> None:
    lines = po_path(language).read_text(encoding="utf-8").splitlines()
    malformed = [
        f"line {number}: {line}"
        for number, line in enumerate(lines, start=1)
        if not PO_LINE.fullmatch(line)
    ]
    assert not malformed, f"{language}: malformed lines in messages.po:\n" + "\n".join(malformed)
    cat = catalog(language)
    assert cat.locale is not None and str(cat.locale) == language
    buffer = BytesIO()
    write_mo(buffer, cat)
    assert buffer.getvalue(), f"{language}: the compiled catalog is empty"
    problems = [f"{where(message)}: {error}" for message, errors in cat.check() for error in errors]
    assert not problems, f"{language}: babel's checks failed:\n" + "\n".join(problems)


def test_sq_plural_forms_header() -> None:
    cat = catalog("sq")
    assert cat.plural_forms == "nplurals=2; plural=(n != 1);"
    assert cat.num_plurals == 2


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_template_message_is_translated(language: str) -> None:
    by_key = {key(message): message for message in entries(catalog(language))}
    missing, untranslated = [], []
    for wanted in entries(load(TEMPLATE)):
        message = by_key.get(key(wanted))
        if message is None:
            missing.append(where(wanted))
        elif message.fuzzy or not all(text.strip() for text in strings(message)):
            untranslated.append(where(message))
    assert not missing, (
        f"{language}: msgids of messages.pot missing from the catalog:\n"
        + "\n".join(missing)
        + "\n"
        + REFRESH_HINT
    )
    assert not untranslated, (
        f"{language}: empty or fuzzy translations (fill msgstr, remove '#, fuzzy'):\n"
        + "\n".join(untranslated)
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_has_no_messages_the_template_lacks(language: str) -> None:
    template = {key(message) for message in entries(load(TEMPLATE))}
    stale = [where(m) for m in entries(catalog(language)) if key(m) not in template]
    assert not stale, (
        f"{language}: catalog entries no longer in messages.pot:\n"
        + "\n".join(stale)
        + "\n"
        + REFRESH_HINT
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match_the_msgid(language: str) -> None:
    problems = []
    for message in entries(catalog(language)):
        for index, (source, text) in enumerate(
            zip(sources(message), strings(message), strict=True)
        ):
            if not text:
                continue  # reported by the completeness test
            try:
                got = placeholders(text)
            except ValueError as error:
                problems.append(f"{where(message)} msgstr[{index}]: malformed braces: {error}")
                continue
            wanted = placeholders(source)
            if got != wanted:
                problems.append(
                    f"{where(message)} msgstr[{index}]: placeholders {sorted(got)} "
                    f"but the msgid has {sorted(wanted)}"
                )
    assert not problems, f"{language}: placeholder mismatches:\n" + "\n".join(problems)


def test_template_is_up_to_date_with_the_code() -> None:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, "babel.cfg")
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(list(EXTRACT_KEYWORDS))}
    in_code: dict[MessageKey, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found = message if isinstance(message, str) else tuple(message)
        in_code.setdefault(found, f"{filename}:{lineno}")
    in_template = {key(message) for message in entries(load(TEMPLATE))}
    new = sorted(
        f"{text!r} ({place})" for text, place in in_code.items() if text not in in_template
    )
    gone = sorted(repr(text) for text in in_template - set(in_code))
    assert not new and not gone, (
        "locales/messages.pot is out of date with the code.\n"
        + ("New in the code:\n  " + "\n  ".join(new) + "\n" if new else "")
        + ("No longer in the code:\n  " + "\n  ".join(gone) + "\n" if gone else "")
        + REFRESH_HINT
    )


def test_albanian_catalog_is_written_in_albanian() -> None:
    text = "".join(t for message in entries(catalog("sq")) for t in strings(message))
    assert "ë" in text and "ç" in text, "the sq catalog has no ë or ç: is it really Albanian?"


def test_runtime_translations_are_albanian() -> None:
    from domain.i18n import translations

    sq = translations("sq")
    assert sq.gettext("Choose your language:") == "Zgjidhni gjuhën:"
    assert "ë" in sq.gettext("Please write your date of birth, for example: 5.3.1980.")
    singular = "⏰ {count} application is waiting for your decision, since {date}."
    plural = "⏰ {count} applications are waiting for your decision, the oldest since {date}."
    assert sq.ngettext(singular, plural, 1) != singular
    assert sq.ngettext(singular, plural, 3) not in (plural, sq.ngettext(singular, plural, 1))
    en = translations("en")
    assert en.gettext("Choose your language:") == "Choose your language:"
