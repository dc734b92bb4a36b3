"""`regjistri demo` as a person uses it: typing in a terminal, pressing choices, Ctrl-C.

The end-to-end test runs the demo in a pseudo-terminal, so what it types goes through a real
terminal's line discipline and Ctrl-C is the SIGINT a terminal sends. The terminal chat's
display rules are tested against a tiny bot in the emulator (tests/test_emulator.py's).
"""

from __future__ import annotations

import asyncio
import io
import os
import pty
import re
import select
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.demo import member_intro
from bot.demo_practice import APPLICANTS, Seeded, seed_chair_practice
from domain.permissions import scope_of
from emulator import BotApiEmulator
from emulator.terminal import PHONE_PROMPT, run_terminal_chat
from emulator.terminal_input import LineReader, choice_number
from storage.applications import decide, pending_in_scope
from storage.db import Database
from storage.members import latest_member
from storage.roles import active_grants, list_roles
from tests.commands import command_env
from tests.test_emulator import CONSENT, TOKEN, build_app, running


@pytest.mark.parametrize(
    ("line", "choices", "pressed"),
    [
        ("1", 3, 1),
        (" 3 ", 3, 3),
        ("4", 3, None),  # not a shown choice: sent as text
        ("0", 3, None),
        ("0692123456", 4, None),  # a phone typed as digits
        ("2", 0, None),  # no choices shown at all
        ("12", 12, 12),
        ("²", 3, None),  # a digit to Python, not a number to a person
        ("1a", 3, None),
        ("", 3, None),
    ],
)
def test_only_a_shown_choice_number_presses(line: str, choices: int, pressed: int | None) -> None:
    assert choice_number(line, choices) == pressed


async def test_lines_are_read_in_the_event_loop_across_split_utf8() -> None:
    read_end, write_end = os.pipe()
    reader = LineReader(read_end)
    reader.start()
    try:
        data = "Korçë\nsë fundi".encode()
        split = data.index("ç".encode()) + 1  # in the middle of ç
        os.write(write_end, data[:split])
        os.write(write_end, data[split:])
        assert await asyncio.wait_for(reader.readline(), 5) == "Korçë"
        os.close(write_end)
        assert await asyncio.wait_for(reader.readline(), 5) == "së fundi"  # no newline at EOF
        with pytest.raises(EOFError):
            await asyncio.wait_for(reader.readline(), 5)
    finally:
        reader.close()
        os.close(read_end)


async def _chat(emu: BotApiEmulator, script: list[str]) -> tuple[str, list[str]]:
    """Run the terminal chat as user 1001 against the tiny bot: (what it printed, prompts)."""
    async with running(build_app(emu)):
        return await _chat_running(emu, script)


async def _chat_running(emu: BotApiEmulator, script: list[str]) -> tuple[str, list[str]]:
    prompts: list[str] = []

    def scripted(prompt: str) -> str:
        prompts.append(prompt)
        if not script:
            raise EOFError
        return script.pop(0)

    output = io.StringIO()
    alba = emu.user(1001, first_name="Alba")
    await run_terminal_chat(emu, alba, input_fn=scripted, output=output, idle=0.1)
    return output.getvalue(), prompts


async def test_digits_are_text_unless_they_name_a_shown_choice() -> None:
    async with BotApiEmulator(token=TOKEN) as emu:
        shown, _ = await _chat(emu, ["hello", "0692123456", "2"])
    assert "bot> Echo: 0692123456" in shown  # sent, not "no choice 692123456"
    assert "bot (edited)> Zgjodhët: consent:no" in shown  # 2 was a shown choice


async def test_the_share_contact_button_asks_every_time_with_a_hint() -> None:
    async with BotApiEmulator(token=TOKEN) as emu:
        shown, prompts = await _chat(emu, ["/start", "1", "", "1", "+355691111111"])
        alba = emu.users[1001]
    assert prompts.count(PHONE_PROMPT) == 2 and "e.g. +355 69 212 3456" in PHONE_PROMPT
    assert "(no number given; nothing shared)" in shown
    assert "bot> contact +355691111111 from 1001 own=True" in shown
    assert alba.phone_number is None  # nothing remembered for the next press


