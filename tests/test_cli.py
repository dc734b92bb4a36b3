"""The command line: help in plain words, a clear stop without a token, named config errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "ADMIN_"))
    }
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=clean,
        cwd=cwd,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "command", [[], ["run"], ["demo"], ["db", "upgrade"], ["invite"], ["qr"], ["roles"]]
)
def test_every_command_has_help(command: list[str]) -> None:
    result = _run(*command, "--help")
    assert result.returncode == 0 and "usage: regjistri" in result.stdout


def test_run_without_a_token_points_to_the_demo(tmp_path: Path) -> None:
    result = _run("run", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and put it in the "
        "environment or .env. To try Regjistri without one, run: regjistri demo"
    ]


def test_a_malformed_value_names_the_variable(tmp_path: Path) -> None:
    result = _run("run", env={"ADMIN_IDS": "12,abc"}, cwd=tmp_path)
    assert result.returncode == 2 and "ADMIN_IDS" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_db_upgrade_then_invite_prints_a_single_use_link(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite3'}"
    assert _run("db", "upgrade", env={"DATABASE_URL": url}, cwd=tmp_path).returncode == 0
    assert oct((tmp_path / "r.sqlite3").stat().st_mode & 0o777) == "0o600"
    result = _run(
        "invite",
        "--role",
        "chair",
        "--municipality",
        "korce",
        "--bot-username",
        "regjistri_bot",
        env={"DATABASE_URL": url},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Korçë" in result.stdout and "https://t.me/regjistri_bot?start=inv_" in result.stdout
    roles = _run("roles", env={"DATABASE_URL": url}, cwd=tmp_path)
    assert roles.returncode == 0 and "No active roles." in roles.stdout


def test_a_configured_admin_is_not_revoked_from_the_cli(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite3'}"
    env = {"DATABASE_URL": url, "ADMIN_IDS": "777"}
    assert _run("db", "upgrade", env=env, cwd=tmp_path).returncode == 0

    import asyncio

    from storage.db import Database
    from storage.roles import sync_config_admins

    async def grant() -> int:
        from datetime import UTC, datetime

        database = Database(url)
        async with database.write() as session:
            granted, _ = await sync_config_admins(session, (777,), datetime.now(UTC))
        await database.dispose()
        return granted[0].id

    role_id = asyncio.run(grant())
    result = _run("role", "revoke", str(role_id), env=env, cwd=tmp_path)
    assert result.returncode == 2 and "ADMIN_IDS" in result.stderr
    assert "777" in _run("roles", env=env, cwd=tmp_path).stdout
