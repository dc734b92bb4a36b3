"""Bot API methods that change what is already on screen: edit and delete.

Telegram refuses an edit that changes nothing (400 "message is not modified"; PTB raises
BadRequest) and drops an inline keyboard when an edit omits ``reply_markup``; both are real
behaviours the bot has to cope with, so the emulator reproduces them.
"""

from __future__ import annotations

from typing import Any

from emulator.faults import bad_request
from emulator.messaging import apply_caption, check_markup, target_chat, text_of
from emulator.models import SentMessage, parse_inline_keyboard
from emulator.params import require
from emulator.state import EmulatorState, Method, now

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


def _editable(state: EmulatorState, params: dict[str, Any]) -> SentMessage:
    chat_id, message_id = params.get("chat_id"), params.get("message_id")
    if chat_id is None or message_id is None:
        raise bad_request("message identifier is not specified")
    state.chat(chat_id)
    sent = state._sent.get((chat_id, message_id))
    if sent is None or sent.deleted:
        if state.stored_message(chat_id, message_id) is not None:
            raise bad_request("message can't be edited")
        raise bad_request("message to edit not found")
    return sent


def _inline_only(params: dict[str, Any]) -> dict[str, Any] | None:
    markup = params.get("reply_markup")
    check_markup(markup)
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup or None


def _apply_edit(
    state,
    sent: SentMessage,
    fields: dict[str, Any],
    markup: dict[str, Any] | None,
    *,
    text: str | None,
    source_text: str | None,
    parse_mode: str | None,
) -> dict[str, Any]:
    current = {key: sent.raw.get(key) for key in fields} | {
        "reply_markup": sent.raw.get("reply_markup")
    }
    if current == {**fields, "reply_markup": markup}:
        raise bad_request(NOT_MODIFIED)
    for key, value in {**fields, "reply_markup": markup}.items():
        if value:
            sent.raw[key] = value
        else:
            sent.raw.pop(key, None)
    sent.raw["edit_date"] = now()
    sent.history.append(sent.text)
    sent.text, sent.source_text, sent.parse_mode = text, source_text, parse_mode
    sent.reply_markup = markup
    sent.inline_keyboard = parse_inline_keyboard(markup)
    sent.edits += 1
    state.chat_signal(sent.chat_id).fire()
    return sent.raw


def edit_message_text(state: EmulatorState, params: dict[str, Any]) -> dict[str, Any]:
    sent = _editable(state, params)
    if "text" not in sent.raw:
        raise bad_request("there is no text in the message to edit")
    source, plain, entities = text_of(state, params)
    markup = _inline_only(params)
    fields = {"text": plain, "entities": entities or None}
    return _apply_edit(
        state,
        sent,
        fields,
        markup,
        text=plain,
        source_text=source,
        parse_mode=params.get("parse_mode"),
    )


def edit_message_caption(state: EmulatorState, params: dict[str, Any]) -> dict[str, Any]:
    sent = _editable(state, params)
    if "text" in sent.raw:
        raise bad_request("there is no caption in the message to edit")
    markup = _inline_only(params)
    scratch: dict[str, Any] = {}
    source, plain = apply_caption(state, scratch, {**params, "caption": params.get("caption", "")})
    fields = {
        "caption": scratch.get("caption"),
        "caption_entities": scratch.get("caption_entities"),
    }
    return _apply_edit(
        state,
        sent,
        fields,
        markup,
        text=plain,
        source_text=source,
        parse_mode=params.get("parse_mode"),
    )


def edit_message_reply_markup(state: EmulatorState, params: dict[str, Any]) -> dict[str, Any]:
    sent = _editable(state, params)
    markup = _inline_only(params)
    return _apply_edit(
        state,
        sent,
        {},
        markup,
        text=sent.text,
        source_text=sent.source_text,
        parse_mode=sent.parse_mode,
    )


def delete_message(state: EmulatorState, params: dict[str, Any]) -> bool:
    chat_id = target_chat(state, params)
    message_id = int(require(params, "message_id"))
    if state._store.pop((chat_id, message_id), None) is None:
        raise bad_request("message to delete not found")
    sent = state._sent.get((chat_id, message_id))
    if sent is not None:
        sent.deleted = True
    state.chat_signal(chat_id).fire()
    return True


#: The Bot API methods this module answers, by their Bot API name.
METHODS: dict[str, Method] = {
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
}
