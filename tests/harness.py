"""The bot running for real against the emulator: the tests play members, chairs and staff.

Nothing of the project is mocked: the Runner polls the emulator over HTTP with
python-telegram-bot's own network stack, stores updates in the inbox, and the outbox
sender delivers through the same stack.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.runtime import Runner
from domain.clock import ManualClock
from emulator import BotApiEmulator, EmulatedUser, SentMessage
from storage.db import Database
from usecases.config import Settings

TOKEN = "123456:TEST-TOKEN"
ADMIN_ID = 9001


class BotHarness:
    """The bot and the emulator, with Telegram's flood control on as Telegram does it (30
    messages/s per bot, 1/s per chat after a burst of 3, 429 with retry_after): a test that
    means to see something else switches it off with `emu.flood_control(None)`."""

    def __init__(self, database_url: str, **settings: Any) -> None:
        self.database_url = database_url
        self.emu = BotApiEmulator(token=TOKEN, bot_username="regjistri_test_bot")
        self.emu.flood_control(global_per_second=30, per_chat_per_second=1, per_chat_burst=3)
        self.clock = ManualClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
        self.extra = settings
        self.runner: Runner | None = None
        self.database = Database(database_url)
        self._emulator_started = False
        self.emu.bot_settled = self.settled

    async def settled(self) -> bool:
        """The bot has fetched every update, handled it and sent what was due because of it."""
        runner = self.runner
        if runner is None:
            return True
        if self.emu.unfetched_updates or runner.busy:
            return False
        return runner.outbox is None or await runner.outbox.idle()

    def settings(self) -> Settings:
        values: dict[str, Any] = {
            "telegram_bot_token": TOKEN,
            "telegram_api_url": self.emu.base_url,
            "database_url": self.database_url,
            "admin_ids": (ADMIN_ID,),
        }
        values.update(self.extra)
        return Settings(**values)

    async def start(self) -> None:
        if not self._emulator_started:
            await self.emu.start()
            self._emulator_started = True
        self.runner = Runner(self.settings(), clock=self.clock, poll_timeout=1)
        await self.runner.start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.stop()
            self.runner = None

    async def restart(self) -> None:
        """Stop the bot completely and start a new one on the same database and emulator."""
        await self.stop()
        await self.start()

    async def close(self) -> None:
        await self.stop()
        await self.database.dispose()
        await self.emu.stop()

    def user(self, user_id: int, first_name: str = "Arta", **kwargs: Any) -> EmulatedUser:
        return self.emu.user(user_id, first_name=first_name, **kwargs)

    async def drain_outbox(self) -> None:
        """Wait until every queued delivery reached a final state (10 s at most)."""
        assert self.runner is not None and self.runner.outbox is not None
        await self.runner.outbox.drain(timeout=10.0)

    async def say(self, user: EmulatedUser, text: str) -> SentMessage:
        """Send text and return the bot's (last) answer."""
        await user.send(text)
        return await self.answer(user)

    async def press(self, user: EmulatedUser, label: str) -> SentMessage:
        """Press a button; return the bot's new message, or the message it edited."""
        edits_before = {m.message_id: m.edits for m in user.messages}
        await user.press(label)
        for _ in range(50):
            fresh = await user.receive_all(idle=0.1)
            if fresh:
                return fresh[-1]
            edited = [m for m in user.messages if m.edits != edits_before.get(m.message_id, 0)]
            if edited:
                return edited[-1]
        raise AssertionError(f"the bot did not answer the press of {label!r}")

    async def press_toast(self, user: EmulatedUser, label: str) -> str:
        """Press a button the bot answers with a toast only; return the toast's text.

        Fails if no toast comes, or if a message comes (or is edited) with it.
        """
        seen = len(user.callback_answers)
        edits_before = {m.message_id: m.edits for m in user.messages}
        await user.press(label)
        signal = self.emu.chat_signal(user.id)
        if not await signal.wait_until(lambda: len(user.callback_answers) > seen, 5.0):
            raise AssertionError(f"the bot did not answer the press of {label!r}")
        fresh = await user.receive_all(idle=0.1)
        edited = [m for m in user.messages if m.edits != edits_before.get(m.message_id, 0)]
        assert not fresh and not edited, f"a toast was expected, the bot sent {fresh or edited}"
        return str(user.callback_answers[seen].get("text") or "")

    async def answer(self, user: EmulatedUser) -> SentMessage:
        """The newest message after the bot has gone quiet (replies may be several)."""
        first = await user.receive(timeout=5.0)
        rest = await user.receive_all(idle=0.15)
        return rest[-1] if rest else first

    async def register(
        self,
        user: EmulatedUser,
        *,
        name: str = "Arben Hoxha",
        birth: str = "5.3.1980",
        phone: str = "069 212 3456",
        municipality: str = "korce",
    ) -> SentMessage:
        """A whole registration, the way a member does it; returns the confirmation."""
        await self.say(user, "/start")
        await self.press_toast(user, "✅ Po, jam dakord")
        await self.say(user, name)
        await self.say(user, birth)
        await self.say(user, phone)
        await self.say(user, municipality)
        return await self.press(user, "reg:v1:confirm")

    async def register_from_link(
        self,
        user: EmulatedUser,
        code: str,
        *,
        name: str = "Arben Hoxha",
        birth: str = "5.3.1980",
        phone: str = "069 212 3456",
    ) -> SentMessage:
        """A registration opened by an enrolment link (`/start <code>`); returns the
        confirmation. The phone's answer must be the summary: no municipality question."""
        await self.say(user, f"/start {code}")
        await self.press_toast(user, "✅ Po, jam dakord")
        await self.say(user, name)
        await self.say(user, birth)
        summary = await self.say(user, phone)
        assert "reg:v1:confirm" in [b.callback_data for b in summary.buttons], summary
        return await self.press(user, "reg:v1:confirm")


def said(msgid: str, language: str = "sq", **values: object) -> str:
    """A message as the bot renders it in `language` (tests compare with the catalog, not
    with a copy of the translation)."""
    from domain.i18n import _, use_language

    with use_language(language):
        text = _(msgid)
    return text.format(**values) if values else text
