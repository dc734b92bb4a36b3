"""The storage foundations: migrations, seed data, SQLite hygiene, transactions.

Most tests run on SQLite and on PostgreSQL (the `db_backend` parameter of the fixtures);
the SQLite-only ones test what exists only there (pragmas, file permissions).
"""

from __future__ import annotations

import asyncio
import csv
import os
import re
import sqlite3
import stat
from collections import Counter
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, func, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database, sqlite_file_path
from storage.models import (
    Account,
    Base,
    County,
    Member,
    MembershipCounter,
    Municipality,
    Setting,
)
from storage.schema import (
    current_revisions,
    downgrade,
    head_revisions,
    needs_upgrade,
    upgrade,
)
from storage.seed import (
    MUNICIPALITY_CODES,
    SeedResult,
    load_counties,
    load_municipalities,
    seed_reference_data,
)

# --- helpers ----------------------------------------------------------------------------------


async def _counts(database: Database) -> tuple[int, int]:
    async with database.read() as session:
        counties = await session.scalar(select(func.count()).select_from(County))
        municipalities = await session.scalar(select(func.count()).select_from(Municipality))
    return counties or 0, municipalities or 0


async def _municipality_id(session: AsyncSession, code: str) -> int:
    found = await session.scalar(select(Municipality.id).where(Municipality.code == code))
    assert found is not None
    return found


