"""Copies of a SQLite register: a backup while the bot runs, and a restore while it does not.

Both go through SQLite's online backup API (`sqlite3.Connection.backup`), never a file copy:
a copy of the file taken while the bot writes can miss the pages still in the -wal file, or
catch a page half-written. The backup API reads one consistent snapshot (WAL lets the bot
keep writing meanwhile) and writes it through SQLite's own locking.

A backup is a single self-contained file (journal mode DELETE, no -wal beside it), created
readable by its owner only, like the database: it holds the same personal data.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from alembic.script import ScriptDirectory

from storage.db import SQLITE_BUSY_TIMEOUT_MS, ensure_private_sqlite_file
from storage.schema import alembic_config

_FILE_MODE: Final = 0o600
#: A table every Regjistri database has, whatever its revision.
_REGISTER_TABLE: Final = "member"


class BackupError(Exception):
    """Why a backup or restore was refused, in one line for the operator."""


class DatabaseInUse(BackupError):
    """Another connection (the bot, most likely) has the database open."""


@dataclass(frozen=True, slots=True)
class Copied:
    """What a backup or restore wrote: the file, its size and the schema revision in it."""

    path: Path
    size: int
    revision: str


def backup(source: Path, target: Path, *, force: bool = False) -> Copied:
    """Write a consistent copy of the database at `source` to `target`.

    Refuses an existing `target` unless `force`. The copy is written to a temporary file
    beside `target` and renamed over it at the end, so a failed backup leaves no half file
    and `--force` never destroys the previous backup before the new one is complete.
    """
    if not source.is_file():
        raise BackupError(f"There is no database at {source}: check DATABASE_URL")
    if target.is_dir() or not target.parent.is_dir():
        raise BackupError(f"Cannot write {target}: give a file name in an existing directory")
    if target.exists() and not force:
        raise BackupError(f"{target} exists already: choose another name or add --force")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    _create_private(partial)
    try:
        with contextlib.closing(_connect(source, mode="rw")) as src:
            revision = _revision(src)
            with contextlib.closing(_connect(partial, mode="rw")) as dst:
                src.backup(dst)
                # The snapshot keeps the source's WAL mode; a backup is better one file.
                dst.execute("PRAGMA journal_mode = DELETE")
        with open(partial, "rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return Copied(target, target.stat().st_size, revision)


def check_backup(path: Path) -> str:
    """The revision of a backup file; BackupError unless it is a sound Regjistri database
    at a revision this code knows."""
    if not path.is_file():
        raise BackupError(f"There is no file {path}")
    try:
        with contextlib.closing(_connect(path, mode="ro")) as connection:
            if connection.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise BackupError(f"{path} is damaged (SQLite's quick_check failed)")
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
            if _REGISTER_TABLE not in tables or "alembic_version" not in tables:
                raise BackupError(f"{path} is a SQLite database, but not a Regjistri one")
            revision = _revision(connection)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a SQLite database ({error})") from error
    known = {script.revision for script in _scripts().walk_revisions()}
    if revision not in known:
        raise BackupError(
            f"{path} is at revision {revision}, which this version does not know: restore it "
            "with the version that made it"
        )
    return revision


def restore(source: Path, target: Path) -> Copied:
    """Replace the database at `target` with the backup at `source`.

    Refused while anything else has `target` open: switching a WAL database out of WAL
    needs every other connection closed, so that switch is the test; the lock is then held
    (exclusive locking mode) until the copy is in place, so the bot cannot start halfway.
    """
    revision = check_backup(source)
    ensure_private_sqlite_file(target)  # a new database is owner-only from its first byte
    with contextlib.closing(_connect(target, mode="rw", busy_ms=0)) as dst:
        try:
            dst.execute("PRAGMA locking_mode = EXCLUSIVE")
            dst.execute("PRAGMA journal_mode = DELETE")
            dst.execute("BEGIN EXCLUSIVE")
            dst.execute("COMMIT")
        except sqlite3.OperationalError as error:
            raise DatabaseInUse(
                f"{target} is in use (is the bot running?): stop it, then restore again"
            ) from error
        with contextlib.closing(_connect(source, mode="ro")) as src:
            src.backup(dst)
        # The bot's connections set WAL themselves; setting it here keeps the file as it was.
        dst.execute("PRAGMA journal_mode = WAL")
    return Copied(target, target.stat().st_size, revision)


def head_revision() -> str:
    """The newest revision this code's migrations reach."""
    return str(_scripts().get_current_head())


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(""))


def _create_private(path: Path) -> None:
    """An empty file only the owner can read; fails if it exists (no following of links)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    os.close(os.open(path, flags, _FILE_MODE))


def _connect(path: Path, *, mode: str, busy_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    """A connection that never creates a missing file (`mode=rw` or `ro` in a file: URI)."""
    uri = f"{path.absolute().as_uri()}?mode={mode}"
    connection = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=busy_ms / 1000)
    connection.execute(f"PRAGMA busy_timeout = {busy_ms}")
    return connection


def _revision(connection: sqlite3.Connection) -> str:
    try:
        rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.OperationalError as error:
        raise BackupError("the database has no schema revision: is it a Regjistri one?") from error
    if len(rows) != 1:
        raise BackupError("the database has no single schema revision")
    return str(rows[0][0])
