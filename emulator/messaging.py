"""Bot API methods that put new messages on screen: send, copy, forward.

Each ``api_<method>`` takes the decoded parameters and returns the ``result`` Telegram would
send, raising ``ApiError`` with Telegram's wording where the real server refuses: malformed
markup, overlong text, unknown chats, replies to messages that do not exist.
"""

from __future__ import annotations

import copy
from typing import Any

from emulator.faults import bad_request
from emulator.formatting import EntityParseError, render
from emulator.models import SentMessage, parse_inline_keyboard
from emulator.params import UploadedFile, require
from emulator.state import EmulatorState, Method, StoredFile, now

_CONTENT_KEYS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "photo",
    "document",
    "sticker",
    "voice",
    "audio",
    "video",
    "location",
    "contact",
)
_INLINE_ACTIONS = frozenset(
    {
        "callback_data",
        "url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "web_app",
        "login_url",
        "callback_game",
        "pay",
        "copy_text",
    }
)


def _rows(markup: dict[str, Any], key: str) -> list[list[Any]]:
    rows = markup.get(key)
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{key}" of the reply markup must be an Array of Arrays')
    return rows


def check_markup(markup: Any) -> None:
    """Reject the reply markups Telegram would reject (the ones that bite in production)."""
    if markup is None:
        return
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        for row in _rows(markup, "inline_keyboard"):
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise bad_request("BUTTON_TEXT_INVALID")
                if not _INLINE_ACTIONS & button.keys():
                    raise bad_request("text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
    elif "keyboard" in markup:
        for row in _rows(markup, "keyboard"):
            for button in row:
                text = button.get("text") if isinstance(button, dict) else button
                if not text or not isinstance(text, str):
                    raise bad_request("BUTTON_TEXT_INVALID")
    elif not (markup.get("remove_keyboard") or markup.get("force_reply")):
        raise bad_request("can't parse reply keyboard markup JSON object")


# -- helpers ----------------------------------------------------------------------------


def target_chat(state: EmulatorState, params: dict[str, Any], name: str = "chat_id") -> int:
    chat_id = require(params, name)
    state.chat(chat_id)
    return int(chat_id)


def _render(
    text: str, parse_mode: str | None, entities: Any, *, limit: int, caption: bool
) -> tuple[str, list[dict[str, Any]]]:
    try:
        plain, parsed = render(str(text), parse_mode)
    except EntityParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from exc
    if isinstance(entities, list) and not parse_mode:
        parsed = entities
    if len(plain) > limit:
        raise bad_request("message caption is too long" if caption else "message is too long")
    return plain, parsed


def text_of(state: EmulatorState, params: dict[str, Any]) -> tuple[str, str, list[dict[str, Any]]]:
    source = str(params.get("text") or "")
    plain, entities = _render(
        source, params.get("parse_mode"), params.get("entities"), limit=4096, caption=False
    )
    if not plain.strip():
        raise bad_request("message text is empty")
    return source, plain, entities


def apply_caption(
    state, raw: dict[str, Any], params: dict[str, Any]
) -> tuple[str | None, str | None]:
    source = params.get("caption")
    if source is None:
        return None, None
    plain, entities = _render(
        str(source),
        params.get("parse_mode"),
        params.get("caption_entities"),
        limit=1024,
        caption=True,
    )
    raw.pop("caption", None)
    raw.pop("caption_entities", None)
    if plain:
        raw["caption"] = plain
    if entities:
        raw["caption_entities"] = entities
    return str(source), plain or None


def _reply_to(state: EmulatorState, chat_id: int, params: dict[str, Any]) -> dict[str, Any] | None:
    spec = params.get("reply_parameters")
    if not spec and params.get("reply_to_message_id") is not None:
        spec = {"message_id": params["reply_to_message_id"]}
    if not isinstance(spec, dict) or spec.get("message_id") is None:
        return None
    target_chat = spec.get("chat_id", chat_id)
    if not isinstance(target_chat, int):
        raise bad_request("chat not found")
    target = state.stored_message(target_chat, int(spec["message_id"]))
    if target is None:
        if spec.get("allow_sending_without_reply") or params.get("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")
    quoted = copy.deepcopy(target)
    quoted.pop("reply_to_message", None)
    return quoted


def _new_message(state: EmulatorState, chat_id: int, params: dict[str, Any]) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "message_id": state.next_message_id(chat_id),
        "from": state.bot_user(),
        "chat": dict(state.chat(chat_id)),
        "date": now(),
    }
    reply_to = _reply_to(state, chat_id, params)
    if reply_to is not None:
        raw["reply_to_message"] = reply_to
    return raw


