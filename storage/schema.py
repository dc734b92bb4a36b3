"""Bring a database to the schema this code expects, from async code.

`upgrade(url)` is what `regjistri db upgrade` and the tests call: all migrations to head,
the reference data (counties, municipalities) included, in one transaction. Alembic's
command API is synchronous; it runs here through `AsyncConnection.run_sync` on a
connection we opened, so it needs neither a thread nor a second event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from storage.db import make_engine, sqlite_file_path

ALEMBIC_INI: Final = Path(__file__).with_name("alembic.ini")


class UnknownRevision(RuntimeError):
    """The database is at a revision this code does not know: a newer version migrated it."""


def alembic_config(url: str) -> Config:
    """The Alembic configuration shipped in the package, pointed at `url`."""
    config = Config(str(ALEMBIC_INI))
    # Config values go through ConfigParser interpolation: a literal % must be doubled
    # (URL-encoded passwords contain them).
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revisions() -> tuple[str, ...]:
    """The revisions this code's migrations end at (one, unless branches are merged)."""
    return tuple(ScriptDirectory.from_config(alembic_config("")).get_heads())


async def upgrade(url: str, revision: str = "head") -> None:
    """Apply every pending migration up to `revision`; harmless when already there."""
    await _run_alembic(url, command.upgrade, revision)


async def downgrade(url: str, revision: str) -> None:
    """Undo migrations down to `revision` ("base": all). For tests and repairs, not the bot."""
    await _run_alembic(url, command.downgrade, revision)


async def _run_alembic(
    url: str, alembic_command: Callable[[Config, str], None], revision: str
) -> None:
    """Run an Alembic command on a connection of ours (see the module docstring)."""
    config = alembic_config(url)
    # Foreign keys off and BEGIN IMMEDIATE on SQLite: see storage/migrations/env.py.
    engine = make_engine(url, foreign_keys=False, begin_immediate=True)

    def run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        alembic_command(config, revision)

    try:
        async with engine.connect() as connection:
            await connection.run_sync(run)
            await connection.commit()  # env.py commits; this only ends an idle autobegin
    finally:
        await engine.dispose()


async def current_revisions(url: str) -> tuple[str, ...]:
    """The revisions the database is at; empty for a new (or missing SQLite) database."""
    path = sqlite_file_path(url)
    if path is not None and not path.exists():
        return ()  # do not create a file just to look at it
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: tuple(MigrationContext.configure(sync).get_current_heads())
            )
    finally:
        await engine.dispose()


async def needs_upgrade(url: str) -> bool:
    """True when migrations are pending, so the bot can refuse to start on an old schema.

    Raises UnknownRevision when the database is at a revision this code does not know: a
    newer version migrated it, and running this one against it would be guesswork.
    """
    current = await current_revisions(url)
    script = ScriptDirectory.from_config(alembic_config(url))
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = [rev for rev in current if rev not in known]
    if unknown:
        raise UnknownRevision(
            f"the database is at revision {', '.join(unknown)}, which this version does "
            "not know: it was migrated by a newer version"
        )
    return set(current) != set(script.get_heads())
