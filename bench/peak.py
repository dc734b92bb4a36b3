"""Enrolment at a peak: N people start at the same moment, under Telegram's limits.

    python bench/peak.py --members 200
    python bench/peak.py --members 1000 --flows start --faults 0

The emulator enforces Telegram-like flood control (30 messages/s per bot, 1/s per chat after
a burst of 3, 429 with retry_after), optionally with a random fault mix (a share of calls
answered 5xx, 429, slowly, or late: delivered but answered after the client gave up). Two
flows: a national appeal (`start`: /start, members spread over the 12 county seats, each
with a chair) and a rally (`link`: everyone opens Korçë's enrolment link, one chair).

Prints, per run: completed / N; sends per registration (every message the bot put on a
screen, the chairs' cards and summaries included, counted at the emulator once the outbox
is drained); registrations per second against Telegram's bound, 30 ÷ sends per
registration; the share of sends answered 429 by flood control (injected 429s apart); and
p50/p95 of the time from a member's /start to their confirmation. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's code, and tests/harness.py

from sqlalchemy import select  # noqa: E402

from domain.permissions import RoleKind  # noqa: E402
from emulator import EmulatedUser, SentMessage  # noqa: E402
from storage.db import ensure_private_sqlite_file  # noqa: E402
from storage.models import Municipality  # noqa: E402
from storage.roles import grant_role  # noqa: E402
from storage.schema import upgrade  # noqa: E402
from tests.harness import BotHarness  # noqa: E402

TELEGRAM_PER_SECOND = 30
SEATS = {  # a county seat per county: (name as typed, municipality)
    "berat": "Berat",
    "durres": "Durrës",
    "elbasan": "Elbasan",
    "fier": "Fier",
    "gjirokaster": "Gjirokastër",
    "korce": "Korçë",
    "kukes": "Kukës",
    "lezhe": "Lezhë",
    "diber": "Dibër",
    "shkoder": "Shkodër",
    "tirane": "Tiranë",
    "vlore": "Vlorë",
}


@dataclass
class Run:
    label: str
    members: int
    completed: int
    seconds: float
    sends: int
    flood_429: int
    durations: list[float]

    def row(self) -> list[str]:
        per = self.sends / max(self.completed, 1)
        bound = TELEGRAM_PER_SECOND / per
        rate = self.completed / self.seconds
        durations = sorted(self.durations) or [float("nan")]
        p95 = durations[min(len(durations) - 1, int(0.95 * len(durations)))]
        return [
            self.label,
            f"{self.completed}/{self.members}",
            f"{per:.2f}",
            f"{rate:.2f}",
            f"{bound:.2f}",
            f"{rate / bound:.2f}",
            f"{100 * self.flood_429 / max(self.sends + self.flood_429, 1):.2f} %",
            f"{statistics.median(durations):.1f} s",
            f"{p95:.1f} s",
        ]


def _with_text(user: EmulatedUser, text: str) -> SentMessage | None:
    return next((m for m in reversed(user.messages) if text in (m.text or "")), None)


async def _until(user: EmulatedUser, found: object, timeout: float) -> SentMessage:  # noqa: ASYNC109
    signal = user.emu.chat_signal(user.id)
    result: list[SentMessage] = []

    def check() -> bool:
        message = found(user)  # type: ignore[operator]
        if message is not None:
            result.append(message)
        return message is not None

    if not await signal.wait_until(check, timeout):
        raise TimeoutError(f"member {user.id} waited {timeout} s")
    return result[-1]


def _button(data: str) -> object:
    def found(user: EmulatedUser) -> SentMessage | None:
        for message in reversed(user.messages):
            if any((b.callback_data or "").startswith(data) for b in message.buttons):
                return message
        return None

    return found


async def _member(user: EmulatedUser, n: int, flow: str, timeout: float) -> float:  # noqa: ASYNC109
    """One registration, each answer sent once the bot asked for it; seconds it took."""
    started = time.monotonic()
    phone = f"+355 69 {200 + n // 10_000} {n % 10_000:04d}"
    await user.send("/start korce" if flow == "link" else "/start")
    welcome = await _until(user, _button("reg:v1:consent:yes"), timeout)
    # From a link the button also carries the municipality (reg:v1:consent:yes:<id>).
    consent = next(
        b for b in welcome.buttons if (b.callback_data or "").startswith("reg:v1:consent:yes")
    )
    await user.press_callback(welcome.message_id, consent.callback_data or "")
    await user.wait_callback_answer(timeout)
    await user.send("Arben Hoxha")
    await _until(user, lambda u: _with_text(u, "Arben Hoxha"), timeout)
    await user.send("5.3.1980")
    await _until(user, lambda u: _with_text(u, "1980"), timeout)
    await user.send(phone)
    if flow == "start":
        await _until(user, lambda u: _with_text(u, phone), timeout)
        await user.send(list(SEATS)[n % len(SEATS)])
    summary = await _until(user, _button("reg:v1:confirm"), timeout)
    edits = summary.edits
    await user.press("reg:v1:confirm")
    await user.wait_edit(summary, timeout, since=edits)
    return time.monotonic() - started


async def one_run(
    template: Path, members: int, flow: str, faults: float, step_timeout: float = 600.0
) -> Run:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "peak.sqlite3"
        ensure_private_sqlite_file(path)
        shutil.copyfile(template, path)
        harness = BotHarness(f"sqlite+aiosqlite:///{path}", bot_api_timeout_seconds=2.0)
        seats = list(SEATS.values()) if flow == "start" else ["Korçë"]
        async with harness.database.write() as session:
            for chair, name in enumerate(seats):
                place = await session.scalar(select(Municipality).where(Municipality.name == name))
                assert place is not None, name
                harness.user(70_000 + chair, "Kryetar")
                await grant_role(
                    session,
                    telegram_id=70_000 + chair,
                    kind=RoleKind.CHAIR,
                    county_id=place.county_id,
                    municipality_id=place.id,
                    granted_by=None,
                    source="bench",
                    now=harness.clock.now(),
                )
        await harness.start()
        if faults:
            harness.emu.faults.set_mix(faults, seed=11, slow=0.3, late=2.5)
        users = [harness.user(100_000 + n, "Anëtar") for n in range(members)]
        before = harness.emu.stats["sent"]
        started = time.monotonic()
        results = await asyncio.gather(
            *(_member(u, n, flow, timeout=step_timeout) for n, u in enumerate(users)),
            return_exceptions=True,
        )
        seconds = time.monotonic() - started
        assert harness.runner is not None and harness.runner.outbox is not None
        await harness.runner.outbox.drain(timeout=300)  # retries back off on a bad day
        # Delivered sends only (a late answer was delivered; a 5xx or a 429 was not).
        sends = harness.emu.stats["sent"] - before
        durations = [r for r in results if isinstance(r, float)]
        await harness.close()
        label = f"{flow}, {members}, faults {faults:.0%}"
        return Run(
            label, members, len(durations), seconds, sends, harness.emu.flood_rejections, durations
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--flows", default="start,link", help="start, link or both")
    parser.add_argument("--faults", default="0,0.2", help="shares of calls failing, e.g. 0,0.2")
    parser.add_argument(
        "--step-timeout", type=float, default=600.0, help="seconds a member waits for one answer"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        template = Path(folder) / "template.sqlite3"
        await upgrade(f"sqlite+aiosqlite:///{template}")
        runs = []
        for flow in args.flows.split(","):
            for share in args.faults.split(","):
                run = await one_run(template, args.members, flow, float(share), args.step_timeout)
                print(" | ".join(run.row()), flush=True)
                runs.append(run)
    header = [
        "run",
        "completed",
        "sends/reg",
        "reg/s",
        "bound 30÷sends",
        "of bound",
        "429 share",
        "p50",
        "p95",
    ]
    rows = [header] + [run.row() for run in runs]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    print()
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    asyncio.run(main())
