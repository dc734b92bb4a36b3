"""`regjistri audit`: the audit on the server, newest first, filtered like /auditimi."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.i18n import TIMEZONE
from storage.audit_queries import FAMILIES, audit_page
from storage.db import Database


def add_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    audit = commands.add_parser(
        "audit",
        help="show the audit log (who did what), newest first",
        description="Show the audit log: times in Tirana time, actors and subjects by id "
        "(the audit holds no names or phone numbers of members).",
    )
    audit.add_argument("--actor", type=int, help="only this Telegram user id")
    audit.add_argument(
        "--family", choices=[name for name, _ in FAMILIES], default="all", help="kind of actions"
    )
    audit.add_argument("--hours", type=float, help="only the last N hours")
    audit.add_argument("--limit", type=int, default=50)


async def run(database: Database, args: argparse.Namespace) -> int:
    family = next(i for i, (name, _) in enumerate(FAMILIES) if name == args.family)
    since = datetime.now(UTC) - timedelta(hours=args.hours) if args.hours else None
    async with database.read() as session:
        events, total = await audit_page(
            session, actor_id=args.actor, family=family, limit=max(args.limit, 1), since=since
        )
    tirana = ZoneInfo(TIMEZONE)
    print(f"{total} events match; the newest {len(events)}:")
    print(f"{'time (Tirana)':<19}  {'actor':>12}  {'action':<28} subject  detail")
    for event in events:
        when = event.at.astimezone(tirana).strftime("%Y-%m-%d %H:%M:%S")
        subject = f"{event.subject_kind} {event.subject_id}" if event.subject_kind else "-"
        actor = str(event.actor_id) if event.actor_id is not None else "-"
        print(f"{when:<19}  {actor:>12}  {event.action:<28} {subject}  {event.detail or ''}")
    return 0