async def test_press_by_label_says_what_it_pressed_or_asks_which() -> None:
    async with BotApiEmulator(token=TOKEN) as emu:
        alba = emu.user(1001, first_name="Alba")
        app = build_app(emu)
        async with running(app):
            for n in (1, 2):  # two cards at once, as a chair gets them
                await app.bot.send_message(1001, f"Kërkesa nr. {n}", reply_markup=CONSENT)
            script = [":press Mirato", ":press Po", "1", ":press Jo", ":press Po"]
            shown, _ = await _chat_running(emu, script)
        first, second = alba.messages
    # Printed together: the older card's buttons are marked as not numbered.
    assert "   · Po, pajtohem" in shown and "   [1] Po, pajtohem" in shown
    assert "no button «Mirato»; buttons here: Jo; Po, pajtohem" in shown
    # Both cards have «Po, pajtohem»: the person picks one, told which card each is on.
    assert "2 buttons match «Po»; type a number:" in shown
    assert "on «Kërkesa nr. 1»: [1] Po, pajtohem" in shown
    assert "on «Kërkesa nr. 2»: [2] Po, pajtohem" in shown
    assert first.text == "Zgjodhët: consent:yes"  # choice 1 was the first card's
    # With one «Jo» left, :press says which it pressed.
    assert "(pressing Jo (on «Kërkesa nr. 2»))" in shown
    assert second.text == "Zgjodhët: consent:no"
    assert "no button «Po»: there are no buttons" in shown
    assert "callback_data" not in shown


async def test_numbers_that_move_are_shown_again() -> None:
    async with BotApiEmulator(token=TOKEN) as emu:
        shown, _ = await _chat(emu, ["hello", "/start", "1"])
    # Echo's [1] [2], then the keyboard's button is [3]; pressing 1 takes Echo's buttons
    # away, so the keyboard's button is 1 from then on, and the chat says so.
    assert "   [3] Ndaj numrin (share my contact)" in shown
    assert (
        "bot (edited)> Zgjodhët: consent:yes\nnumbers now:\n   keyboard: [1] Ndaj numrin" in shown
    )


def _read_until(fd: int, seen: bytearray, pattern: str, timeout: float) -> None:
    """Read the terminal until `pattern` (a regex) appears in its output."""
    deadline = time.monotonic() + timeout
    while not re.search(pattern, seen.decode(errors="replace")):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{pattern!r} not shown within {timeout}s:\n{seen.decode()}")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the demo ended and closed the terminal
                chunk = b""
            if not chunk:
                raise AssertionError(f"the demo ended before {pattern!r}:\n{seen.decode()}")
            seen.extend(chunk)


def _exit_code(pid: int, timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    return None


def test_the_demo_in_a_terminal_takes_a_phone_as_digits_and_ends_on_ctrl_c(
    tmp_path: Path,
) -> None:
    database = tmp_path / "demo.sqlite3"
    argv = [sys.executable, "-m", "bot", "demo", "--fresh", "--database", str(database)]
    env = command_env()
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the demo at once
        try:
            os.chdir(tmp_path)
            os.execve(sys.executable, argv, env)
        finally:
            os._exit(127)
    seen = bytearray()
    code: int | None = None
    try:
        _read_until(fd, seen, r"you> $", 60)
        steps = [
            ("/start", r"A jeni dakord"),
            ("1", r"bot \(notice\)> Faleminderit! Tani shkruani emrin"),
            ("arben hoxha", r"Kur keni lindur"),
            ("5.3.1980", r"Cili është numri juaj i telefonit"),
            ("0692123456", r"Telefoni: \+355 69 212 3456\."),
            ("korce", r"A është gjithçka e saktë\?"),
            ("1", r"Kërkesa juaj iu dërgua"),
            # Korçë has no chair yet: the admin got the card, unread until switching.
            (":user 9001", r"Kërkesa nr\. 1 — bashkia Korçë"),
        ]
        for typed, answer in steps:
            os.write(fd, typed.encode() + b"\r")
            _read_until(fd, seen, answer, 30)
        _read_until(fd, seen, r"you> $", 30)  # waiting at the prompt, as the person is
        os.write(fd, b"\x03")  # Ctrl-C: the terminal sends SIGINT
        began = time.monotonic()
        code = _exit_code(pid, 15)
        took = time.monotonic() - began
        with_rest = bytearray(seen)
        try:
            while chunk := os.read(fd, 65536):
                with_rest.extend(chunk)
        except OSError:
            pass
    finally:
        if code is None:  # failed or hung: do not leave the demo running
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)
    output = with_rest.decode(errors="replace")
    assert code == 130, output
    assert took < 5, f"Ctrl-C took {took:.1f} s to end the demo"
    assert "Traceback" not in output and "Error" not in output
    assert output.rstrip().endswith("bye")
    assert "no choice" not in output
    assert "you> you> " not in output  # the unread card came before the prompt, not into it


