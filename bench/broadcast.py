"""An announcement to 10 000 members at a configured limit, against Telegram-like flood control.

    python bench/broadcast.py --recipients 10000 --limit 300

The emulator runs in a process of its own (as Telegram is not in the bot's process), with
flood control at `--limit` messages/s for the bot and 1/s per chat after a burst of 3, and
answers after `--latency` seconds. The bot's side is what production runs: an announcement
launched by `usecases.announcements` (recipients and their copyMessage rows written by one
INSERT … SELECT each) and `OutboxSender` delivering them through the `Pacer`, set at the
limit (it counts a call from its grant until a second after its answer, so the achieved
pace is about limit / (1 + answer time)).

Reported, for a clean run and for one where the sender is killed halfway (no graceful stop,
as SIGKILL leaves it) and a new one resumes after the lease: the achieved rate as a fraction
of the limit, the 429s provoked, and per recipient the copies that arrived — lost (0 copies)
and duplicated (more than 1). Figures only; the tests hold the guarantees.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from multiprocessing.connection import Connection
from pathlib import Path

from sqlalchemy import func, insert, select
from telegram.ext import ExtBot

from bot.sending.outbox_sender import OutboxSender
from bot.sending.pacer import Pacer
from bot.telegram_http import AiohttpRequest
from domain.clock import Clock
from emulator import BotApiEmulator
from storage import outbox
from storage.db import Database
from storage.geography import list_places
from storage.models import Account, Announcement, Delivery, Member
from storage.schema import upgrade
from usecases.announcements import launch
from usecases.config import Settings
from usecases.services import Services

FIRST_CHAT = 1_000_000
SENDER = 42


# --- the emulator, in its own process ----------------------------------------------------------


def _emulator_process(pipe: Connection, recipients: int, limit: int, latency: float) -> None:
    asyncio.run(_serve(pipe, recipients, limit, latency))


async def _serve(pipe: Connection, recipients: int, limit: int, latency: float) -> None:
    emu = BotApiEmulator()
    await emu.start()
    emu.flood_control(global_per_second=limit, per_chat_per_second=1, per_chat_burst=3)
    if latency:
        emu.faults.add(latency=latency, times=100 * recipients)
    for n in range(recipients):
        emu.user(FIRST_CHAT + n)
    sender = emu.user(SENDER, "Staff")
    source = await sender.send_photo(caption="Mbledhje e shtunën, ora 10:00")
    pipe.send((emu.base_url, emu.base_file_url, emu.token, source["message_id"]))
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, pipe.recv)
        if command == "stop":
            break
        copies = Counter(
            {chat: sum(1 for m in emu.messages(chat) if m.kind == "copy") for chat in emu.users}
        )
        pipe.send((dict(copies), dict(emu.stats)))
    await emu.stop()


# --- the bot's side ------------------------------------------------------------------------------


@dataclass
class Result:
    label: str
    recipients: int
    seconds: float
    limit: int
    rate_429: int
    lost: int
    duplicates: int
    in_flight_at_crash: int | None = None
    span: float = 0.0  # first to last delivery

    @property
    def span_fraction(self) -> float:
        """The pace while sending (first to last delivery), as a fraction of the limit."""
        return (self.recipients - 1) / self.span / self.limit if self.span else 0.0

    @property
    def fraction(self) -> float:
        return self.recipients / self.seconds / self.limit if self.seconds else 0.0


async def _seed(database: Database, recipients: int) -> Services:
    async with database.read() as session:
        places = await list_places(session)
    now = datetime.now(UTC)
    async with database.write() as session:
        for start in range(0, recipients, 2_000):
            chunk = range(start, min(start + 2_000, recipients))
            await session.execute(
                insert(Account),
                [
                    {"telegram_id": FIRST_CHAT + n, "language": "sq", "created_at": now}
                    for n in chunk
                ],
            )
            await session.execute(
                insert(Member),
                [
                    {
                        "telegram_id": FIRST_CHAT + n,
                        "full_name": f"Anëtar {n}",
                        "name_folded": f"anetar {n}",
                        "birth_date": date(1980, 1, 1),
                        "phone_e164": f"+35569{n:07d}",
                        "municipality_id": places[n % len(places)].id,
                        "language": "sq",
                        "status": "approved",
                        "submitted_at": now,
                    }
                    for n in chunk
                ],
            )
    settings = Settings(telegram_bot_token="1:bench", database_url=database.url)
    return Services(
        settings=settings,
        database=database,
        clock=Clock(),
        places={p.id: p for p in places},
    )


async def _announce(services: Services, message_id: int) -> int:
    async with services.database.write() as session:
        announcement = Announcement(
            sender_id=None,
            target_kind="all",
            step="sent",
            source_chat_id=SENDER,
            source_message_id=message_id,
            content_kind="photo",
            ask_ack=True,
            status="draft",
            total=0,
            unreachable=0,
            created_at=datetime.now(UTC),
        )
        session.add(announcement)
        await session.flush()
        await launch(session, services, announcement)
        return announcement.id


async def _sent(database: Database) -> int:
    async with database.read() as session:
        return int(
            await session.scalar(select(func.count()).where(Delivery.status == outbox.SENT)) or 0
        )


async def _unfinished(database: Database) -> int:
    async with database.read() as session:
        return int(
            await session.scalar(
                select(func.count()).where(Delivery.status.in_((outbox.QUEUED, outbox.SENDING)))
            )
            or 0
        )


async def run(
    workdir: Path, recipients: int, limit: int, *, crash: bool, lease: float, latency: float
) -> Result:
    parent, child = mp.Pipe()
    process = mp.get_context("spawn").Process(
        target=_emulator_process, args=(child, recipients, limit, latency), daemon=True
    )
    process.start()
    base_url, base_file_url, token, message_id = parent.recv()
    url = f"sqlite+aiosqlite:///{workdir / ('crash' if crash else 'clean')}.sqlite3"
    await upgrade(url)
    database = Database(url)
    services = await _seed(database, recipients)
    # Paced at the limit itself: the pacer counts each call from its grant until a second
    # after its answer, so no second of Telegram's sees more, whatever the jitter.
    pacer = Pacer(rate_per_second=limit)
    # The request production uses (bot/application.py), pooled for the sender's concurrency.
    request = AiohttpRequest(connection_pool_size=64, pool_timeout=5.0)
    bot = ExtBot(
        token=token,
        base_url=base_url,
        base_file_url=base_file_url,
        rate_limiter=pacer,
        request=request,
    )
    await bot.initialize()
    await _announce(services, message_id)

    def new_sender() -> OutboxSender:
        return OutboxSender(
            database, bot, lease_seconds=lease, concurrency=128, poll_interval=0.2, claim_batch=32
        )

    started = time.monotonic()
    sender = new_sender()
    await sender.start()
    in_flight = None
    if crash:
        while await _sent(database) < recipients // 2:  # noqa: ASYNC110 - polls the database
            await asyncio.sleep(0.2)
        in_flight = len(sender._inflight)
        await sender.kill()
        sender = new_sender()
        await sender.start()
    # Watched every half second: a count over the outbox runs on the event loop's thread,
    # and polling it every 50 ms (as OutboxSender.drain does) took a tenth of the pace.
    while await _unfinished(database):  # noqa: ASYNC110 - polls the database
        await asyncio.sleep(0.5)
    seconds = time.monotonic() - started
    await sender.stop()
    async with database.read() as session:
        first, last = (
            await session.execute(select(func.min(Delivery.sent_at), func.max(Delivery.sent_at)))
        ).one()
    span = (last - first).total_seconds()
    await bot.shutdown()
    await database.dispose()
    parent.send("stats")
    copies, stats = parent.recv()
    parent.send("stop")
    process.join(timeout=10)
    got = [copies.get(FIRST_CHAT + n, 0) for n in range(recipients)]
    return Result(
        label="crash halfway, resumed" if crash else "clean",
        recipients=recipients,
        seconds=seconds,
        limit=limit,
        rate_429=int(stats.get("429", 0)),
        lost=sum(1 for n in got if n == 0),
        duplicates=sum(n - 1 for n in got if n > 1),
        in_flight_at_crash=in_flight,
        span=span,
    )


def _print(results: list[Result], lease: float) -> None:
    print(
        f"{'run':<24}{'recipients':>11}{'seconds':>9}{'per s':>8}{'of limit':>10}"
        f"{'sending':>9}{'429s':>6}{'lost':>6}{'dupes':>7}{'in flight':>11}"
    )
    for r in results:
        flight = "" if r.in_flight_at_crash is None else str(r.in_flight_at_crash)
        print(
            f"{r.label:<24}{r.recipients:>11}{r.seconds:>9.1f}{r.recipients / r.seconds:>8.1f}"
            f"{r.fraction:>10.3f}{r.span_fraction:>9.3f}{r.rate_429:>6}{r.lost:>6}"
            f"{r.duplicates:>7}{flight:>11}"
        )
    print(
        "of limit: recipients / (start to drained) / limit; sending: the same from the first "
        f"delivery to the last. The crashed run's time includes waiting out the {lease:g} s "
        "lease; its duplicates are bounded by the copies in flight at the crash."
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--limit", type=int, default=300, help="the bot's messages/s")
    parser.add_argument("--lease", type=float, default=3.0, help="outbox lease (s)")
    parser.add_argument(
        "--latency", type=float, default=0.02, help="Telegram's answer time (s), so calls overlap"
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile the bot's side of a clean run instead"
    )
    args = parser.parse_args(argv)
    if args.profile:
        _profile(args)
        return
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for crash in (False, True):
            results.append(
                asyncio.run(
                    run(
                        Path(tmp),
                        args.recipients,
                        args.limit,
                        crash=crash,
                        lease=args.lease,
                        latency=args.latency,
                    )
                )
            )
    _print(results, args.lease)


def _profile(args: argparse.Namespace) -> None:
    """Where the bot's own time goes in a clean run (the emulator is another process)."""
    import cProfile
    import pstats

    with tempfile.TemporaryDirectory() as tmp:
        profiler = cProfile.Profile()
        profiler.enable()
        result = asyncio.run(
            run(
                Path(tmp),
                args.recipients,
                args.limit,
                crash=False,
                lease=args.lease,
                latency=args.latency,
            )
        )
        profiler.disable()
    _print([result], args.lease)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
