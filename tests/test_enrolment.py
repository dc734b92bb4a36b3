"""Enrolment codes and start payloads, and a consent typed instead of pressed (pure rules)."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.enrolment import (
    RESERVED_PAYLOADS,
    START_PARAMETER,
    enrolment_link,
    municipality_code,
    municipality_for_payload,
    start_link,
)
from domain.places import load_places
from domain.registration import typed_consent

SEED = Path(__file__).resolve().parents[1] / "storage" / "seed"
PLACES = load_places(SEED / "counties.csv", SEED / "municipalities.csv")
BY_NAME = {place.name: place for place in PLACES}


@pytest.mark.parametrize(
    ("name", "code"),
    [
        # ë and ç lose their marks, as people type them.
        ("Korçë", "korce"),
        # Spaces between words become hyphens.
        ("Malësi e Madhe", "malesi-e-madhe"),
        # A hyphen in the name stays a single hyphen.
        ("Fushë-Arrëz", "fushe-arrez"),
        # The article is part of the name, so it stays in the code.
        ("Vau i Dejës", "vau-i-dejes"),
        # Capitals fold to lower case.
        ("KORÇË", "korce"),
        # Spaces around the name and runs of spaces or signs leave no extra hyphens.
        ("  Tiranë  ", "tirane"),
        ("Malësi  e -- Madhe", "malesi-e-madhe"),
        # An apostrophe is dropped, not turned into a hyphen.
        ("Shën'Gjergj", "shengjergj"),
        # Letters whose accent is part of the letter fold too (the shared text rules).
        ("Łukovë", "lukove"),
    ],
)
def test_municipality_code(name: str, code: str) -> None:
    assert municipality_code(name) == code


def test_every_municipality_has_a_distinct_valid_code() -> None:
    codes = [municipality_code(place.name) for place in PLACES]
    assert len(codes) == 61 and len(set(codes)) == 61
    for code in codes:
        # Telegram's start parameter: A-Z a-z 0-9 _ - and at most 64 characters.
        assert START_PARAMETER.fullmatch(code), code
        # Never an invitation code (those hold "_") nor a payload with another meaning.
        assert "_" not in code and code not in RESERVED_PAYLOADS


@pytest.mark.parametrize(
    ("payload", "municipality"),
    [
        # A municipality's code.
        ("korce", "Korçë"),
        ("malesi-e-madhe", "Malësi e Madhe"),
        # Case is forgiven: people retype links by hand.
        ("Korce", "Korçë"),
        # The group chat's «open a private chat» payload is a plain /start.
        ("register", None),
        # An invitation code names no municipality.
        ("inv_korce", None),
        # A plain /start has no payload.
        ("", None),
        # Not a code: a prefix, a name with diacritics (Telegram would not pass it), too long.
        ("korc", None),
        ("korçë", None),
        ("korce" + "-x" * 30, None),
    ],
)
def test_municipality_for_payload(payload: str, municipality: str | None) -> None:
    found = municipality_for_payload(payload, PLACES)
    assert found == (BY_NAME[municipality].id if municipality else None)


def test_links() -> None:
    assert start_link("@regjistri_bot", "korce") == "https://t.me/regjistri_bot?start=korce"
    assert (
        enrolment_link("regjistri_bot", BY_NAME["Vau i Dejës"])
        == "https://t.me/regjistri_bot?start=vau-i-dejes"
    )


@pytest.mark.parametrize(
    ("typed", "consent"),
    [
        # The obvious yes, in Albanian and English, any case.
        ("po", True),
        ("Po", True),
        ("PO!", True),
        ("yes", True),
        ("dakord", True),
        # The button's label typed out, emoji and comma included.
        ("✅ Po, jam dakord", True),
        ("Yes, I agree", True),
        # The obvious no.
        ("jo", False),
        ("No", False),
        ("Jo, faleminderit", False),
        # Anything else is not an answer: a name typed too early, a longer sentence, "ok".
        ("Arben Hoxha", None),
        ("po pse duhet?", None),
        ("ok", None),
        ("", None),
    ],
)
def test_typed_consent(typed: str, consent: bool | None) -> None:
    assert typed_consent(typed) is consent
