"""The engine and the two kinds of session: every database access goes through here.

SQLite hygiene lives in one place (style.md §6). SQLite is the default backend and holds
political-opinion data, so:

- the file and its directory are created readable by their owner only, before SQLite
  touches them (SQLite creates its -wal and -shm files with the main file's permissions);
- WAL, so readers never wait for the writer; `synchronous=FULL`, so a committed decision
  survives a power cut; foreign keys on, as SQLite leaves them off by default; a busy
  timeout, so a second process waits instead of failing;
- write transactions start with `BEGIN IMMEDIATE`. With SQLite's default deferred BEGIN a
  transaction that reads and then writes may find the write lock taken and fail with
  "database is locked" without waiting (measured: 88 % of 50 concurrent writers failed);
  IMMEDIATE takes the write lock up front, where the busy timeout applies (none failed).

Python's sqlite3 driver (and aiosqlite on top of it) starts transactions itself and only
before INSERT/UPDATE/DELETE, so it cannot emit BEGIN IMMEDIATE. As SQLAlchemy's SQLite
documentation recommends ("Transactions with SQLite and the sqlite3 driver"), the driver's
handling is switched off (`isolation_level = None` on connect) and SQLAlchemy's "begin"
event emits BEGIN itself: IMMEDIATE for `Database.write()`, a plain deferred BEGIN for
reads. This also makes DDL transactional, which the migrations rely on.

Statements run on the event loop's own thread (`OnLoopConnection`), not one thread hop
each as aiosqlite does: a hop cost more CPU than most of our statements (bench/registration.py
--profile: aiosqlite's queue and the loop's wake-ups were a fifth of a registration step's
CPU). SQLite answers from its page cache in microseconds; a commit with `synchronous=FULL`
in WAL measured 0.27 ms here, fsync included. What may wait long is a lock another
*process* holds (this process's writers queue on `Database.write()`'s asyncio lock): such
a statement fails at once on the loop (busy timeout 0 there) and is run again in a worker
thread with the full busy timeout, so the loop never sleeps in SQLite's busy handler.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import sqlite3
import stat
import types
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

import aiosqlite
from sqlalchemy import Column, event
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi, SQLiteDialect_aiosqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.util import await_

log = logging.getLogger(__name__)

#: Execution option read by the SQLite "begin" listener: how a transaction starts.
SQLITE_BEGIN_OPTION: Final = "regjistri_sqlite_begin"
#: How long (ms) a SQLite connection waits for another writer before "database is locked".
SQLITE_BUSY_TIMEOUT_MS: Final = 10_000

_DIR_MODE: Final = 0o700
_FILE_MODE: Final = 0o600
_SIDECAR_SUFFIXES: Final = ("-wal", "-shm", "-journal")


class _RunNow:
    """Stands in for aiosqlite's queue to its thread: runs the call at once, here.

    SQLAlchemy's adaptor puts one call (setting `isolation_level`) on that queue itself.
    """

    @staticmethod
    def put_nowait(item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:  # handed to the awaiting caller, as aiosqlite does
            if future is not None:
                future.set_exception(error)
            return
        if future is not None:
            future.set_result(result)


def _locked(error: sqlite3.OperationalError) -> bool:
    return "locked" in str(error) or "busy" in str(error)


class OnLoopConnection(aiosqlite.Connection):
    """aiosqlite's connection making each call at once, on the event loop's thread.

    A statement that finds the database locked by another process is run again in a
    worker thread, with the busy timeout, so waiting never blocks the loop (module
    docstring). A statement that failed with SQLITE_BUSY changed nothing, so running it
    again is safe.
    """

    def __init__(self, connector: Callable[[], sqlite3.Connection], iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        self._tx = _RunNow()  # type: ignore[assignment]

    def __await__(self) -> Any:
        return self._connect().__await__()  # no worker thread

    async def _connect(self) -> OnLoopConnection:
        if self._connection is None:
            connection = self._connector()
            # The busy timeout applies in the worker thread only (`_execute`).
            connection.execute("PRAGMA busy_timeout = 0")
            self._connection = connection
        return self

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        try:
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as error:
            if not _locked(error):
                raise
        return await asyncio.to_thread(self._waiting, functools.partial(fn, *args, **kwargs))

    def _waiting(self, call: Callable[[], Any]) -> Any:
        connection = self._conn
        connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        try:
            return call()
        finally:
            connection.execute("PRAGMA busy_timeout = 0")

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _on_loop_connect(database: str | Path, *, iter_chunk_size: int = 64, **kwargs: Any) -> Any:
    """`aiosqlite.connect`, for an `OnLoopConnection` (same arguments)."""
    # A statement that waits for a lock runs in a worker thread (OnLoopConnection).
    kwargs["check_same_thread"] = False
    location = database.decode() if isinstance(database, bytes) else str(database)
    return OnLoopConnection(functools.partial(sqlite3.connect, location, **kwargs), iter_chunk_size)


#: aiosqlite as SQLAlchemy's aiosqlite dialect sees it, connecting with `OnLoopConnection`.
ON_LOOP_AIOSQLITE: Final = AsyncAdapt_aiosqlite_dbapi(
    types.SimpleNamespace(**{**vars(aiosqlite), "connect": _on_loop_connect}),  # type: ignore[arg-type]
    sqlite3,
)


#: `session.info` key: the (class, primary key) pairs known to be missing in this transaction
#: (storage/turn.py read them).
MISSING_ROWS: Final = "missing_rows"
#: `session.info` key: telegram id -> the registration draft as the turn read it (or None),
#: kept in step by storage/drafts.py; anything else that adds or deletes drops it.
TURN_DRAFTS: Final = "turn_drafts"
#: `session.info` key: telegram id -> the status of their latest entry as the turn read it
#: ("" when they have none); dropped when the session adds or deletes an entry.
TURN_STANDINGS: Final = "turn_standings"


class TurnSession(Session):
    """A session that answers what the turn's one read found (storage/turn.py) without a
    query: a row found missing stays missing until the session adds or deletes something."""

    def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        missing = self.info.get(MISSING_ROWS)
        if (
            missing
            and (entity, ident) in missing
            # A plain lookup (AsyncSession.get passes its defaults along): not a lock or a
            # refresh, which must ask the database.
            and kwargs.get("with_for_update") is None
            and not kwargs.get("populate_existing")
            and not kwargs.get("options")
        ):
            return None
        return super().get(entity, ident, **kwargs)

    def add(self, instance: object, _warn: bool = True) -> None:
        self._forget_turn(type(instance))
        super().add(instance, _warn=_warn)

    def merge(self, instance: Any, **kwargs: Any) -> Any:
        self._forget_turn(type(instance))
        return super().merge(instance, **kwargs)

    def delete(self, instance: object) -> None:
        self._forget_turn(type(instance))
        super().delete(instance)

    def _forget_turn(self, kind: type) -> None:
        """A row added or deleted changes what the turn knows of its own table only.

        A row added may be one found missing (of its class); a draft added or deleted
        changes the draft the turn read. Adding an account leaves the knowledge that there
        is no draft standing (measured: consent asked for the draft again after creating
        the account, one statement per registration).
        """
        missing = self.info.get(MISSING_ROWS)
        if missing:
            self.info[MISSING_ROWS] = {(k, i) for k, i in missing if not issubclass(kind, k)}
        if getattr(kind, "__tablename__", None) in _TURN_TABLES:
            self.info.pop(TURN_DRAFTS, None)
            self.info.pop(TURN_STANDINGS, None)


#: Tables whose rows the turn's read keeps as values (a draft, the latest entry's status).
_TURN_TABLES: Final = frozenset({"registration_draft", "member"})


@event.listens_for(TurnSession, "do_orm_execute")
def _turn_rows_changed(state: Any) -> None:
    """An INSERT, UPDATE or DELETE through the session: see `forget_written`."""
    if state.is_select:
        return
    _forget_tables(state.session, {mapper.local_table.name for mapper in state.all_mappers})


def forget_written(session: AsyncSession | Session, table: Any) -> None:
    """A statement wrote `table` (also one run on the session's connection, as
    storage/prepared.py does): what the turn found missing in that table, and what it read
    of drafts or entries, is stale; the next question asks the database."""
    _forget_tables(
        session.sync_session if isinstance(session, AsyncSession) else session, {table.name}
    )


def _forget_tables(session: Session, tables: set[str]) -> None:
    missing = session.info.get(MISSING_ROWS)
    if missing:  # a row found missing may exist now
        session.info[MISSING_ROWS] = {
            (k, i) for k, i in missing if getattr(k, "__tablename__", None) not in tables
        }
    if tables & _TURN_TABLES:
        session.info.pop(TURN_DRAFTS, None)
        session.info.pop(TURN_STANDINGS, None)


@event.listens_for(TurnSession, "after_transaction_end")
def _turn_ends(session: Session, transaction: Any) -> None:
    """What the turn read holds for its transaction only (a session used again reads anew)."""
    if transaction.parent is None:
        session.info.pop(MISSING_ROWS, None)
        session.info.pop(TURN_DRAFTS, None)
        session.info.pop(TURN_STANDINGS, None)


#: `session.info` key: the sqlite3 connection of the session's transaction (`sqlite_connection`).
_SQLITE_CONNECTION: Final = "sqlite3_connection"
SQLITE_DIALECT: Final = SQLiteDialect_aiosqlite()


async def sqlite_connection(session: AsyncSession) -> sqlite3.Connection | None:
    """The sqlite3 connection under a SQLite session's transaction; None on another backend.

    For the few statements every update runs (storage/turn.py, drafts, the inbox mark): a
    prepared SQL string on it costs microseconds where the ORM's execution path costs a
    good part of a millisecond (bench/registration.py --profile). Same connection, same
    transaction: they commit or roll back with everything else. They do not autoflush the
    session, so callers use it only where no pending ORM change concerns their rows.
    """
    sync_session = session.sync_session
    transaction = sync_session.get_transaction()
    cached = session.info.get(_SQLITE_CONNECTION)
    if cached is not None and transaction is not None and cached[0] is transaction:
        return cached[1]  # type: ignore[no-any-return]
    bind = session.bind
    if bind is None or bind.dialect.name != "sqlite":
        return None
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    if not isinstance(driver, OnLoopConnection):
        return None
    raw = driver._conn
    session.info[_SQLITE_CONNECTION] = (sync_session.get_transaction(), raw)
    return raw


def sqlite_run(
    raw: sqlite3.Connection, sql: str, parameters: Sequence[Any], *, many: bool = False
) -> sqlite3.Cursor:
    """Run a prepared statement on `sqlite_connection`'s connection; a failure is raised as
    SQLAlchemy raises it (callers catch SQLAlchemyError, e.g. the poller storing a batch)."""
    try:
        if many:
            return raw.executemany(sql, parameters)
        return raw.execute(sql, parameters)
    except sqlite3.Error as error:
        raise DBAPIError.instance(sql, None, error, sqlite3.Error, hide_parameters=True) from error


@functools.cache
def sqlite_bind(column: Column[Any]) -> Callable[[Any], Any]:
    """How SQLAlchemy turns a Python value into this column's SQLite value (types included:
    dates, aware UTC datetimes, JSON, booleans), for statements run on `sqlite_connection`."""
    processor = column.type.dialect_impl(SQLITE_DIALECT).bind_processor(SQLITE_DIALECT)
    return processor if processor is not None else _same


@functools.cache
def sqlite_result(column: Column[Any]) -> Callable[[Any], Any]:
    """How SQLAlchemy turns this column's SQLite value back into the Python value."""
    processor = column.type.dialect_impl(SQLITE_DIALECT).result_processor(SQLITE_DIALECT, None)
    return processor if processor is not None else _same


