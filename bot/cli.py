"""`regjistri` (also `python -m bot`): run the bot, try it offline, manage the database, roles."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import timedelta

from pydantic import ValidationError

from bot.logs import configure_logging
from usecases.config import Settings, describe_error, load_settings

DESCRIPTION = "Regjistri: a Telegram bot that keeps an organization's membership register."


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="regjistri", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    commands.add_parser(
        "run",
        help="run the bot against Telegram (long polling); needs TELEGRAM_BOT_TOKEN",
        description="Run the bot against Telegram with long polling. Reads TELEGRAM_BOT_TOKEN, "
        "DATABASE_URL, ADMIN_IDS and the rest from the environment or a .env file. "
        "A new database is created and migrated on the first start.",
    )
    demo = commands.add_parser(
        "demo",
        help="try the bot offline: a local Telegram stand-in and a chat in this terminal",
        description="Start a local stand-in for Telegram and the bot on a local SQLite file, "
        "then chat with the bot in this terminal as a new member. Buttons show as numbered "
        "choices: type the number. No token and no network needed. Ctrl-C or :quit leaves.",
    )
    demo.add_argument(
        "--database",
        default="data/demo.sqlite3",
        help="SQLite file for the demo (default: data/demo.sqlite3)",
    )
    demo.add_argument("--fresh", action="store_true", help="start from an empty demo database")
    demo.add_argument(
        "--practice",
        choices=["chair"],
        help="chair: play a branch chair with made-up applications waiting (/ne_pritje)",
    )

    db = commands.add_parser("db", help="database maintenance", description="Database maintenance.")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser(
        "upgrade",
        help="create the database or bring it to the current schema",
        description="Create the database (DATABASE_URL) or apply the migrations it lacks, "
        "including the list of counties and municipalities.",
    )
    from bot.backup_cli import add_commands as add_backup_commands

    add_backup_commands(db_commands)

    invite = commands.add_parser(
        "invite",
        help="create a one-time invitation link for a role",
        description="Create a single-use invitation link that grants a role to whoever opens "
        "it first. Municipality and county names are matched as members type them "
        "(with or without diacritics, definite or indefinite form, small typos forgiven).",
    )
    invite.add_argument("--role", required=True, choices=["chair", "coordinator", "admin"])
    invite.add_argument("--municipality", help="for --role chair: the municipality")
    invite.add_argument("--county", help="for --role coordinator: the county")
    invite.add_argument("--bot-username", help="the bot's @username, if the bot has never run")

    qr = commands.add_parser(
        "qr",
        help="write a municipality's enrolment QR code (PNG) and print its link",
        description="Write the QR code of a municipality's enrolment link as a PNG and print "
        "the link: whoever opens it registers with that municipality already chosen. The "
        "name is matched as members type it (with or without diacritics, definite or "
        "indefinite form, small typos forgiven).",
    )
    qr.add_argument("--municipality", required=True, help="the municipality")
    qr.add_argument("--out", help="the PNG file to write (default: the link's code, korce.png)")
    qr.add_argument("--bot-username", help="the bot's @username, if the bot has never run")

    from bot.export_cli import add_command as add_export_command

    add_export_command(commands)
    from bot.announce_cli import add_command as add_announce_command

    add_announce_command(commands)
    from bot.audit_cli import add_command as add_audit_command

    add_audit_command(commands)

    commands.add_parser("roles", help="list active roles", description="List active roles.")
    role = commands.add_parser("role", help="change a role", description="Change a role.")
    role_commands = role.add_subparsers(dest="role_command", metavar="ACTION", required=True)
    revoke = role_commands.add_parser(
        "revoke",
        help="revoke a role at once (id from 'roles')",
        description="Revoke a role at once.",
    )
    revoke.add_argument("role_id", type=int)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_logging(logging.WARNING)
    try:
        settings = load_settings()
    except ValidationError as error:
        print(describe_error(error), file=sys.stderr)
        return 2
    configure_logging(logging.WARNING, secrets=[settings.telegram_bot_token or ""])
    try:
        return _dispatch(settings, args)
    except KeyboardInterrupt:
        # Ctrl-C before the command's own handler is in place (while importing, say): no
        # traceback, and the exit code a shell gives an interrupted command.
        return 130
    except Exception as error:
        # A mistake at start (bad DATABASE_URL, refused token, no network): one line, not a
        # traceback. Anything not recognised is a bug and keeps its traceback.
        from bot.startup import explain

        failure = explain(error, settings)
        if failure is None:
            raise
        print(failure.message, file=sys.stderr)
        return failure.exit_code


def _dispatch(settings: Settings, args: argparse.Namespace) -> int:
    if args.command == "demo":
        from bot.demo import run_demo

        demo = run_demo(settings, database=args.database, fresh=args.fresh, practice=args.practice)
        return asyncio.run(demo)
    if args.command == "run":
        return _run(settings)
    if args.command == "db" and args.db_command in ("backup", "restore"):
        from bot.backup_cli import run as run_backup

        return run_backup(settings, args)
    from bot import admin_cli

    return asyncio.run(admin_cli.dispatch(settings, args))


def _run(settings: Settings) -> int:
    if not settings.telegram_bot_token:
        print(
            "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and put it in the "
            "environment or .env. To try Regjistri without one, run: regjistri demo",
            file=sys.stderr,
        )
        return 2
    from bot.runtime import Runner
    from storage.schema import needs_upgrade, upgrade

    # INFO for our own lines; configure_logging keeps httpx (whose URLs hold the token) quiet.
    configure_logging(logging.INFO, secrets=[settings.telegram_bot_token])
    runner = Runner(settings)

    async def run_until_signalled() -> None:
        # SIGINT/SIGTERM stop the runner gracefully: updates in hand are finished, the
        # outbox's in-flight sends complete, nothing half-done is left behind.
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        log = logging.getLogger("regjistri")
        try:
            # Migrated here rather than silently in runner.start(), to say so in the log
            # (after the start: a start that fails prints one line, its reason, and no more).
            migrated = await needs_upgrade(runner.database.url)
            if migrated:
                await upgrade(runner.database.url)
            # A failed start (refused token, no network) is stopped too, so the engine and
            # the HTTP client are closed before main() prints its one line.
            application = await runner.start()
            if migrated:
                log.info("database created or migrated to the current schema")
            log.info("running as @%s", application.bot.username)
            await stop.wait()
        finally:
            await runner.stop()

    asyncio.run(run_until_signalled())
    return 0


def invite_ttl(settings: Settings) -> timedelta:
    return timedelta(hours=settings.invite_ttl_hours)
