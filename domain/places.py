"""Which of the 61 municipalities (bashki) a member means by what they typed.

Members type «korce», «Korça», «KORÇË», «Durrësit», «Burrel» or «tirna» and expect the
bot to understand; what it understood is always shown back (the canonical name) for
confirmation. The matcher answers with one of:

- EXACT: the text is a name of one municipality: official (indefinite), definite,
  ASCII, an alias (seat town, old name), or a genitive/ablative form («Korçës»,
  «Durrësit») or the form without its final ë («Korç», «Tiran») when that is unique.
- FUZZY: a typo of exactly one municipality ("elbsan"), a prefix of one ("gjiro"),
  or a sentence naming one ("jam nga Fieri"); it must be confirmed.
- AMBIGUOUS: several candidates to choose from, best first: close typos («vlra»: Vlorë or
  Vorë?), an old district (rreth) whose area is now several municipalities («rrethi i
  Kavajës»: Kavajë and Rrogozhinë), or a county («qarku Korçë»: all of its municipalities).
- NONE: nothing plausible; inputs shorter than three letters never match fuzzily.

Everything is compared after `fold`, so case and diacritics never matter.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from rapidfuzz.distance import OSA, Indel

from domain.text import collapse_whitespace, fold_case

MAX_CHOICES = 6  # buttons offered for a fuzzy ambiguity (areas list all their municipalities)
MIN_FUZZY_LENGTH = 3
MIN_PREFIX_LENGTH = 4

# Old districts (rrethe) whose area is now split between several municipalities, by the
# ASCII name of the district seat. The first five are in our reference data's notes;
# the others follow the 2015 reform (Law 115/2014), seat first. Naming a district that
# became a single municipality («rrethi Kukës») simply matches that municipality.
DISTRICTS: dict[str, tuple[str, ...]] = {
    "Kavaje": ("Kavaje", "Rrogozhine"),
    "Tepelene": ("Tepelene", "Memaliaj"),
    "Permet": ("Permet", "Kelcyre"),
    "Librazhd": ("Librazhd", "Prrenjas"),
    "Lushnje": ("Lushnje", "Divjake"),
    "Berat": ("Berat", "Dimal", "Kucove", "Polican"),
    "Skrapar": ("Skrapar", "Polican"),
    "Mat": ("Mat", "Klos"),
    "Durres": ("Durres", "Shijak"),
    "Elbasan": ("Elbasan", "Belsh", "Cerrik"),
    "Fier": ("Fier", "Patos", "Roskovec"),
    "Gjirokaster": ("Gjirokaster", "Dropull", "Libohove"),
    "Korce": ("Korce", "Maliq", "Pustec"),
    "Puke": ("Puke", "Fushe-Arrez"),
    "Shkoder": ("Shkoder", "Vau i Dejes"),
    "Tirane": ("Tirane", "Kamez", "Vore"),
    "Vlore": ("Vlore", "Selenice", "Himare"),
    "Sarande": ("Sarande", "Konispol", "Finiq", "Himare"),
}

# Words before a place name that say what kind of place it is, as folded word sequences
# (longest first). An Albanian article may follow: «bashkia e Tiranës», «rrethi i Kavajës».
_MUNICIPALITY_WORDS = (
    ("the", "municipality", "of"),
    ("municipality", "of"),
    ("city", "of"),
    ("municipality",),
    ("bashkia",),
    ("bashkise",),
    ("bashkine",),
    ("bashki",),
    ("qyteti",),
    ("qytetit",),
    ("qytet",),
)
_DISTRICT_WORDS = (
    ("the", "former", "district", "of"),
    ("former", "district", "of"),
    ("the", "district", "of"),
    ("district", "of"),
    ("ish", "rrethi"),
    ("ish", "rrethit"),
    ("ish", "rreth"),
    ("district",),
    ("rrethi",),
    ("rrethit",),
    ("rreth",),
)
_COUNTY_WORDS = (
    ("the", "county", "of"),
    ("county", "of"),
    ("prefektura",),
    ("prefektures",),
    ("county",),
    ("qarku",),
    ("qarkut",),
    ("qark",),
)
_ARTICLES = frozenset({"i", "e", "se", "te"})
_NON_WORD = re.compile(r"[\W_]+")


class MatchKind(StrEnum):
    """How sure the matcher is; decides whether the handler confirms, offers choices or re-asks."""

    EXACT = "exact"
    FUZZY = "fuzzy"
    AMBIGUOUS = "ambiguous"
    NONE = "none"


class MatchVia(StrEnum):
    """What the text named: a municipality, an old district or a county."""

    NAME = "name"
    DISTRICT = "district"
    COUNTY = "county"


# Leading words that make the text name an old district or a county rather than a place.
_AREA_WORDS = ((_DISTRICT_WORDS, MatchVia.DISTRICT), (_COUNTY_WORDS, MatchVia.COUNTY))


@dataclass(frozen=True)
class Place:
    """A municipality with every name people use for it."""

    id: int
    name: str  # official indefinite form, «Korçë»
    name_definite: str  # as said in speech, «Korça»
    ascii_name: str  # as typed without ë/ç, "Korce"
    aliases: tuple[str, ...]
    county_id: int
    county_name: str
    population_2023: int | None = None


@dataclass(frozen=True)
class PlaceMatch:
    """EXACT/FUZZY: one place; AMBIGUOUS: the choices, best first; NONE: no places.

    A fuzzy ambiguity offers at most MAX_CHOICES places; an old district or a county
    (`via`) lists all of its municipalities (up to 7), since leaving one out is a guess.
    """

    kind: MatchKind
    places: tuple[Place, ...]
    via: MatchVia = MatchVia.NAME


NO_MATCH = PlaceMatch(MatchKind.NONE, ())


def fold(text: str) -> str:
    """Comparable form of a place name.

    For example «Bashkia e Korçës» becomes «korces» and «Vau-Dejës» becomes «vau dejes».

    Lower case without diacritics, punctuation and hyphens as single spaces, apostrophes
    dropped, and a leading "bashkia"/"qyteti"/"municipality of" removed.
    """
    folded = fold_case(unicodedata.normalize("NFKC", text)).replace("'", "").replace("’", "")
    words = collapse_whitespace(_NON_WORD.sub(" ", folded)).split()
    rest = _strip_leading(words, _MUNICIPALITY_WORDS)
    return " ".join(words if rest is None else rest)


def load_places(counties_csv: Path, municipalities_csv: Path) -> list[Place]:
    """Read the reference CSVs: municipality ids 1..N and county ids 1..12 in file order."""
    with counties_csv.open(encoding="utf-8-sig", newline="") as handle:
        county_ids = {
            _clean(row["county"]): index
            for index, row in enumerate(csv.DictReader(handle), start=1)
        }
    places = []
    with municipalities_csv.open(encoding="utf-8-sig", newline="") as handle:
        for index, row in enumerate(csv.DictReader(handle), start=1):
            county = _clean(row["county"])
            if county not in county_ids:
                raise ValueError(f"{municipalities_csv.name}: unknown county {county!r}")
            population = _clean(row.get("population_2023") or "")
            places.append(
                Place(
                    id=index,
                    name=_clean(row["municipality"]),
                    name_definite=_clean(row["municipality_definite"]),
                    ascii_name=_clean(row["ascii"]),
                    aliases=tuple(
                        _clean(alias)
                        for alias in (row.get("aliases") or "").split(";")
                        if alias.strip()
                    ),
                    county_id=county_ids[county],
                    county_name=county,
                    population_2023=int(population) if population else None,
                )
            )
    return places


class MunicipalityMatcher:
    """Matches free text against a fixed set of places; build once, reuse for every message."""

    def __init__(self, places: Iterable[Place]) -> None:
        self._places = {place.id: place for place in places}
        primary: dict[str, set[int]] = defaultdict(set)
        derived: dict[str, set[int]] = defaultdict(set)
        for place in self._places.values():
            for key in _primary_keys(place):
                primary[key].add(place.id)
            for key in _derived_keys(place):
                derived[key].add(place.id)
        # A derived form ("korces") is kept only when it names one place and no place
        # has it as a real name: it must never cause a false positive.
        self._exact: dict[str, frozenset[int]] = {k: frozenset(v) for k, v in primary.items()}
        for key, ids in derived.items():
            if key not in primary and len(ids) == 1:
                self._exact[key] = frozenset(ids)
        self._compact: dict[str, set[int]] = defaultdict(set)
        for key, ids in self._exact.items():
            self._compact[key.replace(" ", "")] |= ids
        self._fuzzy_keys = [(key, ids) for key, ids in self._compact.items() if len(ids) == 1]
        self._districts = self._build_districts()

    def match(self, text: str) -> PlaceMatch:
        """What municipality (or municipalities) `text` names; see the module docstring."""
        query = fold(text)
        if not query:
            return NO_MATCH
        words = query.split()
        for prefixes, via in _AREA_WORDS:
            rest = _strip_leading(words, prefixes)
            if rest is None and len(words) > 1 and (words[-1],) in prefixes:
                rest = words[:-1]  # English order: "Kavaje district", "Korca county"
            if rest is not None:
                return self._match_area(" ".join(rest), via)
        return self._match_name(query)

    def _match_area(self, query: str, via: MatchVia) -> PlaceMatch:
        """Expand an old district or a county into its municipalities."""
        named = self._match_name(query) if query else NO_MATCH
        if named.kind not in (MatchKind.EXACT, MatchKind.FUZZY):
            return named
        seat = named.places[0]
        if via is MatchVia.DISTRICT:
            members = self._districts.get(seat.id, (seat,))
        elif seat.name == seat.county_name:
            others = sorted(
                (p for p in self._places.values() if p.county_id == seat.county_id and p != seat),
                key=lambda p: fold(p.name),
            )
            members = (seat, *others)
        else:
            members = (seat,)  # "qarku Mat": not a county, take the municipality
        if len(members) == 1:
            return named
        return PlaceMatch(MatchKind.AMBIGUOUS, tuple(members), via)

    def _match_name(self, query: str) -> PlaceMatch:
        ids = self._exact.get(query) or self._compact.get(query.replace(" ", ""))
        if ids:
            return self._result(MatchKind.EXACT, sorted(ids))
        in_sentence = self._names_in_sentence(query.split())
        if in_sentence:
            return self._result(MatchKind.FUZZY, in_sentence)
        return self._fuzzy(query.replace(" ", ""))

    def _names_in_sentence(self, words: list[str]) -> list[int]:
        """Places named by a run of words inside a longer text ("jam nga Fieri"), in order."""
        found: list[int] = []
        if len(words) < 2:
            return found
        for start in range(len(words)):
            for end in range(min(len(words), start + 4), start, -1):
                chunk = " ".join(words[start:end])
                if len(chunk.replace(" ", "")) < MIN_FUZZY_LENGTH:
                    continue
                for place_id in sorted(self._exact.get(chunk, ())):
                    if place_id not in found:
                        found.append(place_id)
        return found

    def _fuzzy(self, compact: str) -> PlaceMatch:
        """Typos (Damerau-Levenshtein) and prefixes; a single best place or a close call."""
        if len(compact) < MIN_FUZZY_LENGTH:
            return NO_MATCH
        allowed = 1 if len(compact) <= 7 else 2 if len(compact) <= 11 else 3
        best: dict[int, tuple[int, float]] = {}
        for key, ids in self._fuzzy_keys:
            cost = OSA.distance(compact, key, score_cutoff=allowed)
            if cost > allowed:
                if len(compact) >= MIN_PREFIX_LENGTH and key.startswith(compact):
                    cost = 1
                else:
                    continue
            (place_id,) = ids
            candidate = (cost, -Indel.normalized_similarity(compact, key))
            if place_id not in best or candidate < best[place_id]:
                best[place_id] = candidate
        if not best:
            return NO_MATCH
        lowest = min(cost for cost, _ in best.values())
        tied = [place_id for place_id, (cost, _) in best.items() if cost == lowest]
        # Same number of edits: closer spelling first, then the more populous place.
        tied.sort(key=lambda place_id: (best[place_id], -self._population(place_id)))
        if len(tied) == 1:
            return self._result(MatchKind.FUZZY, tied)
        return self._result(MatchKind.AMBIGUOUS, tied[:MAX_CHOICES])

    def _population(self, place_id: int) -> int:
        return self._places[place_id].population_2023 or 0

    def _result(self, kind: MatchKind, ids: list[int]) -> PlaceMatch:
        if len(ids) > 1:
            kind = MatchKind.AMBIGUOUS
        return PlaceMatch(kind, tuple(self._places[place_id] for place_id in ids[:MAX_CHOICES]))

    def _build_districts(self) -> dict[int, tuple[Place, ...]]:
        by_ascii = {fold(place.ascii_name): place for place in self._places.values()}
        districts: dict[int, tuple[Place, ...]] = {}
        for seat_name, member_names in DISTRICTS.items():
            members = tuple(by_ascii[fold(name)] for name in member_names if fold(name) in by_ascii)
            if fold(seat_name) in by_ascii and len(members) > 1:
                districts[by_ascii[fold(seat_name)].id] = members
        return districts


def _clean(value: str) -> str:
    return collapse_whitespace(unicodedata.normalize("NFC", value))


def _strip_leading(words: list[str], prefixes: tuple[tuple[str, ...], ...]) -> list[str] | None:
    """`words` without the first matching prefix (and an article after it), else None."""
    for prefix in prefixes:
        if tuple(words[: len(prefix)]) == prefix:
            rest = words[len(prefix) :]
            if rest and rest[0] in _ARTICLES and len(rest) > 1:
                rest = rest[1:]
            return rest
    return None


def _primary_keys(place: Place) -> set[str]:
    names = (place.name, place.name_definite, place.ascii_name, *place.aliases)
    return {key for key in map(fold, names) if key}


def _derived_keys(place: Place) -> set[str]:
    """Case forms people write.

    For example «Korçës», «Durrësit», «Koplikut», and «Korç» for «Korçë».
    """
    keys: set[str] = set()
    for name in (place.name, place.ascii_name, *place.aliases):
        key = fold(name)
        if _has_article(key):
            continue
        if key.endswith("e"):
            keys.add(key + "s")  # Korçë → Korçës
        elif key[-1:].isalpha() and key[-1] not in "aiou":
            keys.add(key + ("ut" if key[-1] in "kg" else "it"))  # Durrësit, Koplikut
        if key.endswith("e") and not name.lower().endswith("e"):  # the name ends in ë
            keys.add(key[:-1])  # «Korç», «Tiran»: the final ë is often left out
    definite = fold(place.name_definite)
    if not _has_article(definite):
        if definite.endswith("a"):
            keys.add(definite[:-1] + "es")  # Shkodra → Shkodrës
        elif definite.endswith(("i", "u")):
            keys.add(definite + "t")  # Durrësi → Durrësit, Shijaku → Shijakut
    return {key for key in keys if len(key) >= MIN_FUZZY_LENGTH}


def _has_article(key: str) -> bool:
    return any(word in _ARTICLES for word in key.split())
