"""Shared test fixtures. Each part of the project keeps its fixtures in a marked section."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy.engine import URL, make_url

from storage.db import Database, ensure_private_sqlite_file
from storage.schema import upgrade
from tests.harness import BotHarness

#: `make_harness(**settings)`: a running bot with settings of the test's own.
Harness = Callable[..., Awaitable[BotHarness]]

# =============================================================================================
# Database fixtures (storage infrastructure)
#
#   db_backend    "sqlite" or "postgresql"; tests using the fixtures below run on both.
#                 PostgreSQL is skipped, with the reason, when no server answers at
#                 $REGJISTRI_TEST_PG_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/test).
#   database_url  a fresh EMPTY database of that backend (SQLite: a file not yet created,
#                 in a directory not yet created; PostgreSQL: a new database, dropped after).
#   db            a Database on a fresh database at head (tables + counties/municipalities).
#   sqlite_db     the same on SQLite only, for the end-to-end tests (`sqlite_db.url` gives
#                 the URL, e.g. for building the application).
#
# Migrating takes ~50–100 ms, so each session migrates one template (a SQLite file, a
# PostgreSQL database) and each test gets a copy: a file copy, or CREATE DATABASE … TEMPLATE.
# Every PostgreSQL database has a random name, so parallel sessions do not collide.
# =============================================================================================

PG_URL_ENV = "REGJISTRI_TEST_PG_URL"
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"

_T = TypeVar("_T")


def _run_in_thread(make_coro: Callable[[], Awaitable[_T]]) -> _T:
    """Run async setup from a sync session fixture, away from pytest-asyncio's loops."""

    async def main() -> _T:
        return await make_coro()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


def _pg_admin_url() -> URL:
    return make_url(os.environ.get(PG_URL_ENV, DEFAULT_PG_URL))


def _pg_url_for(database: str) -> str:
    return _pg_admin_url().set(database=database).render_as_string(hide_password=False)


