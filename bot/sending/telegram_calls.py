"""One outbox delivery as a Bot API call: the stored payload turned back into PTB's typed
arguments, the call made, and its answer (or error) classified for the sender to record.

No transaction is open while these run; `bot.sending.outbox_sender.OutboxSender` claims
before and records after.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import telegram
from telegram import (
    ForceReply,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    MessageEntity,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter

from bot.sending.pacer import BULK, NOTIFY, Pace, retry_after_seconds
from storage import outbox

log = logging.getLogger(__name__)


def _markup(data: dict[str, Any], bot: telegram.Bot) -> Any:
    """The PTB object for a stored reply_markup dict (ExtBot inspects the object's type)."""
    if "inline_keyboard" in data:
        return InlineKeyboardMarkup.de_json(data, bot)
    if "keyboard" in data:
        return ReplyKeyboardMarkup.de_json(data, bot)
    if "remove_keyboard" in data:
        return ReplyKeyboardRemove.de_json(data, bot)
    if "force_reply" in data:
        return ForceReply.de_json(data, bot)
    return data


def call_kwargs(payload: dict[str, Any], bot: telegram.Bot) -> dict[str, Any]:
    """A stored JSON payload as keyword arguments for PTB's typed methods."""
    kwargs = dict(payload)
    if isinstance(kwargs.get("reply_markup"), dict):
        kwargs["reply_markup"] = _markup(kwargs["reply_markup"], bot)
    if isinstance(kwargs.get("link_preview_options"), dict):
        kwargs["link_preview_options"] = LinkPreviewOptions.de_json(
            kwargs["link_preview_options"], bot
        )
    if isinstance(kwargs.get("reply_parameters"), dict):
        kwargs["reply_parameters"] = ReplyParameters.de_json(kwargs["reply_parameters"], bot)
    for key in ("entities", "caption_entities"):
        if isinstance(kwargs.get(key), list):
            kwargs[key] = MessageEntity.de_list(kwargs[key], bot)
    return kwargs


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed row, copied out of the session so no ORM object outlives its transaction."""

    id: int
    chat_id: int
    method: str
    payload: dict[str, Any]
    attempts: int
    priority: int = 0
    # For edits: the original's status and message id at claim time.
    original: tuple[int, str, int | None] | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: str  # sent | rate_limited | unreachable | failed | transient
    message_id: int | None = None
    error: str = ""
    retry_after: float = 0.0


def pace_of(priority: int, max_wait: float) -> Pace:
    """How the pacer serves a row: announcements (priority below zero) after everything else."""
    return {
        "priority": BULK if priority < 0 else NOTIFY,
        "max_wait": max_wait,
        "retry_transient": False,
    }


async def call_telegram(bot: telegram.Bot, job: Job, *, max_wait: float) -> Outcome:
    """The Bot API call through the bot's pacer, its answer classified; no transaction open.

    The pacer waits out 429s up to `max_wait`; 5xx and timeouts come back here, where the
    row's durable backoff handles them.
    """
    try:
        kwargs = call_kwargs(job.payload, bot)
        kwargs["rate_limit_args"] = pace_of(job.priority, max_wait)
        if job.method == "sendMessage":
            message = await bot.send_message(chat_id=job.chat_id, **kwargs)
            return Outcome("sent", message_id=message.message_id)
        if job.method == "copyMessage":
            copied = await bot.copy_message(chat_id=job.chat_id, **kwargs)
            return Outcome("sent", message_id=copied.message_id)
        if job.method == "editMessageText":
            original_id, status, message_id = job.original or (None, "missing", None)
            if status != outbox.SENT or message_id is None:
                return Outcome("failed", error=f"original delivery {original_id} {status}")
            try:
                await bot.edit_message_text(chat_id=job.chat_id, message_id=message_id, **kwargs)
            except BadRequest as error:
                if "message is not modified" not in error.message.lower():
                    raise
            return Outcome("sent", message_id=message_id)
        return Outcome("failed", error=f"unsupported method {job.method}")
    except RetryAfter as error:
        return Outcome("rate_limited", retry_after=retry_after_seconds(error))
    except Forbidden as error:
        return Outcome("unreachable", error=f"Forbidden: {error.message}")
    except BadRequest as error:
        return Outcome("failed", error=f"BadRequest: {error.message}")
    except (NetworkError, InvalidToken) as error:
        # 5xx, timeouts, connection errors; a bad token is fixed by a restart.
        return Outcome("transient", error=f"{type(error).__name__}: {error.message}")
    except telegram.error.TelegramError as error:
        return Outcome("failed", error=f"{type(error).__name__}: {error.message}")
    except (TypeError, ValueError) as error:
        # A payload PTB rejects; only the exception type, as str() may quote values.
        log.warning("outbox: delivery %s has an invalid payload", job.id)
        return Outcome("failed", error=f"invalid payload ({type(error).__name__})")
