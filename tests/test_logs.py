"""What `regjistri run` writes to its log: never the token, a name or a phone (design §8, §9).

The bot runs as an operator runs it, in its own process at INFO, against the emulator; a
member registers, and the whole log is then searched.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from bot.logs import RedactSecrets
from emulator import BotApiEmulator

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "777000:SECRET-token-that-must-never-be-logged"


async def test_a_running_bot_never_logs_its_token_a_name_or_a_phone(tmp_path: Path) -> None:
    emu = BotApiEmulator(token=TOKEN, bot_username="regjistri_log_bot")
    await emu.start()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "ADMIN_"))
    }
    env |= {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": emu.base_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite3'}",
        # This checkout's code, wherever the virtualenv's own install points.
        "PYTHONPATH": str(ROOT),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        member = emu.user(4242, first_name="Arben")
        await member.send("/start")
        await member.receive(timeout=30)  # the bot is up and answering
        await member.press("reg:v1:consent:yes")  # answered with a toast, not a message
        await member.send("Arben Hoxha")
        await member.receive(timeout=10)
        await member.send("5.3.1980")
        await member.receive(timeout=10)
        await member.send("069 212 3456")
        await member.receive(timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
        await emu.stop()
    log = output.decode()
    assert "INFO" in log  # the operator's INFO lines are there: the search below means something
    assert emu.count("getUpdates") > 1  # and requests carrying the token were made meanwhile
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    for personal in ("Hoxha", "212 3456", "2123456", "1980"):
        assert personal not in log, personal


def test_the_filter_redacts_a_secret_in_the_message_and_the_traceback() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "POST /bot%s/x", ("SEKRET",), None)
    try:
        raise RuntimeError("url /botSEKRET/getMe")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    RedactSecrets(["SEKRET"]).filter(record)
    assert record.getMessage() == "POST /bot***/x"
    assert "SEKRET" not in (record.exc_text or "") and "***" in (record.exc_text or "")
