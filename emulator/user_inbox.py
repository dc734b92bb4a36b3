"""The reading side of an emulated user: what the bot sent, in order, and waiting for it.

Tests read a conversation like a person does, one message after another; ``receive`` keeps a
per-user cursor so each message is handed out once, and every wait fails with an
AssertionError that says what did arrive, which is most of what a failing test needs.
"""

from __future__ import annotations

import time
from typing import Any

from emulator.models import Button, SentMessage, parse_reply_keyboard
from emulator.state import EmulatorState


class Inbox:
    """Mixin for ``EmulatedUser``: the bot's messages to this user's private chat.

    The waits take ``timeout=`` (not ``asyncio.timeout``) because failing them raises an
    AssertionError describing the conversation, which a cancelled scope could not.
    """

    emu: EmulatorState
    id: int
    callback_answers: list[dict[str, Any]]
    _cursor: int

    # -- what the bot sent ------------------------------------------------------------------

    @property
    def messages(self) -> list[SentMessage]:
        """Every message the bot sent to this user's chat, oldest first; edits apply in place."""
        return self.emu.messages(self.id)

    @property
    def last(self) -> SentMessage | None:
        """The newest message from the bot, or None."""
        return self.messages[-1] if self.messages else None

    @property
    def reply_keyboard(self) -> list[list[Button]] | None:
        """The reply keyboard currently shown to this user, or None."""
        return parse_reply_keyboard(self.emu.reply_keyboard_markup(self.id))

    async def receive(self, timeout: float = 5.0) -> SentMessage:  # noqa: ASYNC109
        """The next message from the bot this user has not received yet (FIFO)."""
        log = self.messages
        signal = self.emu.chat_signal(self.id)
        if not await signal.wait_until(lambda: self._cursor < len(log), timeout):
            raise AssertionError(self._silence_report(timeout))
        message = log[self._cursor]
        self._cursor += 1
        return message

    async def receive_all(self, idle: float = 0.3, settle: float = 10.0) -> list[SentMessage]:
        """Everything new, once the bot has stayed quiet for ``idle`` seconds.

        When a harness installed ``emu.bot_settled``, quiet also means the bot says it is
        done (for at most ``settle`` seconds): on a loaded machine a reply can take longer
        than the quiet window, and the test would read silence where there is none.
        """
        log = self.messages
        signal = self.emu.chat_signal(self.id)
        received: list[SentMessage] = []
        settled = self.emu.bot_settled
        deadline = time.monotonic() + settle
        while True:
            while await signal.wait_until(lambda: self._cursor < len(log), idle):
                received.extend(log[self._cursor :])
                self._cursor = len(log)
            if settled is None or time.monotonic() >= deadline or await settled():
                received.extend(log[self._cursor :])  # what came while asking
                self._cursor = len(log)
                return received

    async def wait_edit(
        self,
        message: SentMessage,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        since: int | None = None,
    ) -> SentMessage:
        """Wait until the bot edits ``message`` again (text or markup); return it.

        ``since``: the edit count read before the action that causes the edit, so an edit
        that lands before this call (the sending path may deliver it first) still counts.
        """
        seen = message.edits if since is None else since
        signal = self.emu.chat_signal(message.chat_id)
        if not await signal.wait_until(lambda: message.edits > seen, timeout):
            raise AssertionError(
                f"{self!r}: message {message} was not edited within {timeout}s "
                f"(edits so far: {seen})"
            )
        return message

    async def wait_callback_answer(self, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
        """Wait for the next answerCallbackQuery addressed to this user; return it."""
        seen = len(self.callback_answers)
        signal = self.emu.chat_signal(self.id)
        if not await signal.wait_until(lambda: len(self.callback_answers) > seen, timeout):
            raise AssertionError(f"{self!r}: no callback query answered within {timeout}s")
        return self.callback_answers[seen]

    def _silence_report(self, timeout: float) -> str:
        received = self.messages[: self._cursor]
        recent = "; ".join(str(m) for m in received[-3:]) or "nothing"
        pending = len(self.emu.pending_updates)
        calls = [name for name, _ in self.emu.calls if name != "getUpdates"][-8:]
        return (
            f"{self!r}: no new message from the bot within {timeout}s. "
            f"Received so far ({len(received)}): {recent}. "
            f"Updates not yet fetched by the bot: {pending}. Last bot calls: {calls}"
        )
