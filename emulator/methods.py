"""Bot API methods other than sending: updates, commands, chats, callbacks, files, webhook.

getUpdates follows Telegram's contract precisely because PTB's Updater relies on it: a
positive ``offset`` confirms (forgets) every older update, updates stay queued until
confirmed, and ``timeout`` holds the request open until something arrives.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from emulator.editing import EditingMethods
from emulator.faults import ApiError, bad_request
from emulator.params import require
from emulator.state import scope_key

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


class BotApiMethods(EditingMethods):
    """The remaining Bot API surface the bot uses."""

    def api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # -- updates ----------------------------------------------------------------------------

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]

    async def api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._confirm(int(params.get("offset") or 0))
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        allowed = set(params.get("allowed_updates") or ())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(float(params.get("timeout") or 0), 0.0)
        while True:
            batch = [u for u in self._updates if not allowed or _update_type(u) in allowed]
            if batch or self._closing:
                batch = batch[:limit]
                if batch:
                    self._handed_out_up_to = max(self._handed_out_up_to, batch[-1]["update_id"])
                return batch
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            await self._updates_signal.wait(remaining)

    def api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = str(require(params, "url"))
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    # -- commands and bot profile -----------------------------------------------------------

    @staticmethod
    def _command_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope")
        if scope is not None and (
            not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES
        ):
            raise bad_request("wrong scope type specified")
        language = str(params.get("language_code") or "")
        if language and not _LANGUAGE.fullmatch(language):
            raise bad_request("invalid language code specified")
        return scope_key(scope), language

    def api_setMyCommands(self, params: dict[str, Any]) -> bool:
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
        key = self._command_key(params)
        if cleaned:
            self.commands[key] = cleaned
        else:
            self.commands.pop(key, None)
        return True

    def api_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        return list(self.commands.get(self._command_key(params), []))

    def api_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(self._command_key(params), None)
        return True

    def _profile(self, field: str, params: dict[str, Any], *, setting: bool) -> Any:
        language = str(params.get("language_code") or "")
        if setting:
            value = str(params.get(field) or "")
            if value:
                self.bot_info[(field, language)] = value
            else:
                self.bot_info.pop((field, language), None)
            return True
        return {field: self.bot_info.get((field, language), "")}

    def api_setMyName(self, params: dict[str, Any]) -> bool:
        return bool(self._profile("name", params, setting=True))

    def api_getMyName(self, params: dict[str, Any]) -> dict[str, str]:
        return dict(self._profile("name", params, setting=False))

    def api_setMyDescription(self, params: dict[str, Any]) -> bool:
        return bool(self._profile("description", params, setting=True))

    def api_getMyDescription(self, params: dict[str, Any]) -> dict[str, str]:
        return dict(self._profile("description", params, setting=False))

    def api_setMyShortDescription(self, params: dict[str, Any]) -> bool:
        return bool(self._profile("short_description", params, setting=True))

    def api_getMyShortDescription(self, params: dict[str, Any]) -> dict[str, str]:
        return dict(self._profile("short_description", params, setting=False))

    def api_setChatMenuButton(self, params: dict[str, Any]) -> bool:
        chat_id = params.get("chat_id")
        if chat_id is not None:
            self.chat(chat_id)
        menu = params.get("menu_button") or {"type": "default"}
        if not isinstance(menu, dict) or menu.get("type") not in ("default", "commands", "web_app"):
            raise bad_request("can't parse menu button JSON object")
        self.menu_buttons[chat_id] = menu
        return True

    def api_getChatMenuButton(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "commands"}

    # -- chats and callbacks ----------------------------------------------------------------

    def api_getChat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.chat(require(params, "chat_id"))
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

    def api_sendChatAction(self, params: dict[str, Any]) -> bool:
        self._target(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = str(require(params, "callback_query_id"))
        user_id = self._callback_queries.get(query_id)
        if user_id is None:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        user = self._users.get(user_id)
        if user is not None:
            user.callback_answers.append(
                {
                    "callback_query_id": query_id,
                    "text": params.get("text"),
                    "show_alert": bool(params.get("show_alert", False)),
                    "url": params.get("url"),
                }
            )
            self.chat_signal(user_id).fire()
        return True

    # -- files ------------------------------------------------------------------------------

    def api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self.file(str(require(params, "file_id")))
        if stored is None:
            raise bad_request("invalid file_id")
        return stored.meta(with_path=True)
