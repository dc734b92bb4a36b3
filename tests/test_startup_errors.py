"""Mistakes at start give one line on stderr that says what to fix, never a traceback.

Each case runs the command as an operator would, in its own process: a bad DATABASE_URL, a
token the Bot API refuses (the emulator answers 401 for a wrong token, as Telegram does),
and no network (a closed local port).
"""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from emulator import BotApiEmulator
from tests.commands import ROOT, command_env, regjistri

TOKEN = "777001:RIGHT-token-of-the-test-bot"
WRONG_TOKEN = "777001:WRONG-token-never-to-be-printed"


async def _bot_run(env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def _free_port() -> int:
    """A local port nothing listens on: bound, then closed again."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "command", [["run"], ["db", "upgrade"], ["roles"], ["invite", "--role", "admin"]]
)
def test_an_unknown_database_driver_is_one_line(command: list[str], tmp_path: Path) -> None:
    env = {"DATABASE_URL": "foo://bar", "TELEGRAM_BOT_TOKEN": WRONG_TOKEN}
    result = regjistri(*command, env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("DATABASE_URL names a database driver that does not exist (foo)")
    assert "sqlite+aiosqlite:///" in lines[0] and "Traceback" not in result.stderr


def test_a_url_that_is_no_url_is_one_line(tmp_path: Path) -> None:
    result = regjistri("roles", env={"DATABASE_URL": "not a url"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "DATABASE_URL is not a database URL: use sqlite+aiosqlite:///data/regjistri.sqlite3 "
        "or postgresql+asyncpg://user@host/db"
    ]


def test_an_unreachable_database_server_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://regjistri:pa55word@127.0.0.1:{_free_port()}/register"
    result = regjistri("db", "upgrade", env={"DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Cannot reach the database"), result.stderr
    assert "pa55word" not in result.stderr


async def test_a_refused_token_is_one_line_that_never_shows_the_token(tmp_path: Path) -> None:
    async with BotApiEmulator(token=TOKEN, bot_username="regjistri_start_bot") as emu:
        env = command_env(
            TELEGRAM_BOT_TOKEN=WRONG_TOKEN,
            TELEGRAM_API_URL=emu.base_url,
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite3'}",
        )
        code, out, err = await _bot_run(env, tmp_path)
        assert emu.calls == []  # refused at the door: the wrong token reached no method
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("The Bot API at TELEGRAM_API_URL refused TELEGRAM_BOT_TOKEN")
    assert "@BotFather" in lines[0]
    for leak in (WRONG_TOKEN, WRONG_TOKEN.split(":")[1]):
        assert leak not in err and leak not in out


async def test_no_network_is_one_line_with_exit_code_1(tmp_path: Path) -> None:
    env = command_env(
        TELEGRAM_BOT_TOKEN=WRONG_TOKEN,
        TELEGRAM_API_URL=f"http://127.0.0.1:{_free_port()}/bot",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite3'}",
    )
    code, out, err = await _bot_run(env, tmp_path)
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("Cannot reach the Telegram Bot API at http://127.0.0.1:")
    assert WRONG_TOKEN.split(":")[1] not in err + out


async def test_a_good_start_says_which_bot_it_runs_as(tmp_path: Path) -> None:
    async with BotApiEmulator(token=TOKEN, bot_username="regjistri_start_bot") as emu:
        env = command_env(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=emu.base_url,
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite3'}",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run",
            cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stderr is not None
        seen: list[str] = []
        try:
            async with asyncio.timeout(60):
                while not any("running as @" in line for line in seen):
                    line = (await process.stderr.readline()).decode()
                    assert line, "the bot ended before it said it runs: " + "".join(seen)
                    seen.append(line)
        finally:
            process.send_signal(signal.SIGTERM)
            _, rest = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0
    running = [line for line in seen if "running as @" in line]
    assert len(running) == 1 and running[0].split()[2:] == [
        "INFO",
        "regjistri:",
        "running",
        "as",
        "@regjistri_start_bot",
    ]
    assert "Traceback" not in "".join(seen) + rest.decode()


def test_commands_run_this_checkout(tmp_path: Path) -> None:
    # Every command above must run the code beside these tests, not another installed copy.
    probe = subprocess.run(
        [sys.executable, "-c", "import bot; print(bot.__file__)"],
        env=command_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert Path(probe.stdout.strip()).is_relative_to(ROOT)