def _member(
    municipality_id: int, *, telegram_id: int, phone: str, status: str, verified: bool = True
) -> Member:
    return Member(
        telegram_id=telegram_id,
        full_name="Test Person",
        birth_date=date(1990, 1, 1),
        phone_e164=phone,
        phone_verified=verified,
        municipality_id=municipality_id,
        language="sq",
        status=status,
        submitted_at=datetime.now(UTC),
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- seed data (no database) ------------------------------------------------------------------


def test_every_municipality_has_a_unique_three_letter_code() -> None:
    codes = list(MUNICIPALITY_CODES.values())
    assert len(MUNICIPALITY_CODES) == 61
    assert len(set(codes)) == 61, [c for c, n in Counter(codes).items() if n > 1]
    assert all(re.fullmatch(r"[A-Z]{3}", code) for code in codes)
    # The codes people will recognize on a membership number.
    expected = {"Korçë": "KOR", "Tiranë": "TIR", "Durrës": "DUR", "Shkodër": "SHK"}
    expected |= {"Elbasan": "ELB", "Vlorë": "VLO", "Fier": "FIE", "Berat": "BER"}
    assert {name: MUNICIPALITY_CODES[name] for name in expected} == expected


def test_codes_and_csvs_describe_the_same_places() -> None:
    municipalities = load_municipalities()
    counties = load_counties()
    # Every CSV municipality has a code, and no code is left for a place that is gone.
    assert {m.name for m in municipalities} == set(MUNICIPALITY_CODES)
    # counties.csv's count per county agrees with municipalities.csv.
    per_county = Counter(m.county for m in municipalities)
    assert {c.name: c.municipality_count for c in counties} == dict(per_county)
    assert len(counties) == 12
    assert sorted(c.iso_code for c in counties) == [f"AL-{n:02d}" for n in range(1, 13)]
    # Aliases are split on ';' (the CSV's separator) and stripped.
    by_name = {m.name: m for m in municipalities}
    assert by_name["Skrapar"].aliases == ("Çorovodë", "Corovode")
    assert by_name["Belsh"].population_2023 is None


def test_seed_csvs_ship_in_the_package() -> None:
    seed = resources.files("storage.seed")
    with seed.joinpath("municipalities.csv").open(encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == 61


# --- migrations -------------------------------------------------------------------------------


async def test_upgrade_creates_every_table_and_the_reference_data(database_url: str) -> None:
    assert await needs_upgrade(database_url)
    await upgrade(database_url)
    assert not await needs_upgrade(database_url)
    assert await current_revisions(database_url) == head_revisions()

    database = Database(database_url)
    try:
        async with database.read() as session:
            connection = await session.connection()
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
            rows = (await session.execute(select(Municipality.code, Municipality.name))).all()
            korce = await session.scalar(select(Municipality).where(Municipality.code == "KOR"))
            isos = (await session.scalars(select(County.iso_code))).all()
        assert tables == set(Base.metadata.tables) | {"alembic_version"}
        assert await _counts(database) == (12, 61)
        assert len({code for code, _ in rows}) == 61
        assert {name: code for code, name in rows} == MUNICIPALITY_CODES
        assert korce is not None
        assert (korce.name, korce.name_definite, korce.ascii_name) == ("Korçë", "Korça", "Korce")
        assert sorted(isos) == [f"AL-{n:02d}" for n in range(1, 13)]
    finally:
        await database.dispose()


async def test_upgrade_twice_and_reseeding_are_harmless(database_url: str) -> None:
    await upgrade(database_url)
    await upgrade(database_url)
    database = Database(database_url)
    try:
        assert await _counts(database) == (12, 61)
        async with database.write() as session:
            result = await (await session.connection()).run_sync(seed_reference_data)
        assert result == SeedResult(0, 0)
        # A municipality missing (say, added to the CSV later) is inserted, nothing else.
        async with database.write() as session:
            await session.execute(text("DELETE FROM municipality WHERE code = 'PUS'"))
            result = await (await session.connection()).run_sync(seed_reference_data)
        assert result == SeedResult(0, 1)
        assert await _counts(database) == (12, 61)
    finally:
        await database.dispose()


async def test_downgrade_to_base_and_up_again(database_url: str) -> None:
    await upgrade(database_url)
    await downgrade(database_url, "base")
    assert await current_revisions(database_url) == ()
    await upgrade(database_url)
    assert not await needs_upgrade(database_url)


async def test_a_database_migrated_by_a_newer_version_is_refused(sqlite_db: Database) -> None:
    async with sqlite_db.write() as session:
        await session.execute(text("UPDATE alembic_version SET version_num = '0123456789ab'"))
    with pytest.raises(RuntimeError, match="newer version"):
        await needs_upgrade(sqlite_db.url)


async def test_models_and_migrations_agree(db: Database) -> None:
    """`alembic check`: autogenerate against a migrated database finds nothing to do."""

    def compare(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.read() as session:
        diff = await (await session.connection()).run_sync(compare)
    assert diff == []


# --- transactions -----------------------------------------------------------------------------


async def test_fifty_concurrent_writers_all_commit(db: Database) -> None:
    """Read-modify-write from 50 tasks at once: none fails, none is lost.

    On SQLite this is what BEGIN IMMEDIATE buys (a deferred BEGIN fails most of them with
    "database is locked"); on PostgreSQL the row lock (FOR UPDATE) serializes them.
    """
    async with db.write() as session:
        municipality_id = await _municipality_id(session, "KOR")
        session.add(MembershipCounter(municipality_id=municipality_id, last_value=0))

    async def increment() -> None:
        async with db.write() as session:
            counter = await session.get(MembershipCounter, municipality_id, with_for_update=True)
            assert counter is not None
            await asyncio.sleep(0)  # let the others pile up behind this transaction
            counter.last_value += 1

    results = await asyncio.gather(*(increment() for _ in range(50)), return_exceptions=True)
    errors = [repr(r) for r in results if isinstance(r, BaseException)]
    assert errors == []
    async with db.read() as session:
        counter = await session.get(MembershipCounter, municipality_id)
    assert counter is not None
    assert counter.last_value == 50


async def test_a_write_that_raises_is_rolled_back(db: Database) -> None:
    with pytest.raises(RuntimeError, match="changed my mind"):
        async with db.write() as session:
            session.add(Setting(key="bot_username", value="regjistri_bot"))
            await session.flush()  # the row reached the database inside the transaction
            raise RuntimeError("changed my mind")
    async with db.read() as session:
        assert await session.get(Setting, "bot_username") is None
    # The connection went back to the pool clean: the next write works.
    async with db.write() as session:
        session.add(Setting(key="bot_username", value="regjistri_bot"))
    async with db.read() as session:
        setting = await session.get(Setting, "bot_username")
    assert setting is not None
    assert setting.value == "regjistri_bot"


async def test_objects_stay_readable_after_the_write_commits(db: Database) -> None:
    async with db.write() as session:
        setting = Setting(key="k", value="v")
        session.add(setting)
    assert setting.value == "v"  # expire_on_commit=False: no lazy load after commit


async def test_one_active_entry_per_account_and_phone(db: Database) -> None:
    async with db.write() as session:
        kor = await _municipality_id(session, "KOR")
        session.add(_member(kor, telegram_id=1, phone="+355691111111", status="rejected"))
        session.add(_member(kor, telegram_id=1, phone="+355691111111", status="pending"))
    # A second pending (or approved) entry for the same account is refused...
    with pytest.raises(IntegrityError):
        async with db.write() as session:
            session.add(_member(kor, telegram_id=1, phone="+355692222222", status="pending"))
    # ...and for the same verified phone from another account...
    with pytest.raises(IntegrityError):
        async with db.write() as session:
            session.add(_member(kor, telegram_id=2, phone="+355691111111", status="approved"))
    # ...but a typed (unverified) claim on it is kept, for the deciders to see the clash:
    # refusing it would tell a stranger the number is registered.
    async with db.write() as session:
        session.add(
            _member(kor, telegram_id=3, phone="+355691111111", status="pending", verified=False)
        )
    # Rejected and withdrawn entries do not count.
    async with db.write() as session:
        session.add(_member(kor, telegram_id=1, phone="+355691111111", status="withdrawn"))
    async with db.read() as session:
        statuses = (await session.scalars(select(Member.status).order_by(Member.id))).all()
    assert statuses == ["rejected", "pending", "pending", "withdrawn"]


async def test_utc_datetimes_come_back_aware_and_in_utc(db: Database) -> None:
    # 02:30 in Tirana, the second time round on the night the clocks go back: 01:30 UTC.
    tirana = datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Tirane"))
    async with db.write() as session:
        session.add(Account(telegram_id=42, created_at=tirana))
    async with db.read() as session:
        account = await session.get(Account, 42)
    assert account is not None
    # (== across zones is False for an ambiguous wall time, by PEP 495: compare instants.)
    assert account.created_at.timestamp() == tirana.timestamp()
    assert account.created_at.tzinfo is UTC
    assert account.created_at == datetime(2024, 10, 27, 1, 30, tzinfo=UTC)
    with pytest.raises(StatementError, match="naive datetime"):
        async with db.write() as session:
            session.add(Account(telegram_id=43, created_at=datetime(2024, 1, 1)))


# --- SQLite hygiene ---------------------------------------------------------------------------


async def test_sqlite_pragmas_are_in_effect_for_reads_and_writes(sqlite_db: Database) -> None:
    pragmas = ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
    for session_kind in (sqlite_db.read, sqlite_db.write):
        async with session_kind() as session:
            values = {p: (await session.execute(text(f"PRAGMA {p}"))).scalar() for p in pragmas}
        assert values == {
            "journal_mode": "wal",
            "foreign_keys": 1,
            "synchronous": 2,  # FULL
            # Statements run on the event loop and never sleep there: one that finds another
            # process's lock waits in a worker thread (the next test).
            "busy_timeout": 0,
        }


async def test_a_lock_held_by_another_process_is_waited_for_off_the_event_loop(
    sqlite_db: Database,
) -> None:
    """Another process (here a plain connection) holds the write lock for a while: our write
    waits for it with the busy timeout, and the event loop keeps running meanwhile."""
    path = sqlite_file_path(sqlite_db.url)
    assert path is not None
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    releaser = asyncio.get_running_loop().call_later(0.3, other.execute, "COMMIT")
    try:
        async with sqlite_db.write() as session:
            session.add(Account(telegram_id=77, created_at=datetime.now(UTC)))
    finally:
        releaser.cancel()
        ticker.cancel()
        other.close()
    assert ticks >= 10, "the loop stood still while the write waited for the lock"
    async with sqlite_db.read() as session:
        assert await session.get(Account, 77) is not None


async def test_sqlite_foreign_keys_are_enforced(sqlite_db: Database) -> None:
    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        async with sqlite_db.write() as session:
            session.add(MembershipCounter(municipality_id=999_999, last_value=0))


async def test_sqlite_ddl_is_transactional(sqlite_db: Database) -> None:
    """What makes a failed migration leave the old schema rather than half of the new one."""
    with pytest.raises(RuntimeError):
        async with sqlite_db.write() as session:
            await session.execute(text("CREATE TABLE half_done (x INTEGER)"))
            raise RuntimeError("migration failed")
    async with sqlite_db.read() as session:
        found = await session.scalar(
            text("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'")
        )
    assert found == 0


async def test_sqlite_writes_begin_immediate_and_reads_deferred(sqlite_db: Database) -> None:
    statements: list[str] = []

    def record(statement: str) -> None:
        if statement.startswith("BEGIN"):
            statements.append(statement)

    def trace(dbapi_connection: Any, _record: object) -> None:
        # What SQLite itself ran (BEGIN goes to the driver directly, storage/db.py).
        dbapi_connection.driver_connection._conn.set_trace_callback(record)

    await sqlite_db.engine.dispose()
    event.listen(sqlite_db.engine.sync_engine, "connect", trace)
    async with sqlite_db.write() as session:
        await session.execute(text("SELECT 1"))
    async with sqlite_db.read() as session:
        await session.execute(text("SELECT 1"))
    assert statements == ["BEGIN IMMEDIATE", "BEGIN"]


async def test_sqlite_file_and_directory_are_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "data" / "regjistri.sqlite3"
    previous = os.umask(0)  # the most permissive umask: the modes must not depend on it
    try:
        database = Database(f"sqlite+aiosqlite:///{path}")
        try:
            async with database.write() as session:
                await session.execute(text("CREATE TABLE t (x INTEGER)"))
                await session.execute(text("INSERT INTO t VALUES (1)"))
            # While a connection is open the WAL and shared-memory files exist.
            wal = path.with_name(path.name + "-wal")
            shm = path.with_name(path.name + "-shm")
            assert wal.exists()
            assert shm.exists()
            assert (_mode(path.parent), _mode(path), _mode(wal), _mode(shm)) == (
                0o700,
                0o600,
                0o600,
                0o600,
            )
        finally:
            await database.dispose()
    finally:
        os.umask(previous)


async def test_sqlite_file_readable_by_others_is_tightened(tmp_path: Path) -> None:
    directory = tmp_path / "shared"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    path = directory / "regjistri.sqlite3"
    path.touch()
    path.chmod(0o644)
    database = Database(f"sqlite+aiosqlite:///{path}")
    await database.dispose()
    assert _mode(path) == 0o600
    # An existing directory is the operator's choice and is left as it was.
    assert _mode(directory) == 0o755
