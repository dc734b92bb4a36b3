"""`regjistri announce`: an announcement typed on the server, with a progress bar and the
same report as in the chat.

    regjistri announce --target municipality:Korçë --text-file msg.txt [--ack]

The command queues the announcement (recipients and their outbox rows, in one transaction,
audited) and watches it: delivering is the running bot's job (its outbox sender holds
Telegram's limits for the whole token; a second sender here would pace at the full rate
beside it). If the bot is not running, the announcement waits queued and goes out when it
starts; the command says so rather than hang.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

from bot.cli_places import pick_county, pick_municipality
from domain.announcements import Target, TargetKind
from domain.clock import Clock
from domain.i18n import use_language
from domain.places import Place
from storage import announcements as store
from storage.db import Database
from storage.geography import list_places
from storage.models import Announcement
from usecases import announcements as usecase
from usecases.config import Settings
from usecases.services import Services

#: Telegram's limit for one message's text.
MAX_TEXT = 4096
#: With nothing delivered for this long, the bot is most likely not running.
STALL_SECONDS = 30.0


def add_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    announce = commands.add_parser(
        "announce",
        help="send an announcement to a structure, with a progress bar",
        description="Send a text to the approved members of the register, a county or a "
        "municipality, or to the branch chairs. The running bot delivers it at Telegram's "
        "limits; this command shows the progress and the report.",
    )
    announce.add_argument(
        "--target",
        required=True,
        help="all, county:NAME, municipality:NAME, chairs or county_chairs:NAME",
    )
    announce.add_argument("--text-file", required=True, help="the message, UTF-8 text")
    announce.add_argument(
        "--parse-mode", choices=["HTML", "MarkdownV2"], help="formatting of the text, if any"
    )
    announce.add_argument("--ack", action="store_true", help="ask for «✅ E lexova»")
    announce.add_argument(
        "--no-wait", action="store_true", help="queue it and return without watching"
    )


def _target(places: list[Place], text: str) -> Target | None:
    kind_text, _, name = text.partition(":")
    try:
        kind = TargetKind(kind_text)
    except ValueError:
        kind = None
    if kind in (TargetKind.ALL, TargetKind.CHAIRS) and not name:
        return Target(kind)
    if kind in (TargetKind.COUNTY, TargetKind.COUNTY_CHAIRS) and name:
        county = pick_county(places, name)
        return None if county is None else Target(kind, county[0])
    if kind is TargetKind.MUNICIPALITY and name:
        place = pick_municipality(places, name)
        return None if place is None else Target(kind, place.id)
    print(
        "--target must be all, chairs, county:NAME, county_chairs:NAME or municipality:NAME, "
        f"not {text!r}",
        file=sys.stderr,
    )
    return None


def _read_text(path: str) -> str | None:
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        print(f"Cannot read {path}: {error}", file=sys.stderr)
        return None
    if not text or len(text) > MAX_TEXT:
        print(
            f"The message must have 1 to {MAX_TEXT} characters, not {len(text)}.", file=sys.stderr
        )
        return None
    return text


async def run(settings: Settings, database: Database, args: argparse.Namespace) -> int:
    async with database.read() as session:
        places = await list_places(session)
    target = _target(places, args.target)
    text = _read_text(args.text_file)
    if target is None or text is None:
        return 2
    services = Services(
        settings=settings, database=database, clock=Clock(), places={p.id: p for p in places}
    )
    async with database.write() as session:
        announcement = Announcement(
            sender_id=None,
            target_kind=target.kind.value,
            target_id=target.place_id,
            step="sent",
            content_kind="text",
            ask_ack=args.ack,
            status=store.DRAFT,
            total=0,
            unreachable=0,
            created_at=services.clock.now(),
        )
        session.add(announcement)
        await session.flush()
        await usecase.record_sent(session, announcement, None, services.clock.now(), via="cli")
        total = await usecase.launch(
            session, services, announcement, text=text, parse_mode=args.parse_mode
        )
        number, left_out = announcement.id, announcement.unreachable
    print(
        f"Announcement no. {number}: {total} recipients queued"
        + (f" ({left_out} left out: they blocked the bot)." if left_out else ".")
    )
    if args.no_wait or total == 0:
        return 0
    return await _watch(services, number, total)


async def _watch(services: Services, number: int, total: int) -> int:
    """A progress bar until the bot has delivered it all, then the report."""
    last_change, finished = time.monotonic(), 0
    with tqdm(total=total, unit=" msg", file=sys.stderr, disable=None) as bar:
        while True:
            async with services.database.read() as session:
                announcement = await store.get(session, number)
                assert announcement is not None
                progress = await store.progress(session, announcement, datetime.now(UTC))
            bar.update(progress.finished - finished)
            if progress.finished != finished:
                finished, last_change = progress.finished, time.monotonic()
            if progress.done:
                break
            if time.monotonic() - last_change > STALL_SECONDS:
                print(
                    f"\nNothing was delivered for {STALL_SECONDS:g} s: is the bot running "
                    "('regjistri run')? The announcement stays queued and goes out once it "
                    "runs; /njoftimet in the chat shows its figures.",
                    file=sys.stderr,
                )
                return 1
            await asyncio.sleep(0.5)
    async with services.database.read() as session:
        announcement = await store.get(session, number)
        assert announcement is not None
        with use_language("en"):
            print(await usecase.report(session, services, announcement, datetime.now(UTC)))
    return 0
