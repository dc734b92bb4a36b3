"""Reference data: the 12 counties and 61 municipalities, and each municipality's code.

The rows come from the CSVs beside this file (shipped as package data). The data migration
calls `seed_reference_data`, which only inserts what is missing, so running it again, or on
a database seeded by an earlier version, changes nothing that exists.

Table shapes are declared here with `sa.table()` rather than imported from
`storage.models`: a data migration must keep working when the models move on.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

#: Municipality name (as in municipalities.csv) → the 3-letter code that prefixes its
#: membership numbers (KOR-000042). Written out, not derived, so that a new or renamed
#: municipality can never change an existing code: numbers already handed out keep
#: meaning the same place. Readable first: the town's own first letters where free.
MUNICIPALITY_CODES: Final[dict[str, str]] = {
    # Berat
    "Berat": "BER",
    "Dimal": "DIM",
    "Kuçovë": "KUC",
    "Poliçan": "POL",
    "Skrapar": "SKR",
    # Dibër
    "Bulqizë": "BUL",
    "Dibër": "DIB",
    "Klos": "KLO",
    "Mat": "MAT",
    # Durrës
    "Durrës": "DUR",
    "Krujë": "KRU",
    "Shijak": "SHI",
    # Elbasan
    "Belsh": "BEL",
    "Cërrik": "CER",
    "Elbasan": "ELB",
    "Gramsh": "GRA",
    "Librazhd": "LIB",
    "Peqin": "PEQ",
    "Prrenjas": "PRR",
    # Fier
    "Divjakë": "DIV",
    "Fier": "FIE",
    "Lushnjë": "LUS",
    "Mallakastër": "MLK",  # not MAL: Maliq would read the same
    "Patos": "PAT",
    "Roskovec": "ROS",
    # Gjirokastër
    "Dropull": "DRO",
    "Gjirokastër": "GJI",
    "Këlcyrë": "KEL",
    "Libohovë": "LBO",  # LIB is Librazhd
    "Memaliaj": "MEM",
    "Përmet": "PER",
    "Tepelenë": "TEP",
    # Korçë
    "Devoll": "DEV",
    "Kolonjë": "KOL",
    "Korçë": "KOR",
    "Maliq": "MLQ",
    "Pogradec": "POG",
    "Pustec": "PUS",
    # Kukës
    "Has": "HAS",
    "Kukës": "KUK",
    "Tropojë": "TRO",
    # Lezhë
    "Kurbin": "KUR",
    "Lezhë": "LEZ",
    "Mirditë": "MIR",
    # Shkodër
    "Fushë-Arrëz": "FAR",
    "Malësi e Madhe": "MMA",  # MEM is Memaliaj
    "Pukë": "PUK",
    "Shkodër": "SHK",
    "Vau i Dejës": "VAU",
    # Tiranë
    "Kamëz": "KAM",
    "Kavajë": "KAV",
    "Rrogozhinë": "RRO",
    "Tiranë": "TIR",
    "Vorë": "VOR",
    # Vlorë
    "Delvinë": "DEL",
    "Finiq": "FIN",
    "Himarë": "HIM",
    "Konispol": "KON",
    "Sarandë": "SAR",
    "Selenicë": "SEL",
    "Vlorë": "VLO",
}


@dataclass(frozen=True, slots=True)
class CountySeed:
    """One row of counties.csv."""

    name: str
    name_definite: str
    iso_code: str
    municipality_count: int
    population_2023: int | None


@dataclass(frozen=True, slots=True)
class MunicipalitySeed:
    """One row of municipalities.csv, with its code."""

    county: str
    name: str
    name_definite: str
    ascii_name: str
    aliases: tuple[str, ...]
    population_2023: int | None
    code: str


@dataclass(frozen=True, slots=True)
class SeedResult:
    """How many rows a seeding run inserted (0 and 0 when everything was there)."""

    counties_inserted: int
    municipalities_inserted: int


# Only the columns seeding writes; see the module docstring for why not the models.
_county = sa.table(
    "county",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("name_definite", sa.String),
    sa.column("iso_code", sa.String),
)
_municipality = sa.table(
    "municipality",
    sa.column("id", sa.Integer),
    sa.column("county_id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("name_definite", sa.String),
    sa.column("ascii_name", sa.String),
    sa.column("aliases", sa.String),
    sa.column("population_2023", sa.Integer),
)


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _int_or_none(value: str) -> int | None:
    value = value.strip()
    return int(value) if value else None


def load_counties() -> list[CountySeed]:
    """The counties, in the CSV's order."""
    return [
        CountySeed(
            name=row["county"].strip(),
            name_definite=row["county_definite"].strip(),
            iso_code=row["iso_3166_2"].strip(),
            municipality_count=int(row["municipalities"]),
            population_2023=_int_or_none(row["population_2023"]),
        )
        for row in _read_csv("counties.csv")
    ]


def load_municipalities() -> list[MunicipalitySeed]:
    """The municipalities, in the CSV's order. A name without a code is a KeyError here."""
    return [
        MunicipalitySeed(
            county=row["county"].strip(),
            name=row["municipality"].strip(),
            name_definite=row["municipality_definite"].strip(),
            ascii_name=row["ascii"].strip(),
            aliases=tuple(a.strip() for a in row["aliases"].split(";") if a.strip()),
            population_2023=_int_or_none(row["population_2023"]),
            code=MUNICIPALITY_CODES[row["municipality"].strip()],
        )
        for row in _read_csv("municipalities.csv")
    ]


def seed_reference_data(connection: Connection) -> SeedResult:
    """Insert the counties and municipalities that are missing, matched by name.

    Synchronous on purpose: migrations run on a sync connection (`op.get_bind()`), also
    when the engine is async. Existing rows are never updated, so an operator's later
    correction of a row survives a re-run.
    """
    existing_counties = dict(connection.execute(sa.select(_county.c.name, _county.c.id)).all())
    new_counties = [
        {"name": c.name, "name_definite": c.name_definite, "iso_code": c.iso_code}
        for c in load_counties()
        if c.name not in existing_counties
    ]
    if new_counties:
        connection.execute(_county.insert(), new_counties)
        existing_counties = dict(connection.execute(sa.select(_county.c.name, _county.c.id)).all())

    existing_municipalities = set(connection.execute(sa.select(_municipality.c.name)).scalars())
    new_municipalities = [
        {
            "county_id": existing_counties[m.county],
            "code": m.code,
            "name": m.name,
            "name_definite": m.name_definite,
            "ascii_name": m.ascii_name,
            "aliases": ";".join(m.aliases),
            "population_2023": m.population_2023,
        }
        for m in load_municipalities()
        if m.name not in existing_municipalities
    ]
    if new_municipalities:
        connection.execute(_municipality.insert(), new_municipalities)
    return SeedResult(len(new_counties), len(new_municipalities))
