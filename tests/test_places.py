"""Municipalities: a member types where they live, the bot finds the bashki."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.places import (
    DISTRICTS,
    MAX_CHOICES,
    MatchKind,
    MatchVia,
    MunicipalityMatcher,
    Place,
    PlaceMatch,
    fold,
    load_places,
)

SEED = Path(__file__).resolve().parents[1] / "storage" / "seed"
PLACES = load_places(SEED / "counties.csv", SEED / "municipalities.csv")
BY_NAME = {place.name: place for place in PLACES}


@pytest.fixture(scope="module")
def matcher() -> MunicipalityMatcher:
    return MunicipalityMatcher(PLACES)


def names(match: PlaceMatch) -> list[str]:
    return [place.name for place in match.places]


# --- the reference data -----------------------------------------------------------


def test_the_seed_has_61_municipalities_in_12_counties() -> None:
    assert len(PLACES) == 61
    assert [place.id for place in PLACES] == list(range(1, 62))
    assert {place.county_id for place in PLACES} == set(range(1, 13))
    assert len({place.name for place in PLACES}) == 61


def test_load_places_reads_every_column() -> None:
    # File order gives ids; counties are numbered in counties.csv order (Dibër is 2nd).
    assert BY_NAME["Korçë"] == Place(
        id=35,
        name="Korçë",
        name_definite="Korça",
        ascii_name="Korce",
        aliases=(),
        county_id=7,
        county_name="Korçë",
        population_2023=None,
    )
    assert BY_NAME["Dibër"].county_id == 2
    # Several aliases, split on ";"; a population where the census gave one.
    assert BY_NAME["Vau i Dejës"].aliases == ("Vau-Dejës", "Vaudejës")
    assert BY_NAME["Tiranë"].population_2023 == 598176


def test_load_places_refuses_an_unknown_county(tmp_path: Path) -> None:
    # A typo in the county column must stop the seed, not create an orphan.
    counties = tmp_path / "counties.csv"
    counties.write_text(
        "county,county_definite,iso_3166_2,municipalities,population_2023\n"
        "Berat,Berati,AL-01,1,1\n",
        encoding="utf-8",
    )
    municipalities = tmp_path / "municipalities.csv"
    municipalities.write_text(
        "county,municipality,municipality_definite,ascii,aliases,population_2023\n"
        "Beratt,Berat,Berati,Berat,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="Beratt"):
        load_places(counties, municipalities)


@pytest.mark.parametrize("place", PLACES, ids=[place.ascii_name for place in PLACES])
def test_every_name_of_every_municipality_is_exact(
    matcher: MunicipalityMatcher, place: Place
) -> None:
    # Official, definite, ASCII and every alias; as typed, lower case and upper case.
    for written in (place.name, place.name_definite, place.ascii_name, *place.aliases):
        for variant in (written, written.lower(), written.upper(), fold(written)):
            assert matcher.match(variant) == PlaceMatch(MatchKind.EXACT, (place,)), variant


# --- fold --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        # Case and diacritics.
        ("KORÇË", "korce"),
        ("Gjirokastër", "gjirokaster"),
        # Hyphens and repeated spaces collapse to one space.
        ("Fushë-Arrëz", "fushe arrez"),
        ("Vau  -  Dejës", "vau dejes"),
        # Punctuation and emoji become spaces, apostrophes vanish.
        ("Tirana, Albania!", "tirana albania"),
        ("Korçë 😀", "korce"),
        ("Kor'çë", "korce"),
        # Decomposed diacritics.
        ("Korc\u0327e\u0308", "korce"),
        # A leading "municipality" word (and the article after it) is dropped.
        ("Bashkia Korçë", "korce"),
        ("Bashkia e Tiranës", "tiranes"),
        ("bashkise Durres", "durres"),
        ("Qyteti i Korçës", "korces"),
        ("Municipality of Vlorë", "vlore"),
        # ...only at the start.
        ("Korçë bashkia", "korce bashkia"),
        # The word alone leaves nothing.
        ("Bashkia", ""),
        # Nothing at all.
        ("", ""),
        ("  ", ""),
    ],
)
def test_fold(typed: str, folded: str) -> None:
    assert fold(typed) == folded


# --- exact matches -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "municipality"),
    [
        # The examples of the design, every case and spelling.
        ("korce", "Korçë"),
        ("Korça", "Korçë"),
        ("KORÇË", "Korçë"),
        ("korca", "Korçë"),
        ("korçe", "Korçë"),
        ("durres", "Durrës"),
        ("Tirana", "Tiranë"),
        ("tirane", "Tiranë"),
        ("Shkodra", "Shkodër"),
        ("shkoder", "Shkodër"),
        ("vau i dejes", "Vau i Dejës"),
        ("Vau-Dejës", "Vau i Dejës"),
        ("vaudejes", "Vau i Dejës"),
        ("fushe arrez", "Fushë-Arrëz"),
        ("fushearrez", "Fushë-Arrëz"),
        ("Malesia e Madhe", "Malësi e Madhe"),
        ("malesi e madhe", "Malësi e Madhe"),
        # Seat towns and old names (aliases).
        ("Koplik", "Malësi e Madhe"),
        ("Burrel", "Mat"),
        ("Peshkopi", "Dibër"),
        ("Lac", "Kurbin"),
        ("Laç", "Kurbin"),
        ("Ura Vajgurore", "Dimal"),
        ("Bajram Curri", "Tropojë"),
        ("bajram curri", "Tropojë"),
        ("Çorovodë", "Skrapar"),
        ("Ballsh", "Mallakastër"),
        ("Rrëshen", "Mirditë"),
        ("Bilisht", "Devoll"),
        ("Ersekë", "Kolonjë"),
        ("Përrenjas", "Prrenjas"),
        # "Kamza" is the definite form and an alias of the same place.
        ("Kamza", "Kamëz"),
        ("kamez", "Kamëz"),
        # Short names match exactly.
        ("Has", "Has"),
        ("has", "Has"),
        ("Mat", "Mat"),
        ("Klos", "Klos"),
        # Typing an old district's name alone means the municipality of that name.
        ("Lushnje", "Lushnjë"),
        ("Kavaja", "Kavajë"),
        # Genitive/ablative forms: "from Korça", "in Durrës".
        ("Korçës", "Korçë"),
        ("Tiranës", "Tiranë"),
        ("Durrësit", "Durrës"),
        ("durresit", "Durrës"),
        ("Shkodrës", "Shkodër"),
        ("Elbasanit", "Elbasan"),
        ("Shijakut", "Shijak"),
        ("Koplikut", "Malësi e Madhe"),
        ("Burrelit", "Mat"),
        # The final ë left out, as in informal writing.
        ("Korç", "Korçë"),
        ("tiran", "Tiranë"),
        ("Vlor", "Vlorë"),
        # "Bashkia …" and punctuation around the name.
        ("Bashkia Korçë", "Korçë"),
        ("Bashkia e Tiranës", "Tiranë"),
        ("Durrës.", "Durrës"),
        ("  Fier  ", "Fier"),
    ],
)
def test_exact(matcher: MunicipalityMatcher, typed: str, municipality: str) -> None:
    assert matcher.match(typed) == PlaceMatch(MatchKind.EXACT, (BY_NAME[municipality],))


# --- typos and partial names ---------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "municipality"),
    [
        # One letter missing.
        ("tirna", "Tiranë"),
        ("elbsan", "Elbasan"),
        ("shkdra", "Shkodër"),
        ("gjirokster", "Gjirokastër"),
        ("pogradc", "Pogradec"),
        ("bera", "Berat"),
        # One letter too many, or wrong.
        ("durress", "Durrës"),
        ("feir", "Fier"),
        ("korche", "Korçë"),
        # Two letters swapped.
        ("tiarna", "Tiranë"),
        ("elbasna", "Elbasan"),
        # Two typos in a long name.
        ("gjirokstr", "Gjirokastër"),
        ("mallakstra", "Mallakastër"),
        # A multi-word name slightly off.
        ("malesia madhe", "Malësi e Madhe"),
        ("vau i dejs", "Vau i Dejës"),
        # The beginning of a long name.
        ("gjiro", "Gjirokastër"),
        ("shko", "Shkodër"),
        ("mallak", "Mallakastër"),
        # A sentence naming one municipality.
        ("jam nga Fieri", "Fier"),
        ("Tirana, Albania", "Tiranë"),
        ("Fushë-Krujë, Krujë", "Krujë"),
        ("lagjja 5, Durrës", "Durrës"),
        ("Lushnja e bukur", "Lushnjë"),
    ],
)
def test_fuzzy_single(matcher: MunicipalityMatcher, typed: str, municipality: str) -> None:
    assert matcher.match(typed) == PlaceMatch(MatchKind.FUZZY, (BY_NAME[municipality],))


@pytest.mark.parametrize(
    ("typed", "choices"),
    [
        # One edit from Vlorë and one from Vorë: ask, do not guess.
        ("vlra", ["Vlorë", "Vorë"]),
        # One edit from Mat and from Has (Mat is bigger, so first).
        ("hat", ["Mat", "Has"]),
        # One edit from Mati, and the start of Maliq.
        ("mali", ["Maliq", "Mat"]),
        # A sentence naming two municipalities: both, in the order written.
        ("Tirane apo Durres", ["Tiranë", "Durrës"]),
    ],
)
def test_close_calls_are_ambiguous(
    matcher: MunicipalityMatcher, typed: str, choices: list[str]
) -> None:
    match = matcher.match(typed)
    assert match.kind is MatchKind.AMBIGUOUS
    assert match.via is MatchVia.NAME
    assert names(match) == choices


def test_ambiguity_offers_at_most_six_choices() -> None:
    # Eight invented places one letter apart: only the six best are offered.
    many = [
        Place(i, f"Ab{c}", f"Ab{c}a", f"Ab{c}", (), 1, "X")
        for i, c in enumerate("bcdfghjk", start=1)
    ]
    match = MunicipalityMatcher(many).match("abz")
    assert match.kind is MatchKind.AMBIGUOUS
    assert len(match.places) == MAX_CHOICES


# --- old districts and counties ----------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "choices"),
    [
        # The five districts of our reference notes, in the ways people name them.
        ("rrethi i Kavajës", ["Kavajë", "Rrogozhinë"]),
        ("rrethi Kavaje", ["Kavajë", "Rrogozhinë"]),
        ("ish-rrethi i Kavajës", ["Kavajë", "Rrogozhinë"]),
        ("district of Kavaje", ["Kavajë", "Rrogozhinë"]),
        ("Kavaja district", ["Kavajë", "Rrogozhinë"]),
        ("rrethi i Tepelenës", ["Tepelenë", "Memaliaj"]),
        ("rrethi Përmet", ["Përmet", "Këlcyrë"]),
        ("rrethi i Librazhdit", ["Librazhd", "Prrenjas"]),
        ("rrethi Lushnje", ["Lushnjë", "Divjakë"]),
        ("rrethi i Lushnjës", ["Lushnjë", "Divjakë"]),
        # Other districts split by the 2015 reform.
        ("rrethi Mat", ["Mat", "Klos"]),
        ("rrethi i Tiranës", ["Tiranë", "Kamëz", "Vorë"]),
        # A typo in the district name still expands.
        ("rrethi Kavjae", ["Kavajë", "Rrogozhinë"]),
    ],
)
def test_old_districts_offer_their_municipalities(
    matcher: MunicipalityMatcher, typed: str, choices: list[str]
) -> None:
    match = matcher.match(typed)
    assert match.kind is MatchKind.AMBIGUOUS
    assert match.via is MatchVia.DISTRICT
    assert names(match) == choices


@pytest.mark.parametrize(
    ("typed", "municipality"),
    [
        # A district that is one municipality today: that municipality.
        ("rrethi i Kukësit", "Kukës"),
        ("rrethi Has", "Has"),
        # Not a county seat after "qarku": the municipality, not a guess at a county.
        ("qarku Mat", "Mat"),
    ],
)
def test_area_words_naming_a_single_municipality(
    matcher: MunicipalityMatcher, typed: str, municipality: str
) -> None:
    assert matcher.match(typed) == PlaceMatch(MatchKind.EXACT, (BY_NAME[municipality],))


@pytest.mark.parametrize(
    ("typed", "choices"),
    [
        # The county seat first, then the others alphabetically.
        ("qarku Korçë", ["Korçë", "Devoll", "Kolonjë", "Maliq", "Pogradec", "Pustec"]),
        ("qarku i Korçës", ["Korçë", "Devoll", "Kolonjë", "Maliq", "Pogradec", "Pustec"]),
        ("Korca county", ["Korçë", "Devoll", "Kolonjë", "Maliq", "Pogradec", "Pustec"]),
        ("prefektura e Lezhës", ["Lezhë", "Kurbin", "Mirditë"]),
        # Seven municipalities: a county lists all of them, not only six.
        (
            "qarku Elbasan",
            ["Elbasan", "Belsh", "Cërrik", "Gramsh", "Librazhd", "Peqin", "Prrenjas"],
        ),
        # The county of Dibër has its seat in Peshkopi, municipality Dibër.
        ("qarku Dibër", ["Dibër", "Bulqizë", "Klos", "Mat"]),
    ],
)
def test_counties_offer_their_municipalities(
    matcher: MunicipalityMatcher, typed: str, choices: list[str]
) -> None:
    match = matcher.match(typed)
    assert match.kind is MatchKind.AMBIGUOUS
    assert match.via is MatchVia.COUNTY
    assert names(match) == choices


def test_district_table_names_real_municipalities() -> None:
    # A misspelt entry in DISTRICTS would silently shrink a district.
    ascii_names = {fold(place.ascii_name) for place in PLACES}
    for seat, members in DISTRICTS.items():
        assert seat == members[0]
        assert {fold(name) for name in members} <= ascii_names, seat


# --- nothing to match --------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        # Empty and blank.
        "",
        "   ",
        # Keyboard mash, digits, emoji.
        "asdfgh",
        "qwerty",
        "123",
        "😀",
        "🇦🇱",
        # Shorter than three letters never matches fuzzily.
        "ma",
        "ti",
        "k",
        # Only a municipality/district/county word.
        "Bashkia",
        "rrethi",
        "qarku",
        # Places outside Albania that look Albanian.
        "Prishtinë",
        "Tetovë",
        "Kërçovë",
        "Gjakovë",
        "Ulqin",
        "Athinë",
        "London",
        "Milano",
        # Another alphabet.
        "Корча",
    ],
)
def test_nonsense_matches_nothing(matcher: MunicipalityMatcher, typed: str) -> None:
    assert matcher.match(typed) == PlaceMatch(MatchKind.NONE, ())


# --- construction ------------------------------------------------------------------


def test_a_matcher_over_a_subset() -> None:
    # Built from a few places (as in other tests): only those match, districts shrink.
    subset = [BY_NAME["Kavajë"], BY_NAME["Korçë"]]
    matcher = MunicipalityMatcher(subset)
    assert matcher.match("korca").places == (BY_NAME["Korçë"],)
    assert matcher.match("Rrogozhinë").kind is MatchKind.NONE
    # With Rrogozhinë absent the district of Kavajë is just Kavajë.
    assert matcher.match("rrethi i Kavajës") == PlaceMatch(MatchKind.EXACT, (BY_NAME["Kavajë"],))


def test_single_letter_typos_of_every_name_find_it(matcher: MunicipalityMatcher) -> None:
    # Dropping any one letter of a name of four letters or more still offers that place.
    for place in PLACES:
        base = fold(place.ascii_name)
        if len(base.replace(" ", "")) < 4:
            continue
        for i in range(len(base)):
            typo = base[:i] + base[i + 1 :]
            if fold(BY_NAME["Vorë"].ascii_name) == typo:
                continue  # "vlore" minus "l" is another municipality's name
            assert place in matcher.match(typo).places, typo
