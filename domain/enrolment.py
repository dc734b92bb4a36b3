"""Enrolment links: `https://t.me/<bot>?start=<code>` opens the registration with the
municipality already chosen.

A municipality's code is the slug of its official name («Korçë» → `korce`, «Malësi e Madhe»
→ `malesi-e-madhe`): short, readable on a poster, and stable as long as the reference data
keeps the name. Codes use only a-z, 0-9 and "-", which Telegram's start parameter allows
(A-Z a-z 0-9 _ -, at most 64 characters); invitation codes always contain "_" (`inv_…`),
so the two can never be confused, and the words the bot gives another meaning (the group
redirect's `register`) are never a municipality's code (tests/test_enrolment.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from domain.places import Place
from domain.text import fold_case

START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Payloads that mean something else: a municipality must never be given one as its code.
RESERVED_PAYLOADS = frozenset({"register"})
_ALPHANUMERIC_RUN = re.compile(r"[a-z0-9]+")


def municipality_code(name: str) -> str:
    """The enrolment code of a municipality, from its official name.

    Lower case without diacritics, apostrophes dropped, every other run of signs and
    spaces one hyphen: «Fushë-Arrëz» → `fushe-arrez`, «Vau i Dejës» → `vau-i-dejes`.
    """
    folded = fold_case(unicodedata.normalize("NFKC", name)).replace("'", "").replace("’", "")
    return "-".join(_ALPHANUMERIC_RUN.findall(folded))


def municipality_for_payload(payload: str, places: Iterable[Place]) -> int | None:
    """The municipality an enrolment link's payload names, or None (a plain /start).

    Case is forgiven, since people retype links by hand ("Korce"); anything that is not a
    valid start parameter, or names no municipality, is None.
    """
    if not START_PARAMETER.fullmatch(payload):
        return None
    wanted = payload.lower()
    if wanted in RESERVED_PAYLOADS:
        return None
    for place in places:
        if municipality_code(place.name) == wanted:
            return place.id
    return None


def start_link(bot_username: str, payload: str) -> str:
    """The t.me deep link that opens the bot with /start `payload`."""
    return f"https://t.me/{bot_username.lstrip('@')}?start={payload}"


def enrolment_link(bot_username: str, place: Place) -> str:
    """The link that opens the registration with `place` already chosen."""
    return start_link(bot_username, municipality_code(place.name))
