"""The register at national scale: 1 000 000 members, figures and charts against targets.

    python bench/register.py [--members 1000000] [--keep FILE]

Seeds a migrated SQLite file with N members spread over the 61 municipalities in
proportion to their counties' 2023 population (Tiranë gets the most), in one INSERT …
SELECT over a recursive CTE (plain sqlite3, one transaction, the real indexes in place),
with an account per member (2 % unreachable). Statuses: 80 % approved, 10 % pending
(submitted in the last 30 days), 6 % rejected, 4 % withdrawn; submissions over two years.

Then times, through the bot's own storage function and engine (aiosqlite, the median of 7
after a warm-up): a municipality's figures (Korçë, and Tiranë, the largest), a county's
(Korçë, Tiranë), the national figures, and the chart of each kind. Targets: figures under
100 ms, a chart under 500 ms. Prints pass or fail for each; asserts nothing.
Then a name search (a page of 8, in a municipality and in a county, and by phone) against
100 ms, and the national CSV export streamed to a file: rows per second against 100 000,
and the peak of Python's memory while it runs (flat: batches of 5 000 rows).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's code

from sqlalchemy import select  # noqa: E402

from domain.charts import chart_data  # noqa: E402
from domain.figures import NATIONAL, Area, AreaKind, Figures  # noqa: E402
from domain.i18n import use_language  # noqa: E402
from domain.permissions import Grant, RoleKind, scope_of  # noqa: E402
from domain.search import read_query  # noqa: E402
from domain.text import fold_name  # noqa: E402
from handlers.stats_chart import render_png  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.figures import figures_in_scope  # noqa: E402
from storage.models import Member, Municipality  # noqa: E402
from storage.schema import upgrade  # noqa: E402
from storage.search import search_members  # noqa: E402
from usecases.exports import write_csv  # noqa: E402

FIRST_NAMES = [
    "Arbën",
    "Ardit",
    "Besnik",
    "Blerim",
    "Dritan",
    "Erion",
    "Fatmir",
    "Gëzim",
    "Ilir",
    "Jetmir",
    "Klodian",
    "Lulzim",
    "Mërgim",
    "Nikolin",
    "Përparim",
    "Redon",
    "Skënder",
    "Tomor",
    "Valbon",
    "Xhevdet",
    "Anila",
    "Besiana",
    "Brikena",
    "Dorina",
    "Elira",
    "Fjoralba",
    "Gentiana",
    "Hëna",
    "Irma",
    "Jonida",
    "Klea",
    "Lindita",
    "Mimoza",
    "Nertila",
    "Orjeta",
    "Pranvera",
    "Rudina",
    "Shpresa",
    "Teuta",
    "Zamira",
]
LAST_NAMES = [
    "Hoxha",
    "Shehu",
    "Leka",
    "Kola",
    "Gjoka",
    "Marku",
    "Dervishi",
    "Çela",
    "Duka",
    "Hysa",
    "Lala",
    "Mema",
    "Rama",
    "Kosta",
    "Basha",
    "Berisha",
    "Dema",
    "Gashi",
    "Krasniqi",
    "Prifti",
    "Toska",
    "Xhafa",
    "Zeneli",
    "Bregu",
    "Cani",
    "Deda",
    "Frashëri",
    "Gjini",
    "Kapllani",
    "Luli",
    "Meta",
    "Nika",
    "Osmani",
    "Pëllumbi",
    "Qosja",
    "Rexha",
    "Sula",
    "Tafa",
    "Vata",
    "Zaimi",
    "Bajrami",
    "Çaushi",
    "Dibra",
    "Elezi",
    "Fejzo",
    "Gega",
    "Hasani",
    "Isufi",
    "Jaupi",
    "Kuçi",
]
SEARCH_TARGET_MS = 100.0
EXPORT_TARGET_ROWS_PER_S = 100_000
FIGURES_TARGET_MS = 100.0
CHART_TARGET_MS = 500.0
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
RUNS = 7

# Members of municipality `mid` take the row numbers [lo, hi) of each block of 10 000:
# weights from the counties' populations, shared out evenly over their municipalities.
SEED_SQL = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count),
picked AS (
    SELECT i, (SELECT mid FROM bench_weight WHERE (i * 7919) % 10000 < hi ORDER BY hi LIMIT 1)
              AS mid,
           i % 100 AS bucket
    FROM n
)
INSERT INTO member (telegram_id, full_name, name_folded, birth_date, phone_e164,
                    phone_verified, municipality_id, language, status, submitted_at, decided_at)
SELECT 10000000 + i,
       (SELECT name FROM bench_first WHERE n = i % 40) || ' '
           || (SELECT name FROM bench_last WHERE n = (i / 40) % 50),
       (SELECT folded FROM bench_first WHERE n = i % 40) || ' '
           || (SELECT folded FROM bench_last WHERE n = (i / 40) % 50),
       date('1950-01-01', '+' || (i % 18000) || ' days'),
       '+35569' || printf('%07d', i),
       0,
       mid,
       CASE WHEN i % 7 = 0 THEN 'en' ELSE 'sq' END,
       CASE WHEN bucket < 80 THEN 'approved' WHEN bucket < 90 THEN 'pending'
            WHEN bucket < 96 THEN 'rejected' ELSE 'withdrawn' END,
       strftime('%Y-%m-%d %H:%M:%S.000000', :now - CASE WHEN bucket BETWEEN 80 AND 89
                THEN (i * 7919) % 2592000 ELSE (i * 7919) % 63072000 END, 'unixepoch'),
       CASE WHEN bucket BETWEEN 80 AND 89 THEN NULL
            ELSE strftime('%Y-%m-%d %H:%M:%S.000000', :now - (i * 7919) % 2592000, 'unixepoch')
       END
FROM picked
"""
ACCOUNTS_SQL = """
INSERT INTO account (telegram_id, language, unreachable_at, created_at)
SELECT telegram_id, language,
       CASE WHEN telegram_id % 50 = 0 THEN submitted_at END,
       submitted_at
FROM member
"""


