"""The command menu, per language and per role (setMyCommands with scopes)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import Application

from domain.i18n import N_, _, use_language


@dataclass(frozen=True)
class Command:
    """One command: its names, the words people guess for it, and who sees it in the menu.

    The one table of commands: the menus (below) and the handler registry
    (handlers/registry.py, which maps each `key` to its callback) both read it.
    """

    sq: str  # the Albanian name, shown in Albanian menus
    en: str  # the English name, shown in English menus
    description: str  # N_-marked, translated when a menu is built
    roles: frozenset[str] | None = None  # who sees it in the menu; None: everyone
    aliases: tuple[str, ...] = ()  # accepted, never shown
    in_menu: bool = True

    @property
    def key(self) -> str:
        return self.en

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.sq, self.en, *self.aliases)))


OFFICERS = frozenset({"chair", "coordinator", "admin"})

# In menu order. Aliases: the correct spelling of help (ndihmë → ndihma), a common
# misspelling of anulo, other words people use for status and pending.
COMMANDS: tuple[Command, ...] = (
    Command("start", "start", N_("Join the register or continue")),
    Command("statusi", "status", N_("Where my application stands"), aliases=("gjendja",)),
    Command("te_dhenat", "mydata", N_("My data: see, download, who looked")),
    Command("fshij", "delete", N_("Delete my data from the register")),
    Command("privatesia", "privacy", N_("How my data is protected")),
    Command(
        "ne_pritje",
        "pending",
        N_("Applications waiting for a decision"),
        OFFICERS,
        aliases=("pritje",),
    ),
    Command("kerko", "search", N_("Find a member by name or phone"), OFFICERS),
    Command("eksporto", "export", N_("The register as a file (CSV)"), OFFICERS),
    Command("auditimi", "audit", N_("Who did what (the audit)"), frozenset({"admin"})),
    Command("njoftim", "announce", N_("Send an announcement to a structure"), OFFICERS),
    Command("njoftimet", "announcements", N_("Recent announcements and their figures"), OFFICERS),
    Command("statistika", "stats", N_("Figures and a chart of the register"), OFFICERS),
    Command("ftese", "invite", N_("Invite a branch chair or a coordinator"), frozenset({"admin"})),
    Command("qr", "qr", N_("Registration link and QR code"), OFFICERS, aliases=("lidhja",)),
    Command("anulo", "cancel", N_("Cancel what is in progress"), aliases=("anullo",)),
    Command("gjuha", "language", N_("Shqip / English")),
    Command("ndihme", "help", N_("What I can do"), aliases=("ndihma",)),
    # Not in the menu: offered inside the registration dialogue only.
    Command("lista", "list", "", in_menu=False),
)


def menu(language: str, roles: Iterable[str] = ()) -> list[BotCommand]:
    """The commands a person with these roles sees, named in their language."""
    held = set(roles)
    with use_language(language):
        return [
            BotCommand(command.sq if language == "sq" else command.en, _(command.description))
            for command in COMMANDS
            if command.in_menu and (command.roles is None or command.roles & held)
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
