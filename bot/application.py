"""The application: built here, started here, read top to bottom.

`build_application` is the factory the CLI, the demo, the tests and the benchmark all use
(nothing is created at import time, style.md §1); `on_start` is what happens once when it
starts (admins from configuration, the bot's username, the menus, the periodic jobs).
The runtime (bot/runtime.py) calls both.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from telegram.ext import ApplicationBuilder, ContextTypes

from bot.sending.pacer import Pacer
from bot.telegram_http import AiohttpRequest
from domain.clock import Clock
from domain.places import MunicipalityMatcher
from handlers.commands import set_chat_commands
from handlers.context import BotContext, RegjistriApplication
from storage import audit, inbox
from storage.accounts import language_of
from storage.db import Database
from storage.geography import list_places
from storage.models import Setting
from storage.roles import active_roles, sync_config_admins
from usecases.alerts import check as check_alerts
from usecases.announcements import tick as announcements_tick
from usecases.config import Settings
from usecases.reminders import run_reminders
from usecases.retention import sweep
from usecases.role_end import role_ended
from usecases.services import Services

log = logging.getLogger(__name__)
# Where the CLI finds the bot's username (it prints invite links without Telegram).
BOT_USERNAME_KEY = "bot_username"
# Read timeout of a long poll must exceed the poll's own timeout.
LONG_POLL_SECONDS = 10


def build_application(
    settings: Settings, database: Database, *, clock: Clock | None = None
) -> RegjistriApplication:
    """A configured python-telegram-bot Application with Regjistri's handlers.

    The Application has no Updater: `bot.runtime.Runner` fetches updates itself and stores
    each one in the inbox before confirming it (design §9).
    """
    from handlers.registry import register

    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is required to build the application")
    services = Services(settings=settings, database=database, clock=clock or Clock())
    base = settings.telegram_api_url.rstrip("/")
    application = (
        ApplicationBuilder()
        .application_class(RegjistriApplication, kwargs={"services": services})
        .token(settings.telegram_bot_token)
        .base_url(base)
        .base_file_url(base.removesuffix("/bot") + "/file/bot")
        .updater(None)
        .context_types(ContextTypes(context=BotContext))
        .post_init(_load_reference_data)
        .rate_limiter(pacer_for(settings))
        # aiohttp under PTB, not httpx: the same calls for less CPU (bot/telegram_http.py).
        .request(
            AiohttpRequest(
                # Paced calls, press answers and the outbox at once, under slow answers too.
                connection_pool_size=max(32, settings.concurrent_updates * 4),
                read_timeout=settings.bot_api_timeout_seconds,
                write_timeout=settings.bot_api_timeout_seconds,
                connect_timeout=settings.bot_api_timeout_seconds,
                pool_timeout=5.0,
            )
        )
        .get_updates_request(
            AiohttpRequest(
                read_timeout=LONG_POLL_SECONDS + 10,
                write_timeout=settings.bot_api_timeout_seconds,
                connect_timeout=settings.bot_api_timeout_seconds,
            )
        )
        .build()
    )
    register(application)
    return application  # type: ignore[return-value]


def pacer_for(settings: Settings) -> Pacer:
    """The bot's one sending path (every paced call of the bot goes through it)."""
    return Pacer(
        rate_per_second=settings.send_rate_per_second,
        per_chat_interval=settings.send_per_chat_interval_seconds,
        per_chat_burst=settings.send_per_chat_burst,
        deadline=settings.reply_deadline_seconds,
        paid_rate_per_second=settings.paid_broadcast_rate_per_second,
    )


async def _load_reference_data(application: RegjistriApplication) -> None:  # type: ignore[misc]
    """Municipalities are fixed reference data: read once, match in memory."""
    services = application.services
    async with services.database.read() as session:
        places = await list_places(session)
    services.places = {place.id: place for place in places}
    services.matcher = MunicipalityMatcher(places)


# --- once at start ---------------------------------------------------------------------------


async def on_start(application: RegjistriApplication) -> None:
    services = application.services
    now = services.clock.now()
    async with services.database.write() as session:
        granted, revoked = await sync_config_admins(session, services.settings.admin_ids, now)
        for role, was_granted in [(r, True) for r in granted] + [(r, False) for r in revoked]:
            await audit.role_changed(
                session,
                at=now,
                actor_id=None,
                role_id=role.id,
                granted=was_granted,
                via="ADMIN_IDS",
            )
            if not was_granted:
                await role_ended(session, services, role)
        # The CLI prints invite links without talking to Telegram: it reads the name here.
        await session.merge(Setting(key=BOT_USERNAME_KEY, value=application.bot.username))
        menus = []
        for telegram_id in services.settings.admin_ids:
            kinds = [r.kind for r in await active_roles(session, telegram_id)]
            language = await language_of(session, telegram_id, services.settings.default_language)
            menus.append((telegram_id, language, kinds))
    for telegram_id, language, kinds in menus:
        await set_chat_commands(application, telegram_id, language, kinds)
    if application.job_queue is not None:
        interval = timedelta(minutes=services.settings.reminder_check_minutes)
        application.job_queue.run_repeating(
            _reminders_job, interval=interval, first=5, name="reminders"
        )
        application.job_queue.run_repeating(
            _purge_job, interval=timedelta(hours=1), first=60, name="inbox-purge"
        )
        application.job_queue.run_repeating(
            _alerts_job,
            interval=timedelta(seconds=services.settings.alert_check_seconds),
            first=30,
            name="alerts",
        )
        application.job_queue.run_repeating(
            _announcements_job,
            interval=timedelta(seconds=services.settings.announcement_check_seconds),
            first=1,
            name="announcements",
        )
        application.job_queue.run_repeating(
            _retention_job,
            interval=timedelta(hours=services.settings.retention_check_hours),
            first=120,
            name="retention",
        )


async def _reminders_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    assert isinstance(context, BotContext)
    await run_reminders(context.services)


async def _alerts_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    assert isinstance(context, BotContext)
    await check_alerts(context.services)


async def _announcements_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    assert isinstance(context, BotContext)
    await announcements_tick(context.services)


async def _retention_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    assert isinstance(context, BotContext)
    swept = await sweep(context.services)
    log.info(
        "retention: %d closed entries, %d drafts erased; %d finished messages blanked",
        swept.entries,
        swept.drafts,
        swept.deliveries,
    )


async def _purge_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    assert isinstance(context, BotContext)
    async with context.db.write() as session:
        removed = await inbox.purge(session, datetime.now(UTC), timedelta(days=1))
    log.info("purged %d handled updates", removed)