def seed(path: Path, members: int) -> float:
    """Bulk insert with plain sqlite3 in one transaction; seconds taken."""
    started = time.perf_counter()
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA synchronous = OFF")  # a benchmark's throwaway file
        db.execute("BEGIN")
        db.execute("CREATE TEMP TABLE bench_weight (mid INTEGER, hi INTEGER)")
        # Names as people have them (with ë and ç), folded as the bot folds them: 2 000
        # distinct names, so a two-word search finds a few hundred in a big county.
        for table, names in (("bench_first", FIRST_NAMES), ("bench_last", LAST_NAMES)):
            db.execute(f"CREATE TEMP TABLE {table} (n INTEGER PRIMARY KEY, name TEXT, folded TEXT)")
            db.executemany(
                f"INSERT INTO {table} VALUES (?, ?, ?)",
                [(n, name, fold_name(name)) for n, name in enumerate(names)],
            )
        rows = db.execute(
            "SELECT m.id, m.county_id, c.population_2023, "
            "(SELECT count(*) FROM municipality WHERE county_id = m.county_id) "
            "FROM municipality m JOIN county c ON c.id = m.county_id ORDER BY m.id"
        ).fetchall()
        total = sum(population / size for _mid, _cid, population, size in rows)
        upper = 0.0
        for mid, _cid, population, size in rows:
            upper += population / size / total * 10_000
            db.execute("INSERT INTO bench_weight VALUES (?, ?)", (mid, round(upper)))
        db.execute(
            "UPDATE bench_weight SET hi = 10000 WHERE hi = (SELECT max(hi) FROM bench_weight)"
        )
        db.execute(SEED_SQL, {"count": members, "now": int(NOW.timestamp())})
        db.execute(ACCOUNTS_SQL)
        db.execute("COMMIT")
    finally:
        db.close()
    return time.perf_counter() - started


async def timed(make: Callable[[], Awaitable[object]]) -> tuple[float, object]:
    """Median milliseconds of RUNS runs after one warm-up, and the last result."""
    result = await make()
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        result = await make()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def verdict(ms: float, target: float) -> str:
    return "pass" if ms < target else "FAIL"


async def measure(url: str) -> None:
    database = Database(url)
    try:
        async with database.read() as session:
            places = dict((await session.execute(select(Municipality.name, Municipality.id))).all())
            counties = dict(
                (await session.execute(select(Municipality.name, Municipality.county_id))).all()
            )
        cases = [
            ("municipality Korçë (chair)", AreaKind.MUNICIPALITY, places["Korçë"], "chair"),
            ("municipality Tiranë (chair)", AreaKind.MUNICIPALITY, places["Tiranë"], "chair"),
            ("county Korçë (coordinator)", AreaKind.COUNTY, counties["Korçë"], "coordinator"),
            ("county Tiranë (coordinator)", AreaKind.COUNTY, counties["Tiranë"], "coordinator"),
            ("national (admin)", AreaKind.NATIONAL, None, "admin"),
        ]
        print(f"\nfigures (target < {FIGURES_TARGET_MS:.0f} ms, median of {RUNS}):")
        charts: dict[str, Figures] = {}
        for label, kind, area_id, role in cases:
            if role == "chair":
                grant = Grant(1, RoleKind.CHAIR, None, area_id)
            elif role == "coordinator":
                grant = Grant(1, RoleKind.COORDINATOR, area_id, None)
            else:
                grant = Grant(1, RoleKind.ADMIN)
            scope = scope_of([grant])
            area = NATIONAL if kind is AreaKind.NATIONAL else Area(kind, area_id)

            async def figures(scope=scope, area=area) -> Figures | None:  # type: ignore[no-untyped-def]
                async with database.read() as session:
                    return await figures_in_scope(session, scope, area, now=NOW)

            ms, found = await timed(figures)
            assert isinstance(found, Figures)
            charts.setdefault(kind.value, found)
            print(
                f"  {label:30} {ms:7.1f} ms  {verdict(ms, FIGURES_TARGET_MS)}"
                f"   ({found.total:,} entries, {found.pending:,} pending, "
                f"{found.unreachable:,} unreachable)"
            )
        print(f"\nchart (target < {CHART_TARGET_MS:.0f} ms, median of {RUNS}, PNG bytes):")
        for kind, found in charts.items():

            async def chart(found: Figures = found) -> bytes:
                with use_language("sq"):
                    return render_png(chart_data(found))

            ms, png = await timed(chart)
            assert isinstance(png, bytes)
            print(
                f"  {kind:30} {ms:7.1f} ms  {verdict(ms, CHART_TARGET_MS)}   ({len(png):,} bytes)"
            )
        await measure_search_and_export(database, places, counties)
    finally:
        await database.dispose()


