"""The application factory: the CLI, the demo, the tests and the benchmark all build the bot here.

Nothing is created at import time (style.md §1).
"""

from __future__ import annotations

from telegram.ext import ApplicationBuilder, ContextTypes

from bot.clock import Clock
from bot.config import Settings
from bot.context import BotContext, RegjistriApplication, Services
from bot.domain.places import MunicipalityMatcher
from storage.db import Database
from storage.geography import list_places

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
        .connection_pool_size(max(8, settings.concurrent_updates * 2))
        .build()
    )
    register(application)
    return application  # type: ignore[return-value]


async def _load_reference_data(application: RegjistriApplication) -> None:  # type: ignore[misc]
    """Municipalities are fixed reference data: read once, match in memory."""
    services = application.services
    async with services.database.read() as session:
        places = await list_places(session)
    services.places = {place.id: place for place in places}
    services.matcher = MunicipalityMatcher(places)
