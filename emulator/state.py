"""The emulated Telegram server's memory: chats, messages, the update queue, files, calls.

State lives on the emulator object rather than on any HTTP connection, so a second
Application started after the first one stopped picks up exactly where Telegram would have
left it (confirmed updates gone, unconfirmed ones still queued).
"""

from __future__ import annotations

import copy
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from emulator.faults import FaultInjector, FloodControl, bad_request
from emulator.models import SentMessage, Signal


@dataclass
class StoredFile:
    """A file Telegram would host: uploads from the bot, or media users sent."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None

    def meta(self, *, with_path: bool = False) -> dict[str, Any]:
        """The File-like fields shared by Document, PhotoSize and friends."""
        fields: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if with_path:
            fields["file_path"] = self.file_path
        return fields


def scope_key(scope: Any) -> str:
    """Key of ``emu.commands`` for a BotCommandScope: ``"default"`` or compact sorted JSON.

    Accepts a dict or anything with ``to_dict()`` (a PTB BotCommandScope), so tests can write
    ``emu.commands[(scope_key(BotCommandScopeAllPrivateChats()), "sq")]``.
    """
    if scope is None:
        return "default"
    if hasattr(scope, "to_dict"):
        scope = scope.to_dict()
    if isinstance(scope, dict) and scope.get("type", "default") == "default" and len(scope) <= 1:
        return "default"
    return json.dumps(scope, sort_keys=True, separators=(",", ":"))


def now() -> int:
    """Unix time, as every ``date`` field carries it."""
    return int(time.time())


class EmulatorState:
    """Everything the emulator remembers; the HTTP layer and the users both work on it."""

    def __init__(
        self, token: str, bot_username: str, bot_id: int, bot_first_name: str = "Regjistri"
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.bot_first_name = bot_first_name
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.faults = FaultInjector()
        self.stats: dict[str, int] = {"429": 0, "403": 0, "5xx": 0, "sent": 0}
        self.bot_info: dict[tuple[str, str], str] = {}
        self.webhook_url = ""
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self._flood: FloodControl | None = None
        self.flood_rejections = 0
        # Answers to each user's button presses, by user id (EmulatedUser reads its own).
        self.callback_answers: dict[int, list[dict[str, Any]]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._logs: dict[int, list[SentMessage]] = {}
        self._signals: dict[int, Signal] = {}
        self._sent: dict[tuple[int, int], SentMessage] = {}
        self._store: dict[tuple[int, int], dict[str, Any]] = {}
        self._message_ids: dict[int, int] = {}
        self._reply_keyboards: dict[int, dict[str, Any]] = {}
        self._updates: list[dict[str, Any]] = []
        self._handed_out_up_to = 0  # the newest update_id a getUpdates has returned
        #: Optional answer to "has the bot finished with everything it was sent?", installed
        #: by a test harness that can see inside the bot. `receive_all` waits for it besides
        #: its quiet window, so a slow machine does not turn into missing replies.
        self.bot_settled: Callable[[], Awaitable[bool]] | None = None
        # Like Telegram's, update ids keep growing across restarts of the emulator: a bot that
        # remembers the ids it handled (Regjistri's inbox) must not see an old id again.
        self._next_update_id = int(time.time() * 1000) % 2**40
        self._updates_signal = Signal()
        self._calls_signal = Signal()
        self._callback_queries: dict[str, int] = {}
        self._files: dict[str, StoredFile] = {}
        self._counter = itertools.count(1)
        self._closing = False

    # -- identities -------------------------------------------------------------------------

    def bot_user(self) -> dict[str, Any]:
        """The bot as a User object (``from`` of everything it sends)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def register_chat(self, chat: dict[str, Any]) -> dict[str, Any]:
        """Make a chat known, so the bot may send to it."""
        self._chats[int(chat["id"])] = chat
        return chat

    def group(self, chat_id: int, title: str | None = None) -> dict[str, Any]:
        """A supergroup chat, created on first use."""
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self.register_chat(
                {"id": chat_id, "type": "supergroup", "title": title or f"Group {abs(chat_id)}"}
            )
        elif title:
            chat["title"] = title
        return chat

    def chat(self, chat_id: Any) -> dict[str, Any]:
        """A known chat, or Telegram's 400 for chats the bot cannot reach."""
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise bad_request("chat not found")
        return chat

    # -- messages ---------------------------------------------------------------------------

    def messages(self, chat_id: int) -> list[SentMessage]:
        """Every message the bot sent into ``chat_id``, oldest first (groups included)."""
        return self._logs.setdefault(chat_id, [])

    def chat_signal(self, chat_id: int) -> Signal:
        """Fires on anything visible in the chat: new message, edit, deletion, keyboard, answer."""
        return self._signals.setdefault(chat_id, Signal())

    def next_message_id(self, chat_id: int) -> int:
        """Message ids are per chat and shared by both sides, as in private chats."""
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    def store_message(self, raw: dict[str, Any]) -> None:
        """Remember a message so replies, copies, deletions and callbacks can refer to it."""
        self._store[(raw["chat"]["id"], raw["message_id"])] = raw

    def stored_message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """A live (not deleted) message's current raw form."""
        return self._store.get((chat_id, message_id))

    def reply_keyboard_markup(self, chat_id: int) -> dict[str, Any] | None:
        """The ReplyKeyboardMarkup currently shown in the chat."""
        return self._reply_keyboards.get(chat_id)

    def clear_reply_keyboard(self, chat_id: int) -> None:
        """Hide the reply keyboard (one_time_keyboard after a press)."""
        if self._reply_keyboards.pop(chat_id, None) is not None:
            self.chat_signal(chat_id).fire()

    # -- updates ----------------------------------------------------------------------------

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates; update_id strictly increases."""
        stamped = {"update_id": self._next_update_id, **copy.deepcopy(update)}
        self._next_update_id += 1
        self._updates.append(stamped)
        self._updates_signal.fire()
        return stamped

    @property
    def last_update_id(self) -> int:
        """update_id of the newest update queued so far (0 before any)."""
        return self._next_update_id - 1

    @property
    def unfetched_updates(self) -> int:
        """Updates no getUpdates has returned yet (the bot cannot be working on them)."""
        return sum(1 for u in self._updates if u["update_id"] > self._handed_out_up_to)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset."""
        return list(self._updates)

    def new_callback_query_id(self, user_id: int) -> str:
        """Opaque query ids, remembered so answerCallbackQuery reaches the right user."""
        query_id = f"{user_id}{next(self._counter):08d}"
        self._callback_queries[query_id] = user_id
        return query_id

    # -- files ------------------------------------------------------------------------------

    def register_file(
        self,
        kind: str,
        data: bytes = b"",
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        file_id: str | None = None,
    ) -> StoredFile:
        """Host a file and give it Telegram-style ids and a download path."""
        if file_id is not None and file_id in self._files:
            return self._files[file_id]
        number = next(self._counter)
        suffix = "." + file_name.rsplit(".", 1)[-1] if file_name and "." in file_name else ""
        stored = StoredFile(
            file_id=file_id or f"EMU{kind.upper()}{number:08d}",
            file_unique_id=f"U{number:08d}",
            file_path=f"{kind}s/file_{number}{suffix or _DEFAULT_SUFFIX.get(kind, '')}",
            data=data or f"emulated {kind} #{number}".encode(),
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        return stored

    def file(self, file_id: str) -> StoredFile | None:
        """A hosted file by id."""
        return self._files.get(file_id)

    def file_by_path(self, path: str) -> StoredFile | None:
        """A hosted file by its download path."""
        return next((f for f in self._files.values() if f.file_path == path), None)


_DEFAULT_SUFFIX = {"photo": ".jpg", "voice": ".oga", "sticker": ".webp", "document": ".bin"}


#: One Bot API method: the state it works on and the request's parameters → the result.
Method = Callable[[EmulatorState, dict[str, Any]], Any]
