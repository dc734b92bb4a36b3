"""The server commands an operator meets first: `roles` in Tirana time, and `invite` on a
bot that has never run (the username asked of Telegram, or one line saying what to pass)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from emulator import BotApiEmulator
from storage.db import Database
from storage.roles import sync_config_admins
from tests.test_cli import _run

TOKEN = "123456:CLI-TOKEN"


def _migrated(tmp_path: Path) -> dict[str, str]:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite3'}"}
    assert _run("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    return env


async def test_roles_prints_tirana_time_labelled(tmp_path: Path) -> None:
    env = _migrated(tmp_path)
    database = Database(env["DATABASE_URL"])
    try:
        async with database.write() as session:
            # 23:30 UTC on 1 December is 00:30 on 2 December in Tirana (UTC+1 in winter).
            await sync_config_admins(session, (777,), datetime(2026, 12, 1, 23, 30, tzinfo=UTC))
    finally:
        await database.dispose()
    result = await asyncio.to_thread(_run, "roles", env=env, cwd=tmp_path)
    header, row = result.stdout.splitlines()[:2]
    assert "since (Tirana)" in header
    assert "2026-12-02 00:30" in row and "2026-12-01 23:30" not in row


async def test_invite_on_a_bot_that_never_ran_asks_telegram(tmp_path: Path) -> None:
    env = _migrated(tmp_path)
    emulator = BotApiEmulator(token=TOKEN, bot_username="regjistri_korce_bot")
    await emulator.start()
    try:
        env |= {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": emulator.base_url}
        args = ("invite", "--role", "chair", "--municipality", "Korçë")
        result = await asyncio.to_thread(_run, *args, env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "https://t.me/regjistri_korce_bot?start=inv_" in result.stdout
        # A token Telegram refuses: one line, without the token, naming the way out.
        env["TELEGRAM_BOT_TOKEN"] = "123456:WRONG"
        refused = await asyncio.to_thread(_run, *args, env=env, cwd=tmp_path)
    finally:
        await emulator.stop()
    assert refused.returncode == 2
    (line,) = refused.stderr.strip().splitlines()
    assert "TELEGRAM_BOT_TOKEN" in line and "--bot-username" in line and "WRONG" not in line


def test_invite_without_token_or_username_says_what_to_pass(tmp_path: Path) -> None:
    env = _migrated(tmp_path)
    result = _run("invite", "--role", "chair", "--municipality", "Korçë", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "The bot's username is unknown (it has not run yet and TELEGRAM_BOT_TOKEN is not set): "
        "pass --bot-username."
    ]