async def _pg_admin(sql: str) -> None:
    """One statement on the admin database (CREATE/DROP DATABASE cannot run in a transaction)."""
    import asyncpg

    dsn = _pg_admin_url().set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def postgres_skip_reason() -> str | None:
    """None when PostgreSQL answers; else why its tests are skipped. Asked once a session."""
    admin = _pg_admin_url()
    try:
        _run_in_thread(lambda: _pg_admin("SELECT 1"))
    except ImportError:
        return "asyncpg is not installed (pip install -e '.[dev]')"
    except Exception as error:
        where = f"{admin.host}:{admin.port or 5432}/{admin.database}"
        return f"no PostgreSQL at {where} ({type(error).__name__}); set {PG_URL_ENV}"
    return None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session, copied by each test."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    _run_in_thread(lambda: upgrade(f"sqlite+aiosqlite:///{path}"))
    # The last connection's close checkpoints the WAL into the file and removes it; a WAL
    # left behind would mean the copy misses data.
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_skip_reason: str | None) -> Iterator[str]:
    """The name of a PostgreSQL database migrated to head once per session."""
    if postgres_skip_reason:
        pytest.skip(postgres_skip_reason)
    name = _unique_name("regjistri_tpl")
    _run_in_thread(lambda: _pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        _run_in_thread(lambda: upgrade(_pg_url_for(name)))
        yield name
    finally:
        _run_in_thread(lambda: _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_backend(request: pytest.FixtureRequest, postgres_skip_reason: str | None) -> str:
    """The backend under test; PostgreSQL is skipped when no server answers."""
    backend: str = request.param
    if backend == "postgresql" and postgres_skip_reason:
        pytest.skip(postgres_skip_reason)
    return backend


def _sqlite_url(tmp_path: Path) -> str:
    # A directory of its own, so that Database creates it (and its permissions are tested).
    return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'regjistri.sqlite3'}"


async def _sqlite_copy(tmp_path: Path, template: Path) -> str:
    url = _sqlite_url(tmp_path)
    path = Path(make_url(url).database or "")
    ensure_private_sqlite_file(path)  # 0700 directory, 0600 file, as the application would
    shutil.copyfile(template, path)  # copies the bytes into the existing 0600 file
    return url


@pytest.fixture
async def _postgres_database() -> AsyncIterator[Callable[..., Awaitable[str]]]:
    """Creates uniquely named PostgreSQL databases for one test and drops them after it."""
    created: list[str] = []

    async def create(template: str | None = None) -> str:
        name = _unique_name("regjistri_test")
        clause = f' TEMPLATE "{template}"' if template else ""
        await _pg_admin(f'CREATE DATABASE "{name}"{clause}')
        created.append(name)
        return _pg_url_for(name)

    yield create
    for name in created:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def database_url(
    db_backend: str, tmp_path: Path, _postgres_database: Callable[..., Awaitable[str]]
) -> str:
    """A fresh, empty database of the backend under test (not migrated)."""
    if db_backend == "sqlite":
        return _sqlite_url(tmp_path)
    return await _postgres_database()


@pytest.fixture
async def db(
    db_backend: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    _postgres_database: Callable[..., Awaitable[str]],
) -> AsyncIterator[Database]:
    """A Database at head, seeded, on the backend under test."""
    if db_backend == "sqlite":
        url = await _sqlite_copy(tmp_path, request.getfixturevalue("sqlite_template"))
    else:
        url = await _postgres_database(request.getfixturevalue("postgres_template"))
    database = Database(url)
    yield database
    await database.dispose()


@pytest.fixture
async def sqlite_db(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Database]:
    """A Database at head, seeded, on SQLite (the default backend)."""
    database = Database(await _sqlite_copy(tmp_path, sqlite_template))
    yield database
    await database.dispose()


# ===================================== end of database fixtures ==============================


# ===================================== end-to-end fixtures ===================================
# `harness`: the real bot (Runner) polling the emulator over HTTP, on a migrated SQLite copy.


@pytest.fixture
async def make_harness(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Harness]:
    """A running bot with the given settings (the default fixture takes none)."""
    made: list[BotHarness] = []

    async def make(**settings: Any) -> BotHarness:
        harness = BotHarness(await _sqlite_copy(tmp_path, sqlite_template), **settings)
        await harness.start()
        made.append(harness)
        return harness

    yield make
    for harness in made:
        await harness.close()


@pytest.fixture
async def harness(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[BotHarness]:
    running = BotHarness(await _sqlite_copy(tmp_path, sqlite_template))
    await running.start()
    yield running
    await running.close()


# =============================================================================================
# Running in parallel (pytest-xdist, `-n` in pyproject.toml)
#
# The suite mostly waits (on the emulator's flood control, on the bot), so several workers
# share the two cores well. A test that measures a rate or a latency (marked `alone`) would
# measure the other workers instead, so it runs with nothing else: every test holds a shared
# lock while it runs, an `alone` test the exclusive one. The turnstile gives the waiting
# `alone` test precedence over tests that start after it (else shared holders, one after
# the other, could keep it waiting to the end of the run).
# =============================================================================================

_LOCK_DIR_ENV = "REGJISTRI_TEST_LOCK_DIR"


@pytest.fixture(scope="session")
def _lock_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory all workers of this run share (xdist's basetemp has one parent per run)."""
    shared = os.environ.get(_LOCK_DIR_ENV)
    if shared:
        return Path(shared)
    return tmp_path_factory.getbasetemp().parent


@pytest.fixture(autouse=True)
def _alone_or_together(request: pytest.FixtureRequest, _lock_dir: Path) -> Iterator[None]:
    import fcntl

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield  # one process: every test runs alone anyway
        return
    alone = request.node.get_closest_marker("alone") is not None
    with (
        open(_lock_dir / "regjistri-turnstile.lock", "a") as turnstile,
        open(_lock_dir / "regjistri-run.lock", "a") as run,
    ):
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        if alone:
            fcntl.flock(run, fcntl.LOCK_EX)  # waits for the running tests to finish
            fcntl.flock(turnstile, fcntl.LOCK_UN)
        else:
            fcntl.flock(turnstile, fcntl.LOCK_UN)
            fcntl.flock(run, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(run, fcntl.LOCK_UN)
