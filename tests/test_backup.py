"""`regjistri db backup` while the bot writes, and `regjistri db restore` from that backup.

The backup runs in its own process, as an operator's cron job would, while this process keeps
committing: the copy must be one consistent snapshot (a prefix of what was committed), and a
restore of it must give back exactly its rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import stat
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from storage import audit
from storage.db import Database, sqlite_file_path
from storage.schema import downgrade
from tests.commands import command_env, regjistri

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in a stable order."""
    with contextlib.closing(sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)) as c:
        tables = [
            row[0]
            for row in c.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {t: c.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in tables}


def _beside(path: Path) -> list[str]:
    """The names of the files in `path`'s directory."""
    return sorted(p.name for p in path.parent.iterdir())


def _audit_ids(path: Path) -> list[int]:
    with contextlib.closing(sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)) as c:
        return [row[0] for row in c.execute("SELECT id FROM audit_event ORDER BY id")]


async def test_a_backup_taken_while_writing_restores_to_identical_rows(
    sqlite_db: Database, tmp_path: Path
) -> None:
    source = sqlite_file_path(sqlite_db.url)
    assert source is not None
    backup_file = tmp_path / "backups" / "regjistri-backup.sqlite3"
    backup_file.parent.mkdir()
    committed = 0
    stop, warmed_up = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        nonlocal committed
        while not stop.is_set():
            async with sqlite_db.write() as session:
                await audit.record(session, at=NOW, actor_id=7, action="test.write")
            committed += 1
            if committed == 20:
                warmed_up.set()
            await asyncio.sleep(0)

    writing = asyncio.create_task(writer())
    await asyncio.wait_for(warmed_up.wait(), timeout=30)
    before = committed
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "db", "backup", str(backup_file),
        env=command_env(DATABASE_URL=sqlite_db.url), cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    after = committed
    stop.set()
    await writing

    assert process.returncode == 0, err.decode()
    lines = out.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Backed up {source} to {backup_file} (")
    assert "KB" in lines[0] and after > before  # the writer kept committing during the backup
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600
    assert _beside(backup_file) == [backup_file.name]  # one self-contained file, no -wal
    copied = _audit_ids(backup_file)
    assert before <= len(copied) <= after
    assert copied == _audit_ids(source)[: len(copied)]  # a snapshot: a prefix, no gaps

    fresh = tmp_path / "restored" / "regjistri.sqlite3"
    restored = regjistri(
        "db", "restore", str(backup_file), env={"DATABASE_URL": _url(fresh)}, cwd=tmp_path
    )
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith(f"Restored {backup_file} into {fresh} (")
    assert len(restored.stdout.strip().splitlines()) == 1
    assert _rows(fresh) == _rows(backup_file)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600


def _url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def test_backup_refuses_to_overwrite_unless_forced(
    sqlite_db: Database, tmp_path: Path
) -> None:
    target = tmp_path / "b.sqlite3"
    target.write_text("an older backup")
    env = {"DATABASE_URL": sqlite_db.url}
    refused = regjistri("db", "backup", str(target), env=env, cwd=tmp_path)
    assert refused.returncode == 2 and target.read_text() == "an older backup"
    assert refused.stderr.strip().splitlines() == [
        f"{target} exists already: choose another name or add --force"
    ]
    forced = regjistri("db", "backup", "--force", str(target), env=env, cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert _rows(target) == _rows(Path(sqlite_file_path(sqlite_db.url) or ""))
    assert [name for name in _beside(target) if "partial" in name] == []


async def test_restore_is_refused_while_the_database_is_open(
    sqlite_db: Database, tmp_path: Path
) -> None:
    backup_file = tmp_path / "b.sqlite3"
    env = {"DATABASE_URL": sqlite_db.url}
    assert regjistri("db", "backup", str(backup_file), env=env, cwd=tmp_path).returncode == 0
    async with sqlite_db.write() as session:  # written after the backup: the restore undoes it
        await audit.record(session, at=NOW, actor_id=7, action="after.backup")
    async with sqlite_db.read() as session:  # the pool keeps this connection open, as the bot's
        await session.execute(select(1))
    refused = regjistri("db", "restore", str(backup_file), env=env, cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.strip().endswith(
        "is in use (is the bot running?): stop it, then restore again"
    )
    assert len(refused.stderr.strip().splitlines()) == 1
    await sqlite_db.dispose()
    assert regjistri("db", "restore", str(backup_file), env=env, cwd=tmp_path).returncode == 0
    assert _rows(Path(sqlite_file_path(sqlite_db.url) or "")) == _rows(backup_file)


def test_restore_checks_the_file_is_a_known_regjistri_database(
    sqlite_template: Path, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": _url(tmp_path / "r.sqlite3")}
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("hello " * 1000)
    other = tmp_path / "other.sqlite3"
    with contextlib.closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE member (id INTEGER)")
    newer = tmp_path / "newer.sqlite3"
    newer.write_bytes(sqlite_template.read_bytes())
    with contextlib.closing(sqlite3.connect(newer)) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    expected = {
        not_sqlite: "is not a SQLite database",
        other: "is a SQLite database, but not a Regjistri one",
        newer: "is at revision ffffffffffff, which this version does not know",
        tmp_path / "missing.sqlite3": "There is no file",
    }
    for path, message in expected.items():
        result = regjistri("db", "restore", str(path), env=env, cwd=tmp_path)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r.sqlite3").exists()  # checked before anything is written


async def test_an_older_backup_is_restored_and_migrated_at_the_next_start(
    sqlite_db: Database, tmp_path: Path
) -> None:
    await sqlite_db.dispose()
    await downgrade(sqlite_db.url, "-1")
    backup_file = tmp_path / "old.sqlite3"
    assert (
        regjistri(
            "db", "backup", str(backup_file), env={"DATABASE_URL": sqlite_db.url}, cwd=tmp_path
        ).returncode
        == 0
    )
    target = {"DATABASE_URL": _url(tmp_path / "r.sqlite3")}
    result = regjistri("db", "restore", str(backup_file), env=target, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("The next start migrates it to the current schema.")


def test_on_postgresql_the_line_names_pg_dump_without_the_password(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "postgresql+asyncpg://regjistri:s3cret@db.example:5433/register"}
    dump = regjistri("db", "backup", "regjistri.dump", env=env, cwd=tmp_path)
    assert dump.returncode == 2 and "s3cret" not in dump.stderr
    assert dump.stderr.strip().splitlines() == [
        "DATABASE_URL is PostgreSQL: back it up with: pg_dump --format=custom "
        "--file=regjistri.dump postgresql://regjistri@db.example:5433/register"
    ]
    restore = regjistri("db", "restore", "regjistri.dump", env=env, cwd=tmp_path)
    assert restore.returncode == 2 and "pg_restore --clean --if-exists" in restore.stderr
