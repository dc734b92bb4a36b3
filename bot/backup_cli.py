"""`regjistri db backup FILE` and `regjistri db restore FILE`: one line of output each.

The work is in `storage.backup`; this module picks the file from DATABASE_URL and words the
outcome. On PostgreSQL the database server has its own tools, so the line names them.
"""

from __future__ import annotations

import argparse
import shlex
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from usecases.config import Settings


def add_commands(db_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `backup` and `restore` actions of `regjistri db`."""
    copy = db_commands.add_parser(
        "backup",
        help="copy the database to FILE (safe while the bot runs)",
        description="Write a consistent copy of the SQLite database (DATABASE_URL) to FILE "
        "with SQLite's online backup, also while the bot runs. FILE is readable by its owner "
        "only; keep it encrypted and off the server. On PostgreSQL: use pg_dump.",
    )
    copy.add_argument("file", type=Path, metavar="FILE")
    copy.add_argument("--force", action="store_true", help="replace FILE if it exists")
    back = db_commands.add_parser(
        "restore",
        help="replace the database with a backup FILE (stop the bot first)",
        description="Check that FILE is a Regjistri backup this version can use, then write "
        "it into the SQLite database (DATABASE_URL). Refused while the bot (or anything else) "
        "has the database open. On PostgreSQL: use pg_restore.",
    )
    back.add_argument("file", type=Path, metavar="FILE")


def run(settings: Settings, args: argparse.Namespace) -> int:
    # Imported here, not at the top: building the parser (every command, --help) stays quick.
    from storage.backup import BackupError, DatabaseInUse, backup, head_revision, restore
    from storage.db import is_sqlite_url, sqlite_file_path

    url = settings.resolved_database_url()
    if not is_sqlite_url(url):
        print(_postgres_advice(url, args.db_command, args.file), file=sys.stderr)
        return 2
    database = sqlite_file_path(url)
    if database is None:
        print("DATABASE_URL is not a SQLite file: nothing to copy", file=sys.stderr)
        return 2
    try:
        if args.db_command == "backup":
            copied = backup(database, args.file, force=args.force)
            print(
                f"Backed up {database} to {copied.path} ({_size(copied.size)}, schema "
                f"revision {copied.revision}); keep it encrypted and off this server."
            )
        else:
            copied = restore(args.file, database)
            later = (
                ""
                if copied.revision == head_revision()
                else " The next start migrates it to the current schema."
            )
            print(
                f"Restored {args.file} into {database} ({_size(copied.size)}, schema "
                f"revision {copied.revision}).{later}"
            )
    except DatabaseInUse as error:
        print(error, file=sys.stderr)
        return 1
    except BackupError as error:
        print(error, file=sys.stderr)
        return 2
    except (sqlite3.Error, OSError) as error:  # a full disk, a lock held past the timeout
        print(f"The {args.db_command} failed: {error}", file=sys.stderr)
        return 1
    return 0


def _postgres_advice(url: str, action: str, file: Path) -> str:
    from sqlalchemy.engine import URL, make_url

    # libpq's URL without the password: pg_dump reads it from PGPASSWORD or ~/.pgpass.
    parsed = make_url(url)
    plain = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    target = shlex.quote(plain.render_as_string(hide_password=False))
    name = shlex.quote(str(file))
    if action == "backup":
        return (
            "DATABASE_URL is PostgreSQL: back it up with: "
            f"pg_dump --format=custom --file={name} {target}"
        )
    return (
        "DATABASE_URL is PostgreSQL: stop the bot, then restore with: "
        f"pg_restore --clean --if-exists --no-owner --dbname={target} {name}"
    )


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
