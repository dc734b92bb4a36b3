"""Places named on the command line, matched as members type them (invite, qr, announce)."""

from __future__ import annotations

import sys

from domain.places import MatchKind, MunicipalityMatcher, Place, fold


def pick_municipality(places: list[Place], name: str) -> Place | None:
    match = MunicipalityMatcher(places).match(name)
    if match.kind in (MatchKind.EXACT, MatchKind.FUZZY) and len(match.places) == 1:
        return match.places[0]
    choices = ", ".join(p.name for p in match.places)
    hint = f" Did you mean one of: {choices}?" if choices else ""
    print(f"No single municipality matches {name!r}.{hint}", file=sys.stderr)
    return None


def pick_county(places: list[Place], name: str) -> tuple[int, str] | None:
    wanted = fold(name)
    for place in places:
        if fold(place.county_name) == wanted:
            return place.county_id, place.county_name
    # A county is named after its seat: accept the seat's other forms (Korça, korce).
    seat = pick_municipality(places, name)
    if seat is not None and fold(seat.name) == fold(seat.county_name):
        return seat.county_id, seat.county_name
    print(f"No county matches {name!r}.", file=sys.stderr)
    return None
