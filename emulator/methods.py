"""Bot API methods other than sending: updates, commands, chats, callbacks, files, webhook.

getUpdates follows Telegram's contract precisely because PTB's Updater relies on it: a
positive ``offset`` confirms (forgets) every older update, updates stay queued until
confirmed, and ``timeout`` holds the request open until something arrives.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from emulator.faults import ApiError, bad_request
from emulator.messaging import target_chat
from emulator.params import require
from emulator.state import EmulatorState, Method, scope_key

_SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE = re.compile(r"[a-z]{2}")


def _update_type(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")


def get_me(state: EmulatorState, params: dict[str, Any]) -> dict[str, Any]:
    return {
        **state.bot_user(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


# -- updates ----------------------------------------------------------------------------


def _confirm(state: EmulatorState, offset: int) -> None:
    if offset > 0:
        state._updates = [u for u in state._updates if u["update_id"] >= offset]
    elif offset < 0:
        state._updates = state._updates[offset:]


async def get_updates(state: EmulatorState, params: dict[str, Any]) -> list[dict[str, Any]]:
    if state.webhook_url:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    _confirm(state, int(params.get("offset") or 0))
    limit = min(max(int(params.get("limit") or 100), 1), 100)
    allowed = set(params.get("allowed_updates") or ())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max(float(params.get("timeout") or 0), 0.0)
    while True:
        batch = [u for u in state._updates if not allowed or _update_type(u) in allowed]
        if batch or state._closing:
            batch = batch[:limit]
            if batch:
                state._handed_out_up_to = max(state._handed_out_up_to, batch[-1]["update_id"])
            return batch
        remaining = deadline - loop.time()
        if remaining <= 0:
            return []
        await state._updates_signal.wait(remaining)


def set_webhook(state: EmulatorState, params: dict[str, Any]) -> bool:
    state.webhook_url = str(require(params, "url"))
    if params.get("drop_pending_updates"):
        state._updates.clear()
    return True


def delete_webhook(state: EmulatorState, params: dict[str, Any]) -> bool:
    state.webhook_url = ""
    if params.get("drop_pending_updates"):
        state._updates.clear()
    return True


def get_webhook_info(state: EmulatorState, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "url": state.webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": len(state._updates),
    }


# -- commands and bot profile -----------------------------------------------------------


def _command_key(params: dict[str, Any]) -> tuple[str, str]:
    scope = params.get("scope")
    if scope is not None and (not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES):
        raise bad_request("wrong scope type specified")
    language = str(params.get("language_code") or "")
    if language and not _LANGUAGE.fullmatch(language):
        raise bad_request("invalid language code specified")
    return scope_key(scope), language


def set_my_commands(state: EmulatorState, params: dict[str, Any]) -> bool:
    commands = params.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    cleaned: list[dict[str, str]] = []
    for item in commands:
        if not isinstance(item, dict) or not _COMMAND.fullmatch(str(item.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(item.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        cleaned.append({"command": item["command"], "description": item["description"]})
    key = _command_key(params)
    if cleaned:
        state.commands[key] = cleaned
    else:
        state.commands.pop(key, None)
    return True


def get_my_commands(state: EmulatorState, params: dict[str, Any]) -> list[dict[str, str]]:
    return list(state.commands.get(_command_key(params), []))


def delete_my_commands(state: EmulatorState, params: dict[str, Any]) -> bool:
    state.commands.pop(_command_key(params), None)
    return True


def _profile(state: EmulatorState, field: str, params: dict[str, Any], *, setting: bool) -> Any:
    language = str(params.get("language_code") or "")
    if setting:
        value = str(params.get(field) or "")
        if value:
            state.bot_info[(field, language)] = value
        else:
            state.bot_info.pop((field, language), None)
        return True
    return {field: state.bot_info.get((field, language), "")}


def set_my_name(state: EmulatorState, params: dict[str, Any]) -> bool:
    return bool(_profile(state, "name", params, setting=True))


def get_my_name(state: EmulatorState, params: dict[str, Any]) -> dict[str, str]:
    return dict(_profile(state, "name", params, setting=False))


def set_my_description(state: EmulatorState, params: dict[str, Any]) -> bool:
    return bool(_profile(state, "description", params, setting=True))


def get_my_description(state: EmulatorState, params: dict[str, Any]) -> dict[str, str]:
    return dict(_profile(state, "description", params, setting=False))


def set_my_short_description(state: EmulatorState, params: dict[str, Any]) -> bool:
    return bool(_profile(state, "short_description", params, setting=True))


def get_my_short_description(state: EmulatorState, params: dict[str, Any]) -> dict[str, str]:
    return dict(_profile(state, "short_description", params, setting=False))


def set_chat_menu_button(state: EmulatorState, params: dict[str, Any]) -> bool:
    chat_id = params.get("chat_id")
    if chat_id is not None:
        state.chat(chat_id)
    menu = params.get("menu_button") or {"type": "default"}
    if not isinstance(menu, dict) or menu.get("type") not in ("default", "commands", "web_app"):
        raise bad_request("can't parse menu button JSON object")
    state.menu_buttons[chat_id] = menu
    return True


def get_chat_menu_button(state: EmulatorState, params: dict[str, Any]) -> dict[str, Any]:
    chat_id = params.get("chat_id")
    return state.menu_buttons.get(chat_id) or state.menu_buttons.get(None) or {"type": "commands"}


# -- chats and callbacks ----------------------------------------------------------------


def get_chat(state: EmulatorState, params: dict[str, Any]) -> dict[str, Any]:
    chat = state.chat(require(params, "chat_id"))
    return {
        **chat,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


def send_chat_action(state: EmulatorState, params: dict[str, Any]) -> bool:
    target_chat(state, params)
    if params.get("action") not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


def answer_callback_query(state: EmulatorState, params: dict[str, Any]) -> bool:
    query_id = str(require(params, "callback_query_id"))
    user_id = state._callback_queries.get(query_id)
    if user_id is None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    state.callback_answers.setdefault(user_id, []).append(
        {
            "callback_query_id": query_id,
            "text": params.get("text"),
            "show_alert": bool(params.get("show_alert", False)),
            "url": params.get("url"),
        }
    )
    state.chat_signal(user_id).fire()
    return True


# -- files ------------------------------------------------------------------------------


def get_file(state: EmulatorState, params: dict[str, Any]) -> dict[str, Any]:
    stored = state.file(str(require(params, "file_id")))
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.meta(with_path=True)


#: The Bot API methods this module answers, by their Bot API name.
METHODS: dict[str, Method] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "setMyName": set_my_name,
    "getMyName": get_my_name,
    "setMyDescription": set_my_description,
    "getMyDescription": get_my_description,
    "setMyShortDescription": set_my_short_description,
    "getMyShortDescription": get_my_short_description,
    "setChatMenuButton": set_chat_menu_button,
    "getChatMenuButton": get_chat_menu_button,
    "getChat": get_chat,
    "sendChatAction": send_chat_action,
    "answerCallbackQuery": answer_callback_query,
    "getFile": get_file,
}