def _deliver(
    state,
    raw: dict[str, Any],
    *,
    kind: str,
    text: str | None,
    source_text: str | None,
    params: dict[str, Any],
) -> dict[str, Any]:
    markup = params.get("reply_markup")
    chat_id = raw["chat"]["id"]
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        raw["reply_markup"] = markup
    state.store_message(raw)
    sent = SentMessage(
        message_id=raw["message_id"],
        chat_id=chat_id,
        text=text,
        kind=kind,
        parse_mode=params.get("parse_mode"),
        inline_keyboard=parse_inline_keyboard(markup),
        reply_markup=markup,
        edits=0,
        date=raw["date"],
        raw=raw,
        source_text=source_text,
        reply_to=raw.get("reply_to_message", {}).get("message_id"),
    )
    state._sent[(chat_id, sent.message_id)] = sent
    state.messages(chat_id).append(sent)
    if isinstance(markup, dict) and "keyboard" in markup:
        state._reply_keyboards[chat_id] = markup
    elif isinstance(markup, dict) and markup.get("remove_keyboard"):
        state._reply_keyboards.pop(chat_id, None)
    state.chat_signal(chat_id).fire()
    return raw


def _file_for(
    state, params: dict[str, Any], name: str, *, file_name: str | None, mime: str | None
) -> StoredFile:
    value = require(params, name)
    if isinstance(value, str) and value.startswith("attach://"):
        value = params.get(value.removeprefix("attach://"), value)
    if isinstance(value, UploadedFile):
        return state.register_file(
            name,
            value.data,
            file_name=value.filename or file_name,
            mime_type=value.content_type or mime,
        )
    value = str(value)
    known = state.file(value)
    if known is not None:
        return known
    if value.startswith(("http://", "https://")):
        return state.register_file(name, file_name=value.rsplit("/", 1)[-1], mime_type=mime)
    # Unknown file_id strings are accepted: tests often invent them.
    return state.register_file(name, file_name=file_name, mime_type=mime, file_id=value)


# -- sending ----------------------------------------------------------------------------


def send_message(state: EmulatorState, params: dict[str, Any]) -> dict[str, Any]:
    chat_id = target_chat(state, params)
    source, plain, entities = text_of(state, params)
    check_markup(params.get("reply_markup"))
    raw = _new_message(state, chat_id, params)
    raw["text"] = plain
    if entities:
        raw["entities"] = entities
    return _deliver(state, raw, kind="text", text=plain, source_text=source, params=params)


def send_photo(state: EmulatorState, params: dict[str, Any]) -> dict[str, Any]:
    chat_id = target_chat(state, params)
    check_markup(params.get("reply_markup"))
    stored = _file_for(state, params, "photo", file_name=None, mime="image/jpeg")
    raw = _new_message(state, chat_id, params)
    raw["photo"] = [
        {**stored.meta(), "width": 90, "height": 90},
        {**stored.meta(), "width": 1280, "height": 960},
    ]
    source, plain = apply_caption(state, raw, params)
    return _deliver(state, raw, kind="photo", text=plain, source_text=source, params=params)


def send_document(state: EmulatorState, params: dict[str, Any]) -> dict[str, Any]:
    chat_id = target_chat(state, params)
    check_markup(params.get("reply_markup"))
    stored = _file_for(state, params, "document", file_name="document", mime=None)
    raw = _new_message(state, chat_id, params)
    document = stored.meta()
    if stored.file_name:
        document["file_name"] = stored.file_name
    if stored.mime_type:
        document["mime_type"] = stored.mime_type
    raw["document"] = document
    source, plain = apply_caption(state, raw, params)
    return _deliver(state, raw, kind="document", text=plain, source_text=source, params=params)


def _duplicate(state: EmulatorState, params: dict[str, Any], kind: str) -> dict[str, Any]:
    chat_id = target_chat(state, params)
    source_chat = require(params, "from_chat_id")
    state.chat(source_chat)
    original = state.stored_message(source_chat, int(require(params, "message_id")))
    if original is None:
        raise bad_request(f"message to {kind} not found")
    check_markup(params.get("reply_markup"))
    raw = _new_message(state, chat_id, params)
    for key in _CONTENT_KEYS:
        if key in original:
            raw[key] = copy.deepcopy(original[key])
    source: str | None = None
    if kind == "forward":
        raw["forward_origin"] = {
            "type": "user",
            "sender_user": original.get("from", state.bot_user()),
            "date": original["date"],
        }
    elif "text" not in raw:
        source, _ = apply_caption(state, raw, params)
    text = raw.get("text", raw.get("caption"))
    return _deliver(state, raw, kind=kind, text=text, source_text=source or text, params=params)


def copy_message(state: EmulatorState, params: dict[str, Any]) -> dict[str, Any]:
    return {"message_id": _duplicate(state, params, "copy")["message_id"]}


def forward_message(state: EmulatorState, params: dict[str, Any]) -> dict[str, Any]:
    return _duplicate(state, params, "forward")


#: The Bot API methods this module answers, by their Bot API name.
METHODS: dict[str, Method] = {
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "sendDocument": send_document,
    "copyMessage": copy_message,
    "forwardMessage": forward_message,
}
