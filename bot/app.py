"""The application factory: the CLI, the demo, the tests and the benchmark all build the bot here.

Nothing is created at import time (style.md §1).
"""

from __future__ import annotations

from telegram.ext import ApplicationBuilder, ContextTypes

from bot.sending.pacer import Pacer
from domain.clock import Clock
from domain.places import MunicipalityMatcher
from handlers.context import BotContext, RegjistriApplication, Services
from storage.db import Database
from storage.geography import list_places
from usecases.config import Settings

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
        .get_updates_read_timeout(LONG_POLL_SECONDS + 10)
        .rate_limiter(pacer_for(settings))
        .read_timeout(settings.bot_api_timeout_seconds)
        .write_timeout(settings.bot_api_timeout_seconds)
        .connect_timeout(settings.bot_api_timeout_seconds)
        # Paced calls, press answers and the outbox at once, under slow answers too.
        .connection_pool_size(max(32, settings.concurrent_updates * 4))
        .pool_timeout(5.0)
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
    )


async def _load_reference_data(application: RegjistriApplication) -> None:  # type: ignore[misc]
    """Municipalities are fixed reference data: read once, match in memory."""
    services = application.services
    async with services.database.read() as session:
        places = await list_places(session)
    services.places = {place.id: place for place in places}
    services.matcher = MunicipalityMatcher(places)