def _same(value: Any) -> Any:
    return value


def is_sqlite_url(url: str | URL) -> bool:
    """True for any SQLite URL (sqlite://, sqlite+aiosqlite://, …)."""
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file_path(url: str | URL) -> Path | None:
    """The database file of a SQLite URL; None for another backend, in-memory or URI-style."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    if parsed.query.get("uri") in ("true", "1"):
        return None
    return Path(database)


def ensure_private_sqlite_file(path: Path) -> None:
    """Create the SQLite file (and a missing directory) readable by the owner only.

    Done with os.open(..., 0o600) before SQLite opens it, so there is no moment in which
    the file exists with the umask's looser permissions. An existing file that others can
    read is tightened, with a warning; an existing directory is left as it is (it may be
    one the operator chose and shares on purpose), only a directory created here is 0700.
    """
    directory = path.parent
    if not directory.exists():
        directory.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        # mkdir's mode is filtered through the umask; be explicit.
        directory.chmod(_DIR_MODE)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), _FILE_MODE)
    try:
        mode = stat.S_IMODE(os.fstat(fd).st_mode)
        if mode & 0o077:
            log.warning("database file was readable by others (%o); making it 0600", mode)
            os.fchmod(fd, _FILE_MODE)
    finally:
        os.close(fd)


def _tighten_sidecars(path: Path) -> None:
    """Keep -wal/-shm owner-only too: they hold the same personal data as the main file."""
    for suffix in _SIDECAR_SUFFIXES:
        sidecar = path.with_name(path.name + suffix)
        try:
            mode = stat.S_IMODE(sidecar.stat().st_mode)
            if mode & 0o077:
                sidecar.chmod(_FILE_MODE)
        except FileNotFoundError:
            continue
        except PermissionError:  # not ours to change; SQLite copied the main file's mode
            log.warning("cannot restrict permissions of %s", sidecar.name)


def make_engine(
    url: str | URL,
    *,
    echo: bool = False,
    foreign_keys: bool = True,
    begin_immediate: bool = False,
) -> AsyncEngine:
    """An async engine with this project's connection settings.

    The flags exist for migrations, which write from their first statement
    (`begin_immediate`) and must run with SQLite's foreign keys off: batch mode rebuilds
    tables by copy-drop-rename, which enforced foreign keys would break; the migration
    environment runs `PRAGMA foreign_key_check` before committing instead.
    """
    if not is_sqlite_url(url):
        # pre_ping: a PostgreSQL restart must not fail the first update after it.
        return create_async_engine(url, echo=echo, pool_pre_ping=True, hide_parameters=True)

    path = sqlite_file_path(url)
    if path is not None:
        ensure_private_sqlite_file(path)
    # hide_parameters: a database error must not print the name or phone being written.
    # pool_use_lifo: the connection used last is used next. SQLite drops a connection's page
    # cache whenever another connection wrote since its last transaction; with the pool's
    # default first-in-first-out every write turn took a connection whose cache another had
    # just invalidated, and read its pages again (strace over bench/registration.py: 13 539
    # pread calls for 700 updates, 855 with LIFO).
    engine = create_async_engine(
        url, echo=echo, hide_parameters=True, module=ON_LOOP_AIOSQLITE, pool_use_lifo=True
    )
    _install_sqlite_listeners(engine, path, foreign_keys=foreign_keys)
    if begin_immediate:
        engine = engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
    return engine


def _install_sqlite_listeners(
    engine: AsyncEngine, path: Path | None, *, foreign_keys: bool
) -> None:
    """The pragmas on every new connection, and our own BEGIN (see the module docstring)."""
    pragmas = (
        # Switching to WAL waits for another process in a worker thread (OnLoopConnection).
        "PRAGMA journal_mode = WAL",
        f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}",
        "PRAGMA synchronous = FULL",
        # Erased personal data is overwritten, not only unlinked. Some builds default to it,
        # others not: set, never assumed (a privacy review found the file clean only by luck).
        "PRAGMA secure_delete = ON",
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # The driver must not BEGIN (or COMMIT before DDL) on its own: we do it below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()
        if path is not None:
            _tighten_sidecars(path)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION)
        begin = "BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN"
        driver = connection.connection.driver_connection
        if isinstance(driver, OnLoopConnection):
            # Straight to the driver: SQLAlchemy's execution path (a context, a cursor, a
            # result) cost more than the statement, on every transaction.
            try:
                await_(driver._execute(driver._conn.execute, begin))
            except sqlite3.Error as error:
                # As SQLAlchemy would have raised it ("database is locked" past the busy
                # timeout is an OperationalError callers catch as SQLAlchemyError).
                raise DBAPIError.instance(begin, None, error, sqlite3.Error) from error
            return
        connection.exec_driver_sql(begin)


def _checkpoint_waiting(path: Path) -> None:
    connection = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        connection.close()


class Database:
    """The application's database: one engine, read sessions and write transactions.

    Handlers own the unit of work (style.md §5): one `write()` per update that changes
    something, storage functions take the session and never commit. `url` may carry a
    password: never log it.
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url: str = url
        self.is_sqlite: bool = is_sqlite_url(url)
        self.engine: AsyncEngine = make_engine(url, echo=echo)
        # Same pool and listeners; the option only changes how SQLite BEGINs.
        write_engine = self.engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        # expire_on_commit=False: objects stay readable after commit; under asyncio an
        # expired attribute would mean an implicit lazy load, which is an error.
        # TurnSession: what storage.turn.read_turn found missing is not asked for again.
        self._read_sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=TurnSession
        )
        self._write_sessions = async_sessionmaker(
            write_engine, expire_on_commit=False, sync_session_class=TurnSession
        )
        # SQLite has one writer at a time. Writers of this process queue here, on an asyncio
        # lock, instead of in SQLite's busy handler, which sleeps in steps of up to 100 ms
        # while it waits: under load that sleeping, not the work, was most of the latency.
        # Other processes still meet the busy timeout.
        self._write_turn: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reads. Never committed: whatever it holds is rolled back at the end.

        On SQLite it starts with a deferred BEGIN, which takes no write lock, so reads run
        alongside the writer (WAL). Do not write in it: on SQLite, upgrading a read
        transaction to a write one can fail at once with "database is locked".
        """
        async with self._read_sessions() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One write transaction: committed when the block ends, rolled back if it raises.

        On SQLite it starts with BEGIN IMMEDIATE, so concurrent writers queue on the busy
        timeout instead of failing (see the module docstring).
        """
        if self._write_turn is None:
            async with self._write_sessions() as session, session.begin():
                yield session
            return
        async with self._write_turn, self._write_sessions() as session, session.begin():
            yield session

    async def checkpoint(self) -> None:
        """After an erasure: copy the WAL into the file and empty it.

        Until then the erased rows' old pages stay in the `-wal` file while the bot runs;
        secure_delete cleans the main file only. Runs outside any transaction; a reader
        that holds the WAL makes it wait (busy timeout), never fail. No-op on PostgreSQL.
        """
        if not self.is_sqlite:
            return
        async with self.engine.connect() as connection:
            result = await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            busy = result.scalar()
        path = sqlite_file_path(self.url)
        if busy and path is not None:
            # A reader held the log (the loop's connection does not wait): wait in a thread.
            await asyncio.to_thread(_checkpoint_waiting, path)

    async def dispose(self) -> None:
        """Close every pooled connection (at shutdown, and in tests before files go)."""
        await self.engine.dispose()
