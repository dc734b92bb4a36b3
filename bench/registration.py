"""Registration throughput and per-update latency against the local emulator, beside a bare
python-telegram-bot echo bot on the same emulator (the framework's floor).

    python bench/registration.py --members 100

Prints figures only. Latency is measured from the moment a member's update is queued at the
emulator to the bot's answer arriving there, so it includes long-poll pickup, the inbox
write, the handler's database work and the reply's HTTP round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.runtime import Runner
from emulator import BotApiEmulator, EmulatedUser
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

        event.listen(runner.database.engine.sync_engine, "before_cursor_execute", count)
        users = [emulator.user(100000 + i, first_name=f"M{i}") for i in range(members)]
        latencies: list[float] = []
        cpu = time.process_time()
        start = time.perf_counter()
        await asyncio.gather(*(_register(u, i, latencies, think) for i, u in enumerate(users)))
        elapsed = time.perf_counter() - start
        counted.cpu, counted.elapsed = time.process_time() - cpu, elapsed
        await runner.stop()
    await emulator.stop()
    return elapsed, latencies


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

    cpu = time.process_time()
    start = time.perf_counter()
    await asyncio.gather(*(chat(u) for u in users))
    elapsed = time.perf_counter() - start
    if measure is not None:
        measure.cpu, measure.elapsed = time.process_time() - cpu, elapsed
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    await emulator.stop()
    return elapsed, latencies


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
            f"SQL statements per update: {mine.statements / len(ours_lat):.1f}"
        )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument(
        "--think",
        type=float,
        default=2.0,
        help="mean pause (s) between a member's steps in the paced run",
    )
    args = parser.parse_args()
    mine, echo = Measure(), Measure()
    ours = asyncio.run(bench_regjistri(args.members, measure=mine))
    floor = asyncio.run(bench_echo(args.members, measure=echo))
    _report(
        f"Saturation: {args.members} members, {STEPS} updates each, no pauses (closed loop)",
        args.members,
        ours,
        floor,
        (mine, echo),
    )
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
