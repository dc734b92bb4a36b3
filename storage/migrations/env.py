"""Alembic's environment for the register: async engines, SQLite and PostgreSQL alike.

Two ways in:
- from the application and the tests, `storage.schema.upgrade(url)` opens the connection
  itself and hands it over in `config.attributes["connection"]` (Alembic's "connection
  sharing" recipe), so migrations run on the caller's event loop;
- from the `alembic` command line (`-c storage/alembic.ini -x url=…`), this module makes
  its own async engine and runs it with `asyncio.run`.

Either way every pending revision runs in one transaction (SQLite DDL is transactional
here because storage.db emits BEGIN itself), so a failed upgrade leaves the previous
schema, not half of the new one. On SQLite, foreign keys are off during migrations (batch
mode rebuilds tables) and `PRAGMA foreign_key_check` must come back empty before commit.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from storage.db import is_sqlite_url, make_engine
from storage.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def _database_url() -> str:
    """`-x url=…`, else the config's sqlalchemy.url, else DATABASE_URL."""
    url = (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or os.environ.get("DATABASE_URL", "")
    )
    if not url:
        raise SystemExit("No database URL: pass -x url=… or set DATABASE_URL.")
    return url


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render our column types as plain SQLAlchemy types.

    A migration must not import `storage.models`: it describes the schema as it was when
    written, and the models will move on. UTCDateTime is a TypeDecorator over
    DateTime(timezone=True), which is what the database sees.
    """
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _skip_empty_autogenerate(
    migration_context: MigrationContext, revision: Any, directives: list[MigrationScript]
) -> None:
    """`revision --autogenerate` with no model change writes no empty file."""
    cmd_opts = getattr(config, "cmd_opts", None)
    if cmd_opts is not None and getattr(cmd_opts, "autogenerate", False):
        script = directives[0]
        if script.upgrade_ops is not None and script.upgrade_ops.is_empty():
            directives[:] = []


def configure_context(connection: Connection) -> None:
    """The options every run uses, also the model/migration comparison in the tests."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        compare_type=True,
        transactional_ddl=True,
        process_revision_directives=_skip_empty_autogenerate,
    )


def _check_foreign_keys(connection: Connection) -> None:
    """Refuse to commit a SQLite migration that left rows pointing nowhere."""
    if connection.dialect.name != "sqlite":
        return
    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if problems:
        table, rowid, parent, _fk = problems[0]
        raise RuntimeError(
            f"migration left {len(problems)} foreign key violation(s), "
            f"first: {table} rowid {rowid} → {parent}"
        )


def do_run_migrations(connection: Connection) -> None:
    """Run every pending revision in one transaction on a sync connection."""
    configure_context(connection)
    with context.begin_transaction():
        context.run_migrations()
        _check_foreign_keys(connection)


async def run_async_migrations(url: str) -> None:
    """For the command line: our own engine, with the same settings as the application."""
    engine = make_engine(url, foreign_keys=False, begin_immediate=True)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    """`--sql`: print the DDL instead of running it (the data revision refuses this mode)."""
    url = _database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=is_sqlite_url(url),
        render_item=render_item,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Use the shared connection when given one, else make an engine."""
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
    else:
        asyncio.run(run_async_migrations(_database_url()))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
