"""The server-side commands: db upgrade, invite, qr, roles, role revoke (all audited)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.application import BOT_USERNAME_KEY
from bot.cli_places import pick_county, pick_municipality
from domain.clock import Clock
from domain.enrolment import enrolment_link, municipality_code, start_link
from domain.i18n import TIMEZONE
from domain.permissions import RoleKind
from handlers.qr_image import qr_png
from storage import audit
from storage.db import Database
from storage.geography import list_places
from storage.models import Role, Setting
from storage.roles import list_roles, revoke_role
from storage.schema import needs_upgrade, upgrade
from usecases.config import Settings
from usecases.invites import invite
from usecases.role_end import role_ended
from usecases.services import Services


async def dispatch(settings: Settings, args: argparse.Namespace) -> int:
    url = settings.resolved_database_url()
    if args.command == "db":
        await upgrade(url)
        print(f"Database is up to date: {_safe_url(url)}")
        return 0
    if await needs_upgrade(url):
        await upgrade(url)
    database = Database(url)
    try:
        if args.command == "invite":
            return await _invite(settings, database, args)
        if args.command == "qr":
            return await _qr(settings, database, args)
        if args.command == "roles":
            return await _roles(database)
        if args.command == "audit":
            from bot.audit_cli import run as run_audit

            return await run_audit(database, args)
        if args.command == "announce":
            from bot.announce_cli import run as run_announce

            return await run_announce(settings, database, args)
        if args.command == "export":
            from bot.export_cli import run as run_export

            return await run_export(database, args)
        return await _revoke(settings, database, args.role_id)
    finally:
        await database.dispose()


def _safe_url(url: str) -> str:
    """The URL without a password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


async def _invite(settings: Settings, database: Database, args: argparse.Namespace) -> int:
    kind = RoleKind(args.role)
    now = datetime.now(UTC)
    username = await _bot_username(database, settings, args)
    if not username:
        return 2
    async with database.write() as session:
        places = await list_places(session)
        county_id = municipality_id = None
        what = "national staff (admin)"
        if kind is RoleKind.CHAIR:
            if not args.municipality:
                print("--role chair needs --municipality", file=sys.stderr)
                return 2
            place = pick_municipality(places, args.municipality)
            if place is None:
                return 2
            municipality_id, what = place.id, f"chair of {place.name}"
        elif kind is RoleKind.COORDINATOR:
            if not args.county:
                print("--role coordinator needs --county", file=sys.stderr)
                return 2
            county = pick_county(places, args.county)
            if county is None:
                return 2
            county_id, what = county[0], f"coordinator of {county[1]} county"
        created = await invite(
            session,
            settings,
            kind=kind,
            county_id=county_id,
            municipality_id=municipality_id,
            created_by=None,
            now=now,
            via="cli",
        )
    print(f"Invitation for {what} (single use, expires in {settings.invite_ttl_hours:g} h):")
    print(start_link(username, created.code))
    return 0


async def _bot_username(
    database: Database, settings: Settings, args: argparse.Namespace
) -> str | None:
    """--bot-username, else the name the bot noted at its last start, else Telegram's
    answer to getMe when a token is configured (a bot that has never run).

    Asked before the command's write transaction: no network call holds SQLite's lock.
    """
    if args.bot_username:
        return str(args.bot_username)
    async with database.read() as session:
        username = await session.scalar(
            select(Setting.value).where(Setting.key == BOT_USERNAME_KEY)
        )
    if username:
        return str(username)
    if settings.telegram_bot_token:
        return await _ask_telegram(settings)
    print(
        "The bot's username is unknown (it has not run yet and TELEGRAM_BOT_TOKEN is not "
        "set): pass --bot-username.",
        file=sys.stderr,
    )
    return None


async def _ask_telegram(settings: Settings) -> str | None:
    """The bot's username from getMe; a refusal or no network is one line, not a traceback."""
    from telegram import Bot
    from telegram.error import TelegramError

    bot = Bot(settings.telegram_bot_token or "", base_url=settings.telegram_api_url)
    try:
        async with bot:
            return bot.username
    except TelegramError as error:
        from bot.startup import explain

        failure = explain(error, settings)
        reason = failure.message if failure else type(error).__name__
        print(f"{reason} (or pass --bot-username)", file=sys.stderr)
        return None


async def _qr(settings: Settings, database: Database, args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    username = await _bot_username(database, settings, args)
    if not username:
        return 2
    async with database.write() as session:
        place = pick_municipality(await list_places(session), args.municipality)
        if place is None:
            return 2
        link = enrolment_link(username, place)
        out = Path(args.out or f"{municipality_code(place.name)}.png")
        try:
            await asyncio.to_thread(out.write_bytes, qr_png(link))
        except OSError as error:
            print(f"Cannot write {out}: {error.strerror}", file=sys.stderr)
            return 1
        await audit.record(
            session,
            at=now,
            actor_id=None,
            action="qr.created",
            subject_kind="municipality",
            subject_id=place.id,
            detail={"via": "cli"},
        )
    print(f"QR code of the enrolment link of {place.name} written to {out}:")
    print(link)
    return 0


async def _roles(database: Database) -> int:
    async with database.read() as session:
        places = {p.id: p for p in await list_places(session)}
        counties = {p.county_id: p.county_name for p in places.values()}
        roles = await list_roles(session)
    if not roles:
        print("No active roles.")
        return 0
    # Tirana time, as the chat shows it, and labelled so nobody takes it for UTC.
    since_label = "since (Tirana)"
    print(f"{'id':>5}  {'telegram id':>12}  {'role':<12} {'where':<20} {since_label:<16} name")
    for role in roles:
        where = (
            places[role.municipality_id].name
            if role.municipality_id in places
            else counties.get(role.county_id or 0, "national")
        )
        since = role.granted_at.astimezone(ZoneInfo(TIMEZONE)).strftime("%Y-%m-%d %H:%M")
        print(
            f"{role.id:>5}  {role.telegram_id:>12}  {role.kind:<12} {where:<20} {since:<16} "
            f"{role.holder_name or ''}"
        )
    return 0


async def _revoke(settings: Settings, database: Database, role_id: int) -> int:
    now = datetime.now(UTC)
    # The revocation's effects (cards edited, the holder told, applications escalated) are
    # queued here; the running bot's outbox sender delivers them.
    async with database.read() as session:
        places = await list_places(session)
    services = Services(
        settings=settings,
        database=database,
        clock=Clock(),
        places={place.id: place for place in places},
    )
    async with database.write() as session:
        held = await session.get(Role, role_id)
        if held is not None and held.source == "config" and held.revoked_at is None:
            # The next start would grant it again: ADMIN_IDS is where such a role ends.
            print(
                f"Role {role_id} comes from ADMIN_IDS: remove the id there and restart.",
                file=sys.stderr,
            )
            return 2
        role = await revoke_role(session, role_id, revoked_by=None, now=now)
        if role is None:
            print(f"No active role with id {role_id}.", file=sys.stderr)
            return 1
        await audit.role_changed(
            session, at=now, actor_id=None, role_id=role.id, granted=False, via="cli"
        )
        await role_ended(session, services, role)
    print(f"Revoked role {role_id} ({role.kind}); it has no effect from now on.")
    return 0
