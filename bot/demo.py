"""`regjistri demo`: the whole bot offline — the local Bot API emulator, the bot on a local
SQLite file, and a chat in this terminal. No token, no network."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from bot.config import Settings
from bot.emulator import BotApiEmulator
from bot.emulator.terminal import run_terminal_chat
from bot.runtime import Runner

DEMO_TOKEN = "123456:DEMO-TOKEN"
DEMO_BOT = "regjistri_demo_bot"
DEMO_MEMBER = 1001
DEMO_ADMIN = 9001
DEMO_CHAIR = 2001

INTRO = f"""\
Regjistri offline demo. A local stand-in for Telegram is running; nothing leaves this machine.

You are a new member (Telegram user {DEMO_MEMBER}). Type /start and answer the bot.
Buttons show as numbered choices: type the number to press one.

Other people you can play (type the line):
  :user {DEMO_ADMIN} Admin   national staff: /ftese creates an invitation for a chair
  :user {DEMO_CHAIR} Chair   paste the invitation link to open it, then approve with one tap
  :user {DEMO_MEMBER}        back to the member
:help lists everything, :quit (or Ctrl-D) leaves. The demo database is kept in %s.
"""


def demo_settings(settings: Settings, emulator: BotApiEmulator, database: Path) -> Settings:
    return settings.model_copy(
        update={
            "telegram_bot_token": DEMO_TOKEN,
            "telegram_api_url": emulator.base_url,
            "database_url": f"sqlite+aiosqlite:///{database}",
            "admin_ids": (DEMO_ADMIN,),
        }
    )


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()


async def run_demo(settings: Settings, *, database: str, fresh: bool) -> int:
    path = Path(database)
    if fresh:
        _remove_database(path)
    # The demo's chat owns the terminal: library logs would garble it.
    logging.getLogger().setLevel(logging.ERROR)
    emulator = BotApiEmulator(token=DEMO_TOKEN, bot_username=DEMO_BOT)
    await emulator.start()
    # The people one can play have opened the bot already (Telegram refuses to write first).
    emulator.user(DEMO_ADMIN, first_name="Admin", last_name="Demo")
    emulator.user(DEMO_CHAIR, first_name="Chair", last_name="Demo")
    runner = Runner(demo_settings(settings, emulator, path), poll_timeout=1)
    try:
        await runner.start()
        print(INTRO % path, flush=True)
        member = emulator.user(DEMO_MEMBER, first_name="Arta", last_name="Demo")
        await run_terminal_chat(emulator, member)
    finally:
        await runner.stop()
        await emulator.stop()
    return 0