async def measure_search_and_export(
    database: Database, places: dict[str, int], counties: dict[str, int]
) -> None:
    korce = scope_of([Grant(1, RoleKind.CHAIR, None, places["Korçë"])])
    tirane_county = scope_of([Grant(1, RoleKind.COORDINATOR, counties["Tiranë"], None)])
    print(f"\nname search, a page of 8 (target < {SEARCH_TARGET_MS:.0f} ms, median of {RUNS}):")
    async with database.read() as session:
        korce_phone = await session.scalar(
            select(Member.phone_e164).where(Member.municipality_id == places["Korçë"]).limit(1)
        )
    assert korce_phone is not None
    # The target is for a municipality (a chair's search); a county's is shown for scale.
    for label, scope, typed in (
        ("municipality Korçë: «shpresa»", korce, "shpresa"),
        ("municipality Korçë: «rud»", korce, "rud"),
        ("municipality Korçë: a phone", korce, "0" + korce_phone.removeprefix("+355")),
        ("county Tiranë: «mimoza» (no target)", tirane_county, "mimoza"),
    ):
        query = read_query(typed)

        async def search(scope=scope, query=query):  # type: ignore[no-untyped-def]
            async with database.read() as session:
                return await search_members(session, scope, query, limit=8)

        ms, (_found, total) = await timed(search)  # type: ignore[misc]
        mark = "" if "no target" in label else verdict(ms, SEARCH_TARGET_MS)
        print(f"  {label:36} {ms:7.1f} ms  {mark:4}   ({total:,} found)")

    import tracemalloc

    national = scope_of([Grant(1, RoleKind.ADMIN)])
    from storage.geography import list_places

    async with database.read() as session:
        by_id = {place.id: place for place in await list_places(session)}

    async def export(scope, folder: str, traced: bool) -> tuple[int, float, int]:  # type: ignore[no-untyped-def]
        """Rows, seconds and (when traced) the peak of Python's memory while writing."""
        if traced:
            tracemalloc.start()
        started = time.perf_counter()
        async with database.read() as session:
            with (Path(folder) / "export.csv").open("w", encoding="utf-8-sig", newline="") as out:
                rows = await write_csv(session, scope, 1, out, by_id)
        seconds = time.perf_counter() - started
        peak = 0
        if traced:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        return rows, seconds, peak

    with tempfile.TemporaryDirectory() as folder:
        rows, seconds, _peak = await export(national, folder, traced=False)
        size = (Path(folder) / "export.csv").stat().st_size / 2**20
        # Memory in passes of their own: tracing every allocation slows the writing.
        county_rows, _s, county_peak = await export(tirane_county, folder, traced=True)
        _rows, _s, national_peak = await export(national, folder, traced=True)
    rate = rows / seconds
    verdict_rows = "pass" if rate >= EXPORT_TARGET_ROWS_PER_S else "FAIL"
    print(
        f"\nexport, national CSV to a file (target >= {EXPORT_TARGET_ROWS_PER_S:,} rows/s, "
        f"flat memory):\n"
        f"  {rows:,} rows in {seconds:.1f} s = {rate:,.0f} rows/s  {verdict_rows}   "
        f"({size:.0f} MiB file)\n"
        f"  peak Python memory: {county_rows:,} rows {county_peak / 2**20:.1f} MiB, "
        f"{rows:,} rows {national_peak / 2**20:.1f} MiB"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="write the database here and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or Path(folder) / "register.sqlite3"
        url = f"sqlite+aiosqlite:///{path}"
        if not path.exists():
            await upgrade(url)
            seconds = seed(path, args.members)
            size = path.stat().st_size / 2**20
            print(
                f"seeded {args.members:,} members and accounts in {seconds:.1f} s ({size:.0f} MiB)"
            )
        await measure(url)


if __name__ == "__main__":
    asyncio.run(main())