async def test_practice_seeds_a_chair_and_applications_through_the_storage_functions(
    sqlite_db: Database,
) -> None:
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    seeded = await seed_chair_practice(sqlite_db, chair_id=2001, chair_name="Chair Demo", now=now)
    again = await seed_chair_practice(sqlite_db, chair_id=2001, chair_name="Chair Demo", now=now)
    assert seeded == again == Seeded("Korçë", len(APPLICANTS))  # a second run adds nothing
    async with sqlite_db.read() as session:
        scope = scope_of(await active_grants(session, 2001))
        waiting, total = await pending_in_scope(session, scope, limit=10)
        roles = await list_roles(session)
    assert total == len(APPLICANTS) >= 3
    assert [m.full_name for m in waiting] == [a.full_name for a in APPLICANTS]  # oldest first
    assert all(m.phone_e164.startswith("+35569000") and m.consent_id for m in waiting)
    assert all(now - timedelta(hours=48) < m.submitted_at < now for m in waiting)  # no reminder
    assert [(r.telegram_id, r.kind, r.source) for r in roles] == [(2001, "chair", "practice")]


def test_practice_chair_demo_lists_the_applications(tmp_path: Path) -> None:
    typed = tmp_path / "typed.txt"  # a regular file as stdin: read by the fallback thread
    typed.write_text("/ne_pritje\n:quit\n")
    with typed.open() as stdin:
        result = subprocess.run(
            [sys.executable, "-m", "bot", "demo", "--practice", "chair", "--database", "p.db"],
            stdin=stdin,
            capture_output=True,
            text=True,
            env=command_env(),
            cwd=tmp_path,
            timeout=90,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    shown = result.stdout
    assert "PRACTICE DATA" in shown and "You are the chair of the branch in Korçë" in shown
    assert "you> /ne_pritje" in shown  # typed lines are shown when stdin is no terminal
    assert f"Në pritje të vendimit: {len(APPLICANTS)}" in shown
    for applicant in APPLICANTS:
        assert applicant.full_name in shown
    assert "[1] ✅ Mirato nr. 1  [2] ❌ Refuzo nr. 1" in shown
    assert result.stderr == "" and shown.rstrip().endswith("bye")


async def test_the_banner_says_who_you_play_from_what_the_database_holds(
    sqlite_db: Database,
) -> None:
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    emu = BotApiEmulator()  # users only: nothing is sent
    newcomer = emu.user(1001, first_name="Arta", last_name="Demo")
    applicant = emu.user(APPLICANTS[0].telegram_id, first_name=APPLICANTS[0].first_name)
    assert (await member_intro(sqlite_db, newcomer)).endswith(
        "new here. Type /start and answer the bot."
    )
    await seed_chair_practice(sqlite_db, chair_id=2001, chair_name="Chair Demo", now=now)
    assert "your application waits for a chair" in await member_intro(sqlite_db, applicant)
    async with sqlite_db.write() as session:
        entry = await latest_member(session, applicant.id)
        assert entry is not None
        await decide(session, entry, approve=True, decider_id=2001, reason=None, now=now)
    assert "a member already" in await member_intro(sqlite_db, applicant)
