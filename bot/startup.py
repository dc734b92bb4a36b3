"""One line instead of a traceback when a command cannot start: what is wrong, how to fix it.

A mistyped DATABASE_URL or token used to end in 35 to 117 lines of traceback that an operator
had to read from the bottom. `explain` turns the mistakes people make at start into one line.
Exit codes: 2 when the configuration must change (the same as a malformed variable), 1 when
the configuration may be right and something outside is not there yet (no network, the
database server down): starting again later can work, and a supervisor may retry on 1.

Nothing here prints the token: the lines are written by us, and the one place a library's
text is quoted is passed through `_redact` as well.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from telegram.error import BadRequest, InvalidToken, NetworkError

from storage.db import sqlite_file_path
from storage.schema import UnknownRevision
from usecases.config import TELEGRAM_API_URL, Settings

#: The configuration must change before a new start can work.
CONFIG_ERROR: Final = 2
#: Something outside (network, database server) is missing; a later start may work.
UNAVAILABLE: Final = 1

URL_EXAMPLES = "sqlite+aiosqlite:///data/regjistri.sqlite3 or postgresql+asyncpg://user@host/db"
#: Database drivers that are optional extras, and how to install them.
DRIVER_EXTRAS: Final = {"asyncpg": "pip install -e '.[postgres]'"}


@dataclass(frozen=True, slots=True)
class Failure:
    """The line to print and the exit code."""

    message: str
    exit_code: int


def explain(error: BaseException, settings: Settings) -> Failure | None:
    """The one-line explanation of a start-up mistake; None for anything else (a bug)."""
    for cause in _chain(error):
        failure = _explain_one(cause, settings)
        if failure is not None:
            secret = settings.telegram_bot_token
            return Failure(_redact(failure.message, secret), failure.exit_code)
    return None


def _chain(error: BaseException) -> list[BaseException]:
    """The error and its explicit causes (`raise … from …`), outermost first."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__
    return seen


def _explain_one(error: BaseException, settings: Settings) -> Failure | None:
    url = settings.resolved_database_url()
    if isinstance(error, NoSuchModuleError):
        return Failure(
            f"DATABASE_URL names a database driver that does not exist ({_driver(url)}): "
            f"use {URL_EXAMPLES}",
            CONFIG_ERROR,
        )
    if isinstance(error, ArgumentError):
        return Failure(f"DATABASE_URL is not a database URL: use {URL_EXAMPLES}", CONFIG_ERROR)
    if isinstance(error, ModuleNotFoundError) and error.name in DRIVER_EXTRAS:
        return Failure(
            f"DATABASE_URL needs the Python package {error.name}: {DRIVER_EXTRAS[error.name]}",
            CONFIG_ERROR,
        )
    if isinstance(error, UnknownRevision):
        return Failure(f"Cannot use the database ({_safe(url)}): {error}", CONFIG_ERROR)
    if isinstance(error, InvalidToken):
        where = "" if settings.telegram_api_url == TELEGRAM_API_URL else " at TELEGRAM_API_URL"
        return Failure(
            f"The Bot API{where} refused TELEGRAM_BOT_TOKEN: copy the token again from "
            "@BotFather (it looks like 123456789:AAE…) into the environment or .env",
            CONFIG_ERROR,
        )
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        return Failure(
            f"Cannot reach the Telegram Bot API at {_host(settings.telegram_api_url)} "
            f"({error}): check the network connection or TELEGRAM_API_URL, then start again",
            UNAVAILABLE,
        )
    if isinstance(error, DBAPIError):
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        return Failure(
            f"Cannot open the database ({_safe(url)}): {reason}. Check DATABASE_URL and that "
            "the database (server) is there",
            UNAVAILABLE,
        )
    if isinstance(error, OSError) and _is_database_path(error.filename, url):
        return Failure(
            f"Cannot create or open {error.filename}: {error.strerror}. Check the directory "
            "or choose another DATABASE_URL",
            CONFIG_ERROR,
        )
    if isinstance(error, ConnectionError | TimeoutError | socket.gaierror):
        return Failure(
            f"Cannot reach the database ({_safe(url)}): {error}. Check DATABASE_URL and that "
            "the database server is running",
            UNAVAILABLE,
        )
    return None


def _is_database_path(filename: object, url: str) -> bool:
    """Whether a failed file operation was on the SQLite file or one of its directories."""
    if not isinstance(filename, str | Path):
        return False
    try:
        path = sqlite_file_path(url)
    except ArgumentError:
        return False
    if path is None:
        return False
    failed = Path(filename).absolute()
    return failed == path.absolute() or failed in path.absolute().parents


def _driver(url: str) -> str:
    try:
        return make_url(url).drivername
    except ArgumentError:
        return "?"


def _safe(url: str) -> str:
    """The URL without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "DATABASE_URL"


def _host(api_url: str) -> str:
    """Scheme and host of the Bot API URL (the token is appended to its path, never here)."""
    scheme, _, rest = api_url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0].rpartition('@')[2]}"


def _redact(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text
