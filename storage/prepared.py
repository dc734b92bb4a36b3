"""Core statements built once and, on SQLite, run as prepared SQL on the turn's connection.

The statements every update runs were already built once with bind parameters; what each
execution still paid was SQLAlchemy's execution path: the session's autoflush check, the
ORM's DML plugin (it re-derived the INSERT's column/value pairs on every call), a cache key,
an execution context, a cursor and a result wrapper — a tenth to a fifth of a millisecond
a statement, more than SQLite takes to run it (bench/registration.py under py-spy).

`Prepared` compiles its statement for SQLite once (the SQL string, the order of its
parameters and the type conversions SQLAlchemy would apply to them and to the result's
columns) and runs it with `sqlite_run` on the connection of the session's transaction:
same transaction, committed or rolled back with everything else. On another backend
(PostgreSQL) it goes through `session.execute` as before, so both run the very same
statement and the storage tests run on both.

What the session's execution did besides running SQL is done here too:
- pending ORM changes are flushed first (the session's autoflush), so the statement sees
  them;
- after an UPDATE or DELETE, the objects the session holds of that table are read again
  (or let go, when their row is gone), so nothing stale is read from them;
- a statement that writes a table tells the turn's cache (`storage.db.forget_written`), as
  the session's `do_orm_execute` listener does for statements it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.dml import Delete, Update, UpdateBase

from storage.db import SQLITE_DIALECT, forget_written, sqlite_connection, sqlite_run


class Prepared:
    """One statement with named bind parameters, run with `await stmt.rows(session, **values)`.

    Statements with expanding IN lists are refused: their SQL depends on the list's length.
    """

    def __init__(self, sqlite_statement: ClauseElement, other: ClauseElement | None = None) -> None:
        """`sqlite_statement` compiled for SQLite; `other` the same statement for another
        backend when it is spelt differently (a dialect's own INSERT … ON CONFLICT)."""
        self.statement = sqlite_statement
        self.other = other if other is not None else sqlite_statement
        compiled = sqlite_statement.compile(dialect=SQLITE_DIALECT)
        if compiled.post_compile_params or compiled.literal_execute_params:
            raise ValueError("a Prepared statement's SQL must not depend on its values")
        self.sql: Final = compiled.string
        processors = compiled._bind_processors
        # Columns left out of an INSERT (or an UPDATE) whose Python default SQLAlchemy
        # fills in at execution: their generators, by the bind parameter's name.
        generated = {
            **{column.key: column.default for column in compiled.insert_prefetch},
            **{column.key: column.onupdate for column in compiled.update_prefetch},
        }
        self._params: Final[list[tuple[str, Callable[[Any], Any] | None, Callable[[], Any]]]] = []
        for name in compiled.positiontup or ():
            bind = compiled.binds[name]
            if bind.callable is not None:
                raise ValueError("a Prepared statement takes values, not callables")
            self._params.append((name, processors.get(name), _fallback(bind, generated.get(name))))
        self._results: Final[list[Callable[[Any], Any] | None]] = [
            column[3]._cached_result_processor(SQLITE_DIALECT, None)
            for column in compiled._result_columns
        ]
        self._required: Final = frozenset(
            name
            for name in compiled.positiontup or ()
            if compiled.binds[name].required and name not in generated
        )
        self._converts: Final = any(self._results)
        self._returns_rows: Final = bool(compiled._result_columns)
        self._writes: Final[Table | None] = (
            sqlite_statement.table if isinstance(sqlite_statement, UpdateBase) else None  # type: ignore[assignment]
        )
        # An UPDATE or DELETE changes rows the session may hold as objects: those are read
        # again after it (the session's own synchronize_session cannot evaluate a WHERE of
        # bind parameters, and left them stale too).
        self._changes_rows: Final = isinstance(sqlite_statement, Update | Delete)

    @classmethod
    def per_dialect(cls, build: Callable[[Any], ClauseElement]) -> Prepared:
        """A statement spelt with each dialect's own INSERT (ON CONFLICT … DO NOTHING):
        `build` gets that INSERT and returns the statement."""
        return cls(build(sqlite.insert), build(postgresql.insert))

    def _sqlite_values(self, values: dict[str, Any]) -> list[Any]:
        out = []
        for name, process, fallback in self._params:
            value = values[name] if name in values else fallback()
            out.append(process(value) if process is not None else value)
        return out

    async def rows(self, session: AsyncSession, **values: Any) -> Sequence[tuple[Any, ...]]:
        """Run it; the rows it returns (RETURNING, SELECT), as plain tuples."""
        return (await self._execute(session, values))[0]

    async def _execute(
        self, session: AsyncSession, values: dict[str, Any]
    ) -> tuple[Sequence[tuple[Any, ...]], int]:
        if not self._required <= values.keys():
            raise KeyError(f"no value for {', '.join(sorted(self._required - values.keys()))}")
        held = self._held_rows(session) if self._changes_rows else []
        try:
            return await self._run(session, values)
        finally:
            for row in held:
                await _bring_up_to_date(session, row)

    async def _run(
        self, session: AsyncSession, values: dict[str, Any]
    ) -> tuple[Sequence[tuple[Any, ...]], int]:
        raw = await sqlite_connection(session)
        if raw is None:
            result: Any = await session.execute(self.other, values)
            rows = [tuple(row) for row in result.all()] if self._returns_rows else []
            # An ORM INSERT's result has no rowcount; an UPDATE's or a DELETE's has.
            return rows, len(rows) if self._returns_rows else getattr(result, "rowcount", -1)
        if session.new or session.dirty or session.deleted:
            await session.flush()  # what the session's autoflush would have done
        cursor = sqlite_run(raw, self.sql, self._sqlite_values(values))
        if self._writes is not None:
            forget_written(session, self._writes)
        fetched = cursor.fetchall() if cursor.description is not None else []
        if self._converts:
            fetched = [
                tuple(v if p is None else p(v) for p, v in zip(self._results, row, strict=True))
                for row in fetched
            ]
        return fetched, cursor.rowcount if cursor.description is None else len(fetched)

    def _held_rows(self, session: AsyncSession) -> list[object]:
        """The objects the session holds of the table this UPDATE or DELETE changes."""
        return [
            held
            for held in session.identity_map.values()
            # The statement's table may be an annotated copy: the name is what is shared.
            if self._writes is not None
            and getattr(type(held), "__tablename__", None) == self._writes.name
        ]

    async def count(self, session: AsyncSession, **values: Any) -> int:
        """Run an UPDATE or DELETE; how many rows it changed."""
        return (await self._execute(session, values))[1]

    async def run(self, session: AsyncSession, **values: Any) -> None:
        """Run a statement whose rows, if any, nobody needs."""
        await self.rows(session, **values)

    async def first(self, session: AsyncSession, **values: Any) -> tuple[Any, ...] | None:
        rows = await self.rows(session, **values)
        return rows[0] if rows else None

    async def scalar(self, session: AsyncSession, **values: Any) -> Any:
        row = await self.first(session, **values)
        return row[0] if row is not None else None


def _fallback(bind: Any, generator: Any) -> Callable[[], Any]:
    """What a parameter takes when the caller gives no value: the column's Python default,
    the value written into the statement (`column == 3`), or, for a required one, an error."""
    if generator is not None:
        if generator.is_scalar:
            return lambda: generator.arg
        if generator.is_callable:
            return lambda: generator.arg(None)
        raise ValueError(f"{bind.key}: a SQL default; give a value or drop the column")
    if bind.required:

        def missing() -> Any:
            raise KeyError(f"no value for {bind.key}")

        return missing
    return lambda: bind.value


async def _bring_up_to_date(session: AsyncSession, row: object) -> None:
    """Read a held object again after a statement changed its table; let it go if its row
    is gone (a DELETE), as the session does with the objects of rows it deleted."""
    try:
        await session.refresh(row)
    except InvalidRequestError:
        session.expunge(row)
