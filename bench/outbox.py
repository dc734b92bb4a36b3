"""How fast the outbox delivers under Telegram-like flood control, and what a crash costs.

    python bench/outbox.py --messages 600 --chats 300

Each run starts the local Bot API emulator with flood control (30 messages/s per bot, 1/s
per chat, sliding one-second windows as Telegram documents), queues the messages on a fresh
SQLite file, lets `OutboxSender` drain them and reports delivered/s, the 429s Telegram
would have answered, failures and duplicates. It does so at the default pace (25/s) and,
side by side, at 30/s and 35/s, to show why the default sits a little under the limit.

Then a crash: the sender task is cancelled mid-delivery without a graceful stop (rows stay
'sending'), a new sender starts and takes them again once the lease has expired, and the
bench counts the messages that were sent twice: the documented in-flight window. The lease
is a parameter so the bench need not wait the production 60 s.

Figures only, no assertions: the tests (tests/test_outbox.py) hold the guarantees.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from telegram.ext import ExtBot

from bot.sending.outbox_sender import OutboxSender
from bot.sending.pacer import Pacer
from emulator import BotApiEmulator
from storage import outbox
from storage.db import Database
from storage.models import Delivery
from storage.schema import upgrade

FIRST_CHAT = 100_000


@dataclass
class Run:
    """What one drain achieved."""

    label: str
    delivered: int
    seconds: float
    rate_429: int
    failed: int
    duplicates: int
    lost: int

    @property
    def per_second(self) -> float:
        return self.delivered / self.seconds if self.seconds else 0.0


class Setup:
    """A fresh database, an emulator with flood control and a bot pointed at it."""

    def __init__(self, workdir: Path, name: str, rate: float = 28.0) -> None:
        self.rate = rate
        self.url = f"sqlite+aiosqlite:///{workdir / name / 'outbox.sqlite3'}"
        self.emu = BotApiEmulator()
        self.db: Database | None = None
        self.bot: ExtBot[None] | None = None

    async def __aenter__(self) -> Setup:
        await upgrade(self.url)
        self.db = Database(self.url)
        await self.emu.start()
        self.emu.flood_control(global_per_second=30, per_chat_per_second=1)
        self.bot = ExtBot(
            token=self.emu.token,
            base_url=self.emu.base_url,
            base_file_url=self.emu.base_file_url,
            rate_limiter=Pacer(rate_per_second=self.rate),
        )
        await self.bot.initialize()
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.bot is not None and self.db is not None
        await self.bot.shutdown()
        await self.emu.stop()
        await self.db.dispose()

    async def enqueue(self, messages: int, chats: int) -> None:
        """Message i goes to chat i % chats, with a text naming it, to spot duplicates."""
        assert self.db is not None
        for chat in range(chats):
            self.emu.user(FIRST_CHAT + chat)
        now = datetime.now(UTC)
        async with self.db.write() as session:
            for i in range(messages):
                await outbox.enqueue(
                    session,
                    chat_id=FIRST_CHAT + i % chats,
                    method="sendMessage",
                    payload={"text": f"m{i}"},
                    now=now,
                )

    def received(self) -> Counter[str]:
        """How many times each message text reached a user."""
        texts: Counter[str] = Counter()
        for user in self.emu.users.values():
            texts.update(m.text or "" for m in user.messages)
        return texts

    async def summary(self, label: str, messages: int, seconds: float) -> Run:
        assert self.db is not None
        async with self.db.read() as session:
            counts = await outbox.counts(session)
        texts = self.received()
        return Run(
            label=label,
            delivered=sum(texts.values()),
            seconds=seconds,
            rate_429=self.emu.stats["429"],
            failed=counts.get("failed", 0),
            duplicates=sum(n - 1 for n in texts.values() if n > 1),
            lost=messages - len(texts),
        )


async def pace_run(workdir: Path, rate: float, messages: int, chats: int) -> Run:
    """Drain `messages` rows at `rate`/s against flood control."""
    async with Setup(workdir, f"rate-{rate:g}", rate) as setup:
        assert setup.db is not None and setup.bot is not None
        await setup.enqueue(messages, chats)
        sender = OutboxSender(setup.db, setup.bot, poll_interval=0.05)
        started = time.monotonic()
        await sender.start()
        await sender.drain(timeout=messages / min(rate, 30) * 4 + 60)
        await sender.stop()
        seconds = time.monotonic() - started
        return await setup.summary(f"{rate:g}/s", messages, seconds)


async def crash_run(
    workdir: Path, messages: int, chats: int, lease: float, latency: float
) -> dict[str, float]:
    """Cancel the sender mid-delivery; a new one resumes after the lease."""
    async with Setup(workdir, "crash") as setup:
        assert setup.db is not None and setup.bot is not None
        await setup.enqueue(messages, chats)
        # A round trip like the real Telegram's, so calls are in flight when the crash comes.
        setup.emu.faults.add(latency=latency, times=10 * messages)
        first = OutboxSender(setup.db, setup.bot, lease_seconds=lease, poll_interval=0.05)
        await first.start()
        while True:
            async with setup.db.read() as session:
                if (await outbox.counts(session)).get("sent", 0) >= messages // 2:
                    break
            await asyncio.sleep(0.01)
        await first.kill()  # no graceful stop: what a SIGKILL or power cut leaves behind
        crashed_at = time.monotonic()
        async with setup.db.read() as session:
            stuck = len(
                (await session.execute(select(Delivery.id).where(Delivery.status == "sending")))
                .scalars()
                .all()
            )
        await asyncio.sleep(latency * 2)  # calls that reached Telegram complete there
        second = OutboxSender(setup.db, setup.bot, lease_seconds=lease, poll_interval=0.05)
        await second.start()
        await second.drain(timeout=messages / 25 * 4 + lease + 60)
        await second.stop()
        resumed = time.monotonic() - crashed_at
        run = await setup.summary("crash", messages, resumed)
        return {
            "left sending at the crash": stuck,
            "sent twice": run.duplicates,
            "lost": run.lost,
            "failed": run.failed,
            "lease (s)": lease,
            "crash → drained (s)": round(resumed, 1),
        }


def print_table(runs: list[Run]) -> None:
    header = ("pace", "delivered", "seconds", "delivered/s", "429s", "failed", "dupes", "lost")
    rows = [
        (
            r.label,
            str(r.delivered),
            f"{r.seconds:.1f}",
            f"{r.per_second:.1f}",
            str(r.rate_429),
            str(r.failed),
            str(r.duplicates),
            str(r.lost),
        )
        for r in runs
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    for line in (header, *rows):
        print("  ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True)))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--chats", type=int, default=300)
    parser.add_argument("--rates", default="28,30,35", help="paces to compare, per second")
    parser.add_argument("--lease", type=float, default=3.0, help="lease for the crash run (s)")
    parser.add_argument("--latency", type=float, default=0.1, help="round trip in the crash run")
    parser.add_argument("--crash-messages", type=int, default=200)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    with tempfile.TemporaryDirectory(prefix="regjistri-bench-") as tmp:
        workdir = Path(tmp)
        print(
            f"{args.messages} messages to {args.chats} chats; emulator flood control "
            "30/s per bot, 1/s per chat"
        )
        runs = [
            await pace_run(workdir, float(rate), args.messages, args.chats)
            for rate in args.rates.split(",")
        ]
        print_table(runs)
        print()
        print(
            f"crash: {args.crash_messages} messages, sender cancelled half-way with "
            f"{args.latency:g} s round trips, restarted with a {args.lease:g} s lease"
        )
        crash = await crash_run(
            workdir,
            args.crash_messages,
            min(args.chats, args.crash_messages),
            args.lease,
            args.latency,
        )
        for key, value in crash.items():
            print(f"  {key}: {value:g}")


if __name__ == "__main__":
    asyncio.run(main())
