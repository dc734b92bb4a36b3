"""The command menu, per language and per role (setMyCommands with scopes)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import Application

from domain.i18n import N_, _, use_language

# (Albanian name, English name, description, roles that see it; None = everyone).
COMMANDS: tuple[tuple[str, str, str, frozenset[str] | None], ...] = (
    ("start", "start", N_("Join the register or continue"), None),
    ("statusi", "status", N_("Where my application stands"), None),
    (
        "ne_pritje",
        "pending",
        N_("Applications waiting for a decision"),
        frozenset({"chair", "coordinator", "admin"}),
    ),
    ("ftese", "invite", N_("Invite a branch chair or a coordinator"), frozenset({"admin"})),
    (
        "qr",
        "qr",
        N_("Registration link and QR code"),
        frozenset({"chair", "coordinator", "admin"}),
    ),
    ("anulo", "cancel", N_("Cancel what is in progress"), None),
    ("gjuha", "language", N_("Shqip / English"), None),
    ("ndihme", "help", N_("What I can do"), None),
)


def menu(language: str, roles: Iterable[str] = ()) -> list[BotCommand]:
    """The commands a person with these roles sees, named in their language."""
    held = set(roles)
    with use_language(language):
        return [
            BotCommand(sq if language == "sq" else en, _(description))
            for sq, en, description, needs in COMMANDS
            if needs is None or needs & held
        ]


async def set_default_commands(application: Application) -> None:  # type: ignore[type-arg]
    """Everyone's menu: Albanian by default, English for English-language Telegram apps."""
    bot = application.bot
    await bot.set_my_commands(menu("sq"), scope=BotCommandScopeDefault())
    await bot.set_my_commands(menu("en"), scope=BotCommandScopeDefault(), language_code="en")


async def set_chat_commands(
    application: Application,  # type: ignore[type-arg]
    chat_id: int,
    language: str,
    roles: Iterable[str] = (),
) -> None:
    """One person's menu: their chosen language and what their roles allow."""
    # The menu is a convenience; the commands work without it.
    with contextlib.suppress(TelegramError):
        await application.bot.set_my_commands(
            menu(language, roles), scope=BotCommandScopeChat(chat_id)
        )
