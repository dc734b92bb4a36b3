"""Decoding Bot API request parameters the way Telegram does.

python-telegram-bot posts ``application/x-www-form-urlencoded`` (or ``multipart/form-data``
when uploading) where strings go as-is and every other value is JSON-dumped, so ``chat_id``
arrives as ``"1001"`` and ``reply_markup`` as a JSON string. Other clients send a JSON body
or a query string. All of them normalise here into one dict of natural Python values, which is
also what ``emu.calls`` records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from emulator.faults import bad_request

_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "scope",
        "commands",
        "reply_parameters",
        "link_preview_options",
        "allowed_updates",
        "menu_button",
        "entities",
        "caption_entities",
        "media",
    }
)
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "offset",
        "limit",
        "user_id",
        "cache_time",
        "reply_to_message_id",
        "message_thread_id",
        "max_connections",
    }
)
_FLOAT_FIELDS = frozenset({"timeout", "latitude", "longitude"})
_BOOL_FIELDS = frozenset(
    {
        "show_alert",
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "allow_sending_without_reply",
        "disable_web_page_preview",
        "show_caption_above_media",
        "has_spoiler",
        "disable_content_type_detection",
        "allow_paid_broadcast",
    }
)


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file posted as a multipart part; kept opaque, served back by the file endpoint."""

    filename: str
    content_type: str
    data: bytes


def coerce(name: str, value: Any) -> Any:
    """Turn one wire value into the Python value Telegram would have understood."""
    if not isinstance(value, str):
        return value
    try:
        if name in _JSON_FIELDS:
            return json.loads(value)
        if name in _INT_FIELDS:
            if name.endswith("chat_id") and value.startswith("@"):
                return value  # a public @username; no such chat exists here
            return int(value)
        if name in _FLOAT_FIELDS:
            return float(value)
    except ValueError as exc:
        raise bad_request(f"can't parse {name} value {value!r}") from exc
    if name in _BOOL_FIELDS:
        return value.strip().lower() in ("true", "1")
    return value


async def read_params(request: web.Request) -> dict[str, Any]:
    """All parameters of a call: query string, then the body (JSON, form or multipart)."""
    params: dict[str, Any] = dict(request.query)
    content_type = request.content_type
    if request.can_read_body:
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise bad_request("can't parse JSON body") from exc
            if not isinstance(body, dict):
                raise bad_request("JSON body must be an object")
            params.update(body)
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    params[key] = UploadedFile(
                        filename=value.filename,
                        content_type=value.content_type,
                        data=value.file.read(),
                    )
                else:
                    params[key] = value
    return {key: coerce(key, value) for key, value in params.items()}


def require(params: dict[str, Any], name: str) -> Any:
    """A mandatory parameter, or the 400 Telegram gives when it is missing."""
    value = params.get(name)
    if value is None or value == "":
        raise bad_request(f"{name} is empty")
    return value
