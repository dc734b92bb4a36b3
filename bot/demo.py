"""`regjistri demo`: the whole bot offline — the local Bot API emulator, the bot on a local
SQLite file, and a chat in this terminal. No token, no network.

Ctrl-C ends it as `:quit` does: a SIGINT handler cancels the demo's task (the chat reads its
input in the event loop, so the cancel lands at once), then the bot and the emulator stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

from bot.demo_practice import APPLICANTS, seed_chair_practice
from bot.runtime import Runner
from emulator import BotApiEmulator, EmulatedUser
from emulator.terminal import run_terminal_chat
from storage.db import Database
from storage.drafts import get_draft
from storage.members import latest_member
from usecases.config import Settings

DEMO_TOKEN = "123456:DEMO-TOKEN"
DEMO_BOT = "regjistri_demo_bot"
DEMO_MEMBER = 1001
DEMO_ADMIN = 9001
DEMO_CHAIR = 2001
#: The exit code of a demo ended with Ctrl-C (128 + SIGINT, as shells report it).
INTERRUPTED = 130

HEADER = (
    "Regjistri offline demo. A local stand-in for Telegram is running; nothing leaves this machine."
)
BUTTONS = """\
Buttons show as numbered choices: type a choice's number to press it. Any other line is sent
as a message, numbers too (a phone such as 0692123456). Buttons shown as · are on older
messages: press them with :press <label>."""
PEOPLE = f"""\
Other people you can play (type the line):
  :user {DEMO_ADMIN} Admin   national staff: /ftese creates an invitation for a chair
  :user {DEMO_CHAIR} Chair   paste the invitation link to open it, then approve with one tap
  :user {DEMO_MEMBER}         back to the member"""
FOOTER = "\n:help lists everything; :quit, Ctrl-D or Ctrl-C leaves. The demo database is {path}.\n"


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


async def member_intro(database: Database, member: EmulatedUser) -> str:
    """Who the person plays, worded from what the database holds about that member."""
    async with database.read() as session:
        entry = await latest_member(session, member.id)
        draft = await get_draft(session, member.id)
    who = f"You are {member.full_name} (Telegram user {member.id})"
    if entry is not None and entry.status == "approved":
        return f"{who}, a member already: /statusi shows your membership. --fresh starts over."
    if entry is not None and entry.status == "pending":
        return f"{who}; your application waits for a chair: /statusi shows it."
    if draft is not None:
        return f"{who}, halfway through registering: /start continues where you were."
    if entry is not None:
        return f"{who}; your last application was {entry.status}: /start applies again."
    return f"{who}, new here. Type /start and answer the bot."


def practice_intro(municipality: str, waiting: int) -> str:
    first = APPLICANTS[0]
    return (
        f"Practice for a new chair. You are the chair of the branch in {municipality} "
        f"(Telegram user {DEMO_CHAIR}).\n"
        f"{waiting} application(s) wait for you. PRACTICE DATA: the people, their birth dates "
        "and\nphones (+355 69 000 01xx) are made up.\n"
        "Try: /ne_pritje lists them; approve one; reject one and type the reason when asked.\n"
        f":user {first.telegram_id} shows what the first applicant is told; "
        f":user {DEMO_CHAIR} comes back."
    )


async def run_demo(
    settings: Settings, *, database: str, fresh: bool, practice: str | None = None
) -> int:
    """The demo until :quit, end of input or Ctrl-C; returns the exit code."""
    path = Path(database)
    if fresh:
        _remove_database(path)
    # The demo's chat owns the terminal: library logs would garble it.
    logging.getLogger().setLevel(logging.ERROR)
    emulator = BotApiEmulator(token=DEMO_TOKEN, bot_username=DEMO_BOT)
    runner: Runner | None = None

    async def chat() -> None:
        nonlocal runner
        await emulator.start()
        # The people one can play have opened the bot already (Telegram refuses to write first).
        emulator.user(DEMO_ADMIN, first_name="Admin", last_name="Demo")
        chair = emulator.user(DEMO_CHAIR, first_name="Chair", last_name="Demo")
        member = emulator.user(DEMO_MEMBER, first_name="Arta", last_name="Demo")
        runner = Runner(demo_settings(settings, emulator, path), poll_timeout=1)
        await runner.start()
        if practice == "chair":
            for person in APPLICANTS:  # so what the bot tells them lands, and :user shows it
                emulator.user(person.telegram_id, person.first_name, person.last_name)
            seeded = await seed_chair_practice(
                runner.database,
                chair_id=chair.id,
                chair_name=chair.full_name,
                now=runner.clock.now(),
            )
            intro, playing = practice_intro(seeded.municipality, seeded.waiting), chair
        else:
            intro, playing = await member_intro(runner.database, member), member
        # The practice names its own people; the invitation walk-through is the member demo's.
        blocks = [HEADER, intro, BUTTONS] + ([] if practice else [PEOPLE])
        print("\n\n".join(blocks) + FOOTER.format(path=path), flush=True)
        await run_terminal_chat(emulator, playing)

    task = asyncio.create_task(chat(), name="regjistri-demo")
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, task.cancel)  # later presses find it done: no-op
    try:
        await asyncio.wait([task])
    finally:
        if runner is not None:
            await runner.stop()
        await emulator.stop()
        loop.remove_signal_handler(signal.SIGINT)
    if task.cancelled():
        print("\nbye", flush=True)
        return INTERRUPTED
    task.result()  # a failure of the demo itself is raised, not hidden
    return 0
