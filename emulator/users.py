"""Users the tests play: they send what a Telegram client would send and read what the bot sent.

Everything a user does becomes an update in the emulator's queue, shaped like Telegram's, and
everything the bot sends to the user's private chat (chat id == user id) lands in
``messages``; ``receive`` hands those out one by one so a test reads a conversation in order.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

from emulator.formatting import utf16_len
from emulator.state import EmulatorState, now
from emulator.user_inbox import Inbox

if TYPE_CHECKING:
    from emulator.models import SentMessage

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]+)?")


class EmulatedUser(Inbox):
    """One Telegram user talking to the bot; get it from ``emu.user(id, ...)``."""

    def __init__(
        self,
        emu: EmulatorState,
        user_id: int,
        *,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        phone_number: str | None = None,
    ) -> None:
        self.emu = emu
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.phone_number = phone_number
        self.blocked = False
        self._cursor = 0

    def update(self, **fields: str | None) -> None:
        """Change the profile fields that were given (None leaves a field as it is)."""
        for name, value in fields.items():
            if value is not None:
                setattr(self, name, value)

    def __repr__(self) -> str:
        return f"<EmulatedUser {self.id} {self.full_name!r}>"

    @property
    def callback_answers(self) -> list[dict[str, Any]]:
        """The bot's answers to this user's button presses, oldest first."""
        return self.emu.callback_answers.setdefault(self.id, [])

    @property
    def full_name(self) -> str:
        """First and last name, as Telegram clients show it."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def chat_id(self) -> int:
        """The private chat with the bot has the user's id."""
        return self.id

    def to_dict(self) -> dict[str, Any]:
        """The User object (``from``) Telegram puts in this user's updates."""
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                user[key] = getattr(self, key)
        return user

    def chat_dict(self) -> dict[str, Any]:
        """The private Chat object."""
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        for key in ("last_name", "username"):
            if getattr(self, key):
                chat[key] = getattr(self, key)
        return chat

    @property
    def sharing_phone(self) -> str:
        """The number a request_contact button shares: ``phone_number`` or a stable fake one."""
        return self.phone_number or f"+35569{self.id % 10_000_000:07d}"

    # -- what the user does -----------------------------------------------------------------

    async def _post(self, chat_id: int, content: dict[str, Any]) -> dict[str, Any]:
        chat = self.emu.chat(chat_id)
        raw: dict[str, Any] = {
            "message_id": self.emu.next_message_id(chat_id),
            "from": self.to_dict(),
            "chat": dict(chat),
            "date": now(),
            **content,
        }
        self.emu.store_message(raw)
        self.emu.push_update({"message": raw})
        await asyncio.sleep(0)
        return raw

    def _text_content(self, text: str, reply_to: int | None, chat_id: int) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        match = _COMMAND.match(text)
        if match:
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}
            ]
        if reply_to is not None:
            target = self.emu.stored_message(chat_id, reply_to)
            if target is not None:
                quoted = dict(target)
                quoted.pop("reply_to_message", None)
                content["reply_to_message"] = quoted
        return content

    async def send(self, text: str, *, reply_to: int | None = None) -> dict[str, Any]:
        """Type ``text`` into the private chat; a leading /command gets its entity."""
        return await self._post(self.id, self._text_content(text, reply_to, self.id))

    async def send_in_group(
        self, chat_id: int, text: str, *, title: str | None = None
    ) -> dict[str, Any]:
        """Say ``text`` in a supergroup (created on first use)."""
        self.emu.group(chat_id, title)
        return await self._post(chat_id, self._text_content(text, None, chat_id))

    async def send_contact(
        self,
        phone_number: str,
        *,
        user_id: int | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        omit_user_id: bool = False,
    ) -> dict[str, Any]:
        """Share a contact: by default this user's own; ``user_id=`` forges someone else's."""
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or self.first_name,
        }
        if last_name or (first_name is None and self.last_name):
            contact["last_name"] = last_name or self.last_name
        if not omit_user_id:
            contact["user_id"] = self.id if user_id is None else user_id
        return await self._post(self.id, {"contact": contact})

    async def send_sticker(self, emoji: str = "👍") -> dict[str, Any]:
        """Send a static sticker."""
        meta = self.emu.register_file("sticker", mime_type="image/webp").meta()
        sticker = {**meta, "width": 512, "height": 512, "is_animated": False, "is_video": False}
        return await self._post(
            self.id, {"sticker": {**sticker, "type": "regular", "emoji": emoji}}
        )

    async def send_photo(self, caption: str | None = None) -> dict[str, Any]:
        """Send a photo (two sizes, as Telegram delivers them)."""
        meta = self.emu.register_file("photo", mime_type="image/jpeg").meta()
        content: dict[str, Any] = {
            "photo": [{**meta, "width": 90, "height": 67}, {**meta, "width": 1280, "height": 960}]
        }
        if caption:
            content["caption"] = caption
        return await self._post(self.id, content)

    async def send_voice(self, duration: int = 2) -> dict[str, Any]:
        """Send a voice note."""
        meta = self.emu.register_file("voice", mime_type="audio/ogg").meta()
        voice = {**meta, "duration": duration, "mime_type": "audio/ogg"}
        return await self._post(self.id, {"voice": voice})

    async def send_location(self, latitude: float, longitude: float) -> dict[str, Any]:
        """Share a location."""
        return await self._post(
            self.id, {"location": {"latitude": latitude, "longitude": longitude}}
        )

    async def send_document(
        self,
        file_name: str = "dokument.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        data: bytes = b"",
    ) -> dict[str, Any]:
        """Send a file."""
        stored = self.emu.register_file("document", data, file_name=file_name, mime_type=mime_type)
        content: dict[str, Any] = {
            "document": {**stored.meta(), "file_name": file_name, "mime_type": mime_type}
        }
        if caption:
            content["caption"] = caption
        return await self._post(self.id, content)

    async def press_callback(
        self, message_id: int, data: str, *, chat_id: int | None = None
    ) -> str:
        """Send a raw callback_query for ``message_id`` (any data, even forged); return its id."""
        chat_id = self.id if chat_id is None else chat_id
        chat = self.emu.chat(chat_id)
        message = self.emu.stored_message(chat_id, message_id)
        if message is None:  # Telegram's InaccessibleMessage
            message = {"chat": dict(chat), "message_id": message_id, "date": 0}
        query_id = self.emu.new_callback_query_id(self.id)
        query = {
            "id": query_id,
            "from": self.to_dict(),
            "chat_instance": str(abs(chat_id) * 7919 + 13),
            "data": data,
            "message": message,
        }
        self.emu.push_update({"callback_query": query})
        await asyncio.sleep(0)
        return query_id

    async def press(self, label: str) -> None:
        """Press a button by label or callback_data, as a user tapping it would.

        Inline keyboards are searched newest message first; then the reply keyboard, where a
        button sends its text, or this user's own contact when it has request_contact.
        """
        for message in reversed(self.messages):
            if message.deleted:
                continue
            for button in (b for row in message.inline_keyboard for b in row):
                if button.callback_data is not None and label in (
                    button.text,
                    button.callback_data,
                ):
                    await self.press_callback(message.message_id, button.callback_data)
                    return
        markup = self.emu.reply_keyboard_markup(self.id)
        for button in (b for row in self.reply_keyboard or [] for b in row):
            if button.text == label:
                if markup and markup.get("one_time_keyboard"):
                    self.emu.clear_reply_keyboard(self.id)
                if button.request_contact:
                    await self.send_contact(self.sharing_phone)
                else:
                    await self.send(button.text)
                return
        raise LookupError(self._buttons_listing(label))

    def _buttons_listing(self, label: str) -> str:
        lines = [f"{self!r} has no button {label!r} to press."]
        keyboards = [m for m in reversed(self.messages) if m.inline_keyboard and not m.deleted]
        for message in keyboards[:5]:
            shown = ", ".join(b.describe() for row in message.inline_keyboard for b in row)
            lines.append(f"  inline keyboard of message #{message.message_id}: {shown}")
        if not keyboards:
            lines.append("  no inline keyboards in this chat")
        if self.reply_keyboard:
            shown = ", ".join(b.describe() for row in self.reply_keyboard for b in row)
            lines.append(f"  reply keyboard: {shown}")
        else:
            lines.append("  no reply keyboard shown")
        return "\n".join(lines)

    # -- blocking ---------------------------------------------------------------------------

    def _membership_update(self, old: str, new: str) -> None:
        bot = self.emu.bot_user()

        def member(status: str) -> dict[str, Any]:
            return {"status": status, "user": bot} | (
                {"until_date": 0} if status == "kicked" else {}
            )

        self.emu.push_update(
            {
                "my_chat_member": {
                    "chat": self.chat_dict(),
                    "from": self.to_dict(),
                    "date": now(),
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )

    def delete(self, message: SentMessage) -> None:
        """Delete a bot's message from this private chat (for both sides, as Telegram allows).

        Telegram sends the bot no update for it: the bot only learns when it tries to edit.
        """
        message.deleted = True
        self.emu.chat_signal(self.id).fire()

    def block(self, *, notify: bool = True) -> None:
        """Block the bot: sends to this chat answer 403; the bot gets a my_chat_member update."""
        if not self.blocked and notify:
            self._membership_update("member", "kicked")
        self.blocked = True

    def unblock(self, *, notify: bool = True) -> None:
        """Unblock the bot again."""
        if self.blocked and notify:
            self._membership_update("kicked", "member")
        self.blocked = False
