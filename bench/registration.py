"""Registration throughput and per-update latency against the local emulator, beside a bare
python-telegram-bot echo bot on the same emulator (the framework's floor).

    python bench/registration.py --members 100

The saturated run alternates the two bots over `--rounds` rounds (3 by default) and quotes
the median of the rounds' ratios: this machine's speed drifts by a third within minutes
(a fixed CPU loop measured 0.31-0.50 s), so only figures taken side by side compare.

Prints figures only. Latency is measured from the moment a member's update is queued at the
emulator to the bot's answer arriving there, so it includes long-poll pickup, the inbox
write, the handler's database work and the reply's HTTP round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import random
import statistics
import sys
import sysconfig
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.runtime import Runner
from emulator import BotApiEmulator, EmulatedUser
from handlers.turn import current_update
from storage.db import ON_LOOP_AIOSQLITE, OnLoopConnection
from usecases.config import Settings

TOKEN = "123456:BENCH-TOKEN"
STEPS = 7  # /start, consent, name, date, phone, municipality, confirm


async def _register(
    user: EmulatedUser, index: int, latencies: list[float], think: float = 0.0
) -> None:
    """One member's whole registration, timing each update until the bot's answer arrives.

    Every step of the happy path answers with exactly one new message, except consent,
    answered with a toast, and Confirm, which edits the summary; waiting is event-driven
    (no polling loop in the benchmark).
    """

    pauses = random.Random(index)

    async def step(send: object, *, toast: bool = False) -> None:
        if think:
            # A person reads and types between steps: exponential pauses, mean `think` s.
            await asyncio.sleep(pauses.expovariate(1 / think))
        answered = len(user.callback_answers)
        start = time.perf_counter()
        await send  # type: ignore[misc]
        if toast:
            signal = user.emu.chat_signal(user.id)
            await signal.wait_until(lambda: len(user.callback_answers) > answered, 30)
        else:
            await user.receive(timeout=30)
        latencies.append(time.perf_counter() - start)

    await step(user.send("/start"))
    await step(user.press("reg:v1:consent:yes"), toast=True)
    await step(user.send("Arben Hoxha"))
    await step(user.send("5.3.1980"))
    await step(user.send(f"+35569{2000000 + index:07d}"))  # a distinct valid number each
    await step(user.send("korce"))
    summary = user.last
    assert summary is not None
    if think:
        await asyncio.sleep(pauses.expovariate(1 / think))
    start = time.perf_counter()
    await user.press("reg:v1:confirm")
    await user.wait_edit(summary, timeout=30)
    latencies.append(time.perf_counter() - start)


@dataclass
class Measure:
    """Wall time, CPU time of this process (bot and emulator alike, for both bots), SQL."""

    elapsed: float = 0.0
    cpu: float = 0.0
    statements: int = 0
    in_turns: int = 0  # of those, run inside an update's turn (not storing a batch, the outbox)
    run: tuple[int, int] = (0, 0)  # both, at the end of the measured run
    profile: cProfile.Profile | None = None
    # Statements per update kind (a sequential run, one update at a time: `_count_kinds`).
    kinds: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    count_kinds: bool = True


async def bench_regjistri(
    members: int, think: float = 0.0, measure: Measure | None = None
) -> tuple[float, list[float]]:
    emulator = BotApiEmulator(token=TOKEN, bot_username="regjistri_bench_bot")
    await emulator.start()
    emulator.user(9001, first_name="Admin")
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            telegram_bot_token=TOKEN,
            telegram_api_url=emulator.base_url,
            database_url=f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}",
            admin_ids=(9001,),
            # The CPU is measured here, not Telegram's limits (bench/peak.py does those).
            send_rate_per_second=1000,
            send_per_chat_interval_seconds=0,
        )
        runner = Runner(settings, poll_timeout=1)
        await runner.start()
        counted = measure or Measure()

        def count(*_: object) -> None:
            counted.statements += 1
            if current_update.get() is not None:
                counted.in_turns += 1

        def trace(statement: str) -> None:
            # The driver's own COMMIT is left out, as SQLAlchemy's count never saw it.
            if statement not in ("COMMIT", "ROLLBACK") and not statement.startswith("--"):
                count()

        def on_connect(dbapi_connection: Any, _record: object) -> None:
            driver = getattr(dbapi_connection, "driver_connection", None)
            if isinstance(driver, OnLoopConnection):
                driver._conn.set_trace_callback(trace)

        engine = runner.database.engine.sync_engine
        if engine.dialect.dbapi is ON_LOOP_AIOSQLITE:
            # Statements on the event loop's thread, some of them prepared SQL run on the
            # sqlite3 connection itself (storage/db.py): SQLite's own trace sees them all.
            event.listen(engine, "connect", on_connect)
            await runner.database.engine.dispose()  # connect again, traced
        else:
            event.listen(engine, "before_cursor_execute", count)
        users = [emulator.user(100000 + i, first_name=f"M{i}") for i in range(members)]
        latencies: list[float] = []
        if counted.profile is not None:
            counted.profile.enable()
        cpu = time.process_time()
        start = time.perf_counter()
        await asyncio.gather(*(_register(u, i, latencies, think) for i, u in enumerate(users)))
        elapsed = time.perf_counter() - start
        counted.cpu, counted.elapsed = time.process_time() - cpu, elapsed
        if counted.profile is not None:
            counted.profile.disable()
        counted.run = (counted.statements, counted.in_turns)
        if measure is not None and measure.count_kinds and not think:
            await _count_kinds(emulator, counted, members)
        await runner.stop()
    await emulator.stop()
    return elapsed, latencies


KINDS = ("/start", "consent", "name", "birth date", "phone", "municipality", "confirm")


async def _count_kinds(emulator: BotApiEmulator, measure: Measure, offset: int) -> None:
    """Statements per update kind: a few more members, one update at a time, nothing beside.

    Counted: the statements made in the update's turn (its handler's transactions). Storing
    the fetched batch in the inbox (2 statements a batch) and the outbox's own work are
    outside it, and in the saturated figure.
    """
    for n in range(3):
        user = emulator.user(200000 + offset + n, first_name=f"K{n}")
        phone = f"+35568{3000000 + offset + n:07d}"
        sends = (
            lambda u=user: u.send("/start"),
            lambda u=user: u.press("reg:v1:consent:yes"),
            lambda u=user: u.send("Arben Hoxha"),
            lambda u=user: u.send("5.3.1980"),
            lambda u=user, p=phone: u.send(p),
            lambda u=user: u.send("korce"),
            lambda u=user: u.press("reg:v1:confirm"),
        )
        for kind, send in zip(KINDS, sends, strict=True):
            before = measure.in_turns
            await send()
            await asyncio.sleep(0.5)  # answered and marked
            measure.kinds[kind].append(measure.in_turns - before)


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(update.effective_message.text or "?")


async def bench_echo(
    members: int, think: float = 0.0, measure: Measure | None = None
) -> tuple[float, list[float]]:
    emulator = BotApiEmulator(token=TOKEN, bot_username="echo_bench_bot")
    await emulator.start()
    app = (
        Application.builder().token(TOKEN).base_url(emulator.base_url).concurrent_updates(8).build()
    )
    app.add_handler(MessageHandler(filters.ALL, _echo))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    users = [emulator.user(100000 + i, first_name=f"M{i}") for i in range(members)]
    latencies: list[float] = []

    async def chat(user: EmulatedUser) -> None:
        pauses = random.Random(user.id)
        for n in range(STEPS):
            if think:
                await asyncio.sleep(pauses.expovariate(1 / think))
            start = time.perf_counter()
            await user.send(f"hello {n}")
            await user.receive(timeout=30)
            latencies.append(time.perf_counter() - start)

    if measure is not None and measure.profile is not None:
        measure.profile.enable()
    cpu = time.process_time()
    start = time.perf_counter()
    await asyncio.gather(*(chat(u) for u in users))
    elapsed = time.perf_counter() - start
    if measure is not None:
        measure.cpu, measure.elapsed = time.process_time() - cpu, elapsed
        if measure.profile is not None:
            measure.profile.disable()
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    await emulator.stop()
    return elapsed, latencies


def _ratios(
    ours: tuple[float, list[float]],
    floor: tuple[float, list[float]],
    mine: Measure,
    echo: Measure,
) -> tuple[float, float]:
    """(regjistri's updates/s as a share of the floor's, its CPU per update over the floor's)."""
    (ours_time, ours_lat), (floor_time, floor_lat) = ours, floor
    throughput = (len(ours_lat) / ours_time) / (len(floor_lat) / floor_time)
    cpu = (mine.cpu / len(ours_lat)) / (echo.cpu / len(floor_lat))
    return throughput, cpu


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def _report(
    title: str,
    members: int,
    ours: tuple[float, list[float]],
    floor: tuple[float, list[float]],
    measures: tuple[Measure, Measure] | None = None,
) -> None:
    print(title)
    print(f"{'':<22}{'updates/s':>10}{'regs/s':>9}{'p50 ms':>9}{'p95 ms':>9}")
    for name, (elapsed, lat) in (("regjistri", ours), ("PTB echo (floor)", floor)):
        print(
            f"{name:<22}{len(lat) / elapsed:>10.1f}{members / elapsed:>9.2f}"
            f"{_percentile(lat, 50) * 1000:>9.1f}{_percentile(lat, 95) * 1000:>9.1f}"
        )
    (ours_time, ours_lat), (floor_time, floor_lat) = ours, floor
    print(
        f"ratio regjistri/floor: p50 {_percentile(ours_lat, 50) / _percentile(floor_lat, 50):.2f}x,"
        f" p95 {_percentile(ours_lat, 95) / _percentile(floor_lat, 95):.2f}x, throughput "
        f"{(len(floor_lat) / floor_time) / (len(ours_lat) / ours_time):.2f}x lower"
    )
    if measures is not None:
        mine, echo = measures
        ours_cpu, echo_cpu = mine.cpu / len(ours_lat), echo.cpu / len(floor_lat)
        print(
            f"CPU per update (bot + emulator, one process): regjistri {ours_cpu * 1000:.2f} ms, "
            f"echo {echo_cpu * 1000:.2f} ms ({ours_cpu / echo_cpu:.2f}x); "
            f"SQL statements per update: {mine.run[0] / len(ours_lat):.1f} "
            f"({mine.run[1] / len(ours_lat):.1f} in its turn)"
        )
        if mine.kinds:
            print(
                "SQL statements per update kind, in its turn (storing the batch and the outbox "
                "aside): "
                + ", ".join(f"{k} {statistics.median(v):g}" for k, v in mine.kinds.items())
            )
    print()


_STDLIB = sysconfig.get_paths()["stdlib"]
_OURS = ("bot", "handlers", "usecases", "storage", "domain")


def _package(filename: str) -> str:
    """The package a profiled function belongs to, for the grouped profile."""
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins (C)"
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        name = parts[parts.index("site-packages") + 1].split(".")[0]
        return {"httpcore": "httpx", "h11": "httpx", "anyio": "httpx"}.get(name, name)
    if filename.startswith(_STDLIB):
        inner = Path(filename).relative_to(_STDLIB).parts
        return "asyncio" if inner and inner[0] == "asyncio" else "stdlib"
    for part in reversed(parts[:-1]):
        if part in _OURS:
            return "ours"
        if part == "emulator":
            return "emulator"
        if part == "bench":
            return "bench"
    return "other"


def _grouped(profile: cProfile.Profile, title: str) -> None:
    """Own time (tottime) per package; C functions counted with the package calling them."""
    stats = pstats.Stats(profile)
    own: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, callers) in stats.stats.items():  # type: ignore[attr-defined]
        group = _package(filename)
        if group == "builtins (C)" and callers:
            # A builtin's time belongs to who calls it (json.loads from httpx is httpx's).
            total = sum(c[2] for c in callers.values()) or 1.0
            for (cfile, _l, _n), caller in callers.items():
                own[_package(cfile)] += tottime * caller[2] / total
            continue
        own[group] += tottime
    whole = sum(own.values()) or 1.0
    print(f"{title}: own time by package ({whole:.1f} s profiled)")
    for group, seconds in sorted(own.items(), key=lambda kv: -kv[1]):
        print(f"  {group:<16}{seconds:>8.2f} s {100 * seconds / whole:>5.1f} %")


