"""Plain data the emulator hands to tests: buttons, the bot's messages, and a wake-up signal.

These objects are what test code inspects, so they stay small, readable and independent of
python-telegram-bot: a test must be able to see exactly what Telegram would have shown a user.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Button:
    """One keyboard button as a user sees it (inline or reply keyboard)."""

    text: str
    callback_data: str | None = None
    url: str | None = None
    request_contact: bool = False

    def describe(self) -> str:
        """Render the button with what pressing it does, for error listings and the terminal."""
        if self.callback_data is not None:
            return f"{self.text!r} (callback_data={self.callback_data!r})"
        if self.url is not None:
            return f"{self.text!r} (url={self.url!r})"
        if self.request_contact:
            return f"{self.text!r} (shares the contact)"
        return repr(self.text)


def _button_from(raw: Any) -> Button:
    """Reply keyboards may hold bare strings; inline/reply buttons are objects."""
    if isinstance(raw, str):
        return Button(text=raw)
    if not isinstance(raw, dict):
        return Button(text=str(raw))
    return Button(
        text=str(raw.get("text", "")),
        callback_data=raw.get("callback_data"),
        url=raw.get("url"),
        request_contact=bool(raw.get("request_contact", False)),
    )


def parse_inline_keyboard(markup: dict[str, Any] | None) -> list[list[Button]]:
    """Rows of an InlineKeyboardMarkup, or no rows for any other markup."""
    if not isinstance(markup, dict) or not isinstance(markup.get("inline_keyboard"), list):
        return []
    return [[_button_from(b) for b in row] for row in markup["inline_keyboard"]]


def parse_reply_keyboard(markup: dict[str, Any] | None) -> list[list[Button]] | None:
    """Rows of a ReplyKeyboardMarkup, or None when the markup is not a reply keyboard."""
    if not isinstance(markup, dict) or not isinstance(markup.get("keyboard"), list):
        return None
    return [[_button_from(b) for b in row] for row in markup["keyboard"]]


@dataclass(eq=False)
class SentMessage:
    """A message the bot sent into a chat, updated in place when the bot edits it.

    ``text`` is what the user sees: the text (or caption) after Telegram parsed ``parse_mode``
    markup, so ``"<b>Emri:</b> Alba"`` sent as HTML reads ``"Emri: Alba"``. The bot's original
    string stays in ``source_text``.
    """

    message_id: int
    chat_id: int
    text: str | None
    kind: str
    parse_mode: str | None
    inline_keyboard: list[list[Button]]
    reply_markup: dict[str, Any] | None
    edits: int
    date: int
    raw: dict[str, Any]
    source_text: str | None = None
    reply_to: int | None = None
    deleted: bool = False
    history: list[str | None] = field(default_factory=list)

    @property
    def reply_keyboard(self) -> list[list[Button]] | None:
        """The reply keyboard this message installed, if it carried one."""
        return parse_reply_keyboard(self.reply_markup)

    @property
    def buttons(self) -> list[Button]:
        """Inline buttons, or the reply keyboard's buttons when the message carried one."""
        rows = self.inline_keyboard or self.reply_keyboard or []
        return [button for row in rows for button in row]

    @property
    def button_labels(self) -> list[str]:
        """Just the labels, for concise assertions."""
        return [button.text for button in self.buttons]

    def button(self, label: str) -> Button:
        """The button with this label or callback_data; LookupError lists what exists."""
        for candidate in self.buttons:
            if label in (candidate.text, candidate.callback_data):
                return candidate
        raise LookupError(
            f"message {self.message_id} has no button {label!r}; it has {self.button_labels!r}"
        )

    def __str__(self) -> str:
        labels = f" {self.button_labels}" if self.buttons else ""
        return f"#{self.message_id} [{self.kind}] {self.text!r}{labels}"


class Signal:
    """Wakes every waiter whenever state changes; waiters then re-check their own condition.

    Firing is synchronous so emulator handlers can signal without awaiting, and there is no
    lost wake-up: a waiter checks its predicate and registers in the same event-loop step.
    """

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def fire(self) -> None:
        """Release everyone currently waiting."""
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait(self, within: float | None) -> bool:
        """Wait for the next fire; False when ``within`` seconds passed first."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await asyncio.wait_for(waiter, within)
        except TimeoutError:
            return False
        finally:
            self._waiters.discard(waiter)
        return True

    async def wait_until(self, predicate: Callable[[], bool], within: float | None) -> bool:
        """Wait until ``predicate()`` holds; False when it still does not after ``within``."""
        loop = asyncio.get_running_loop()
        deadline = None if within is None else loop.time() + within
        while not predicate():
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return False
            await self.wait(remaining)
        return True
