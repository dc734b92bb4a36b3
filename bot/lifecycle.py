"""What happens once at start: admins from configuration, the bot's username, the jobs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from telegram.ext import ContextTypes

from handlers.commands import set_chat_commands
from handlers.context import BotContext, RegjistriApplication
from storage import audit, inbox
from storage.accounts import get_account
from storage.models import Setting
from storage.roles import active_roles, sync_config_admins
from usecases.reminders import run_reminders

log = logging.getLogger(__name__)
BOT_USERNAME_KEY = "bot_username"


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
        # The CLI prints invite links without talking to Telegram: it reads the name here.
        await session.merge(Setting(key=BOT_USERNAME_KEY, value=application.bot.username))
        menus = []
        for telegram_id in services.settings.admin_ids:
            account = await get_account(session, telegram_id)
            kinds = [r.kind for r in await active_roles(session, telegram_id)]
            language = account.language if account else services.settings.default_language
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


async def _reminders_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    assert isinstance(context, BotContext)
    await run_reminders(context.services)


async def _purge_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    assert isinstance(context, BotContext)
    async with context.db.write() as session:
        removed = await inbox.purge(session, datetime.now(UTC), timedelta(days=1))
    log.info("purged %d handled updates", removed)