def _top(profile: cProfile.Profile, limit: int) -> None:
    stats = pstats.Stats(profile, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(limit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument(
        "--think",
        type=float,
        default=2.0,
        help="mean pause (s) between a member's steps in the paced run",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the saturated runs (cProfile, this process: bot and emulator) and print "
        "own time grouped by package",
    )
    parser.add_argument(
        "--top", type=int, default=0, help="with --profile: the N hottest functions"
    )
    parser.add_argument("--no-paced", action="store_true", help="only the saturated run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="saturated rounds, regjistri and the floor alternating; the median ratio is quoted",
    )
    args = parser.parse_args()
    rounds = []
    for round_number in range(args.rounds):
        # Alternating, so a slower spell of this (shared, virtual) machine falls on both bots
        # of a round: each round's ratio is measured side by side, and the median is quoted.
        mine, echo = Measure(count_kinds=round_number == 0), Measure()
        if args.profile and round_number == 0:
            # CPU time of the event loop's thread, not wall time: waiting in epoll is not work.
            mine.profile = cProfile.Profile(time.thread_time)
            echo.profile = cProfile.Profile(time.thread_time)
        ours = asyncio.run(bench_regjistri(args.members, measure=mine))
        floor = asyncio.run(bench_echo(args.members, measure=echo))
        _report(
            f"Saturation, round {round_number + 1} of {args.rounds}: {args.members} members, "
            f"{STEPS} updates each, no pauses (closed loop)",
            args.members,
            ours,
            floor,
            (mine, echo),
        )
        rounds.append(_ratios(ours, floor, mine, echo))
        if mine.profile is not None and echo.profile is not None:
            _grouped(mine.profile, "regjistri")
            _grouped(echo.profile, "PTB echo (floor)")
            if args.top:
                _top(mine.profile, args.top)
            print()
    if len(rounds) > 1:
        throughput = statistics.median(r[0] for r in rounds)
        cpu = statistics.median(r[1] for r in rounds)
        print(
            f"Median over {len(rounds)} rounds: regjistri's updates/s {throughput:.2f} of the "
            f"floor's (target >= 0.67), CPU per update {cpu:.2f}x the floor's (target <= 1.5x); "
            "per round: " + ", ".join(f"{t:.2f}/{c:.2f}x" for t, c in rounds)
        )
        print()
    if args.no_paced:
        return
    ours = asyncio.run(bench_regjistri(args.members, args.think))
    floor = asyncio.run(bench_echo(args.members, args.think))
    _report(
        f"Paced: {args.members} members pausing {args.think:g} s on average between steps",
        args.members,
        ours,
        floor,
    )


if __name__ == "__main__":
    main()
