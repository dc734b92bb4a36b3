"""What the terminal chat shows: the bot's messages, edits and keyboards as numbered choices.

Kept apart from the input loop so the rendering rules (which buttons get numbers, how edits
are marked) live in one place. Only the newest message with an inline keyboard gets numbers,
followed by the reply keyboard; older buttons show as ``·`` and stay pressable with
``:press <label>``. A number once shown keeps meaning that button: when the numbers move
(the numbered message lost its buttons, say) the moved ones are shown again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any, TextIO

from emulator.models import Button, SentMessage
from emulator.server import BotApiEmulator
from emulator.users import EmulatedUser


@dataclass(frozen=True, slots=True)
class Choice:
    """A numbered thing the person can press."""

    button: Button
    message_id: int | None  # None: a reply-keyboard button


class ChatView:
    """Prints the current user's chat as it changes; ``choices`` maps numbers to buttons."""

    def __init__(self, emu: BotApiEmulator, user: EmulatedUser, output: TextIO) -> None:
        self.emu = emu
        self.user = user
        self.output = output
        self.choices: list[Choice] = []
        self.seen: dict[int, dict[int, int]] = {}  # user id -> message id -> edits shown
        self.answers_seen: dict[int, int] = {}
        self.keyboard_shown: dict[int, str] = {}
        self.printed = 0
        self.gap = True  # a blank line before the next output: a new exchange began
        self.prompt: str | None = None  # set while a real prompt waits, to re-show it
        self.watcher: asyncio.Task[None] | None = None
        # user id -> message id -> when it was last printed: the latest printed gets numbers.
        self._printed_at: dict[int, dict[int, int]] = {}
        self._shown: dict[tuple[int | None, Button], int] = {}  # the numbers on screen
        self.printed_sequence = 0

    def write(self, text: str = "") -> None:
        """One line of output, flushed at once (the prompt may be waiting)."""
        self.output.write(text + "\n")
        self.output.flush()

    def show_prompt(self, prompt: str) -> None:
        """Print the prompt and remember it is up, in one step: output that arrives while
        the person types goes above a fresh prompt, never between a prompt and its echo."""
        self.output.write(prompt)
        self.output.flush()
        self.prompt = prompt

    def switch_to(self, user: EmulatedUser) -> None:
        """Show another user's chat (message ids are per chat: the numbers start over)."""
        self.user = user
        self.choices = []
        self._shown = {}

    def _active_message(self) -> SentMessage | None:
        """The message with pressable inline buttons printed last: its buttons get numbers.

        Printed last, not sent last: an edited message is printed again below the others,
        and the buttons right above the prompt are the ones a person means by a number.
        """
        printed_at = self._printed_at.get(self.user.id, {})
        pressable = [
            message
            for message in self.user.messages
            if not message.deleted
            and any(
                b.callback_data is not None or b.url for row in message.inline_keyboard for b in row
            )
        ]
        return max(
            pressable,
            key=lambda m: (printed_at.get(m.message_id, -1), m.message_id),
            default=None,
        )

    def _recompute_choices(self) -> None:
        active = self._active_message()
        self.choices = []
        if active is not None:
            self.choices += [
                Choice(b, active.message_id) for row in active.inline_keyboard for b in row
            ]
        self.choices += [Choice(b, None) for row in self.user.reply_keyboard or [] for b in row]

    def _numbers(self) -> dict[tuple[int | None, Button], int]:
        return {(c.message_id, c.button): i for i, c in enumerate(self.choices, start=1)}

    def _number(self, button: Button, message_id: int | None) -> str:
        number = self._numbers().get((message_id, button))
        # Not numbered: an older button; the banner explains, :press <label> presses it.
        return "·" if number is None else f"[{number}]"

    def first_line(self, message_id: int) -> str:
        """The start of a message's text, to say which message a button is on."""
        for message in self.user.messages:
            if message.message_id == message_id:
                line = next((ln for ln in (message.text or "").splitlines() if ln.strip()), "")
                return line if len(line) <= 48 else line[:47] + "…"
        return f"message {message_id}"

    def label(self, choice: Choice) -> str:
        """A choice as the person sees it, with where it is when it is not on the keyboard."""
        if choice.message_id is None:
            return self._label(choice.button)
        return f"{choice.button.text} (on «{self.first_line(choice.message_id)}»)"

    def _list(self, numbered: list[tuple[int, Choice]]) -> None:
        """Numbered choices, one line for each message they are on, the keyboard's last."""
        groups: dict[int | None, list[tuple[int, Choice]]] = {}
        for number, choice in numbered:
            groups.setdefault(choice.message_id, []).append((number, choice))
        for where, items in sorted(groups.items(), key=lambda group: group[0] is None):
            place = "keyboard" if where is None else f"on «{self.first_line(where)}»"
            shown = "  ".join(f"[{n}] {self._label(c.button)}" for n, c in items)
            self.write(f"   {place}: {shown}")

    def offer(self, choices: list[Choice], heading: str) -> None:
        """Make `choices` the numbered ones for the next line typed, and show them."""
        self.choices = list(choices)
        self._shown = self._numbers()
        self.write(heading)
        self._list(list(enumerate(choices, start=1)))

    @staticmethod
    def _label(button: Button) -> str:
        if button.request_contact:
            return f"{button.text} (share my contact)"
        if button.url:
            return f"{button.text} -> {button.url}"
        return button.text

    def _print_message(self, message: SentMessage, *, edited: bool) -> None:
        tag = "bot (edited)> " if edited else "bot> "
        if message.deleted:
            self.write(f"{tag}(message deleted)")
            return
        body = message.text or ""
        if message.kind not in ("text", "copy", "forward") or "text" not in message.raw:
            body = f"[{message.kind}] {body}".rstrip()
        lines = body.splitlines() or [""]
        self.write(tag + lines[0])
        for line in lines[1:]:
            self.write(" " * len(tag) + line)
        for row in message.inline_keyboard:
            self.write(
                "   " + "  ".join(f"{self._number(b, message.message_id)} {b.text}" for b in row)
            )
        self._mark_shown(message.message_id)

    def _mark_shown(self, message_id: int | None) -> None:
        """The current numbers of this message's (None: the keyboard's) buttons are on screen."""
        for (where, button), number in self._numbers().items():
            if where == message_id:
                self._shown[(where, button)] = number

    def _restate_moved(self) -> None:
        """Show again the numbers that changed since they were printed (see the docstring)."""
        moved = [
            (number, choice)
            for number, choice in enumerate(self.choices, start=1)
            if self._shown.get((choice.message_id, choice.button)) != number
        ]
        if moved:
            self.write("numbers now:")
            self._list(moved)
        self._shown = self._numbers()

    def _collect(self) -> tuple[list[tuple[SentMessage, bool]], list[dict[str, Any]], bool]:
        """What changed since the last flush: (message, is_edit) pairs, answers, keyboard."""
        user = self.user
        seen = self.seen.setdefault(user.id, {})
        fresh: list[tuple[SentMessage, bool]] = []
        for message in user.messages:
            shown = seen.get(message.message_id)
            state = message.edits + (1 if message.deleted else 0)
            if shown is None or shown < state:
                fresh.append((message, shown is not None))
                seen[message.message_id] = state
        answers = user.callback_answers[self.answers_seen.get(user.id, 0) :]
        self.answers_seen[user.id] = len(user.callback_answers)
        keyboard_key = json.dumps(self.emu.reply_keyboard_markup(user.id), sort_keys=True)
        keyboard_changed = self.keyboard_shown.get(user.id, "null") != keyboard_key
        self.keyboard_shown[user.id] = keyboard_key
        return fresh, [a for a in answers if a.get("text")], keyboard_changed

    def _print_keyboard(self) -> None:
        keyboard = self.user.reply_keyboard
        if not keyboard:
            self.write("(keyboard hidden)")
            return
        self.write("keyboard:")
        for row in keyboard:
            self.write("   " + "  ".join(f"{self._number(b, None)} {self._label(b)}" for b in row))
        self._mark_shown(None)

    def flush(self) -> None:
        """Print everything new for the current user: messages, edits, answers, keyboard."""
        fresh, answers, keyboard_changed = self._collect()
        if not (fresh or answers or keyboard_changed):
            return
        printed_at = self._printed_at.setdefault(self.user.id, {})
        for message, _edited in fresh:
            printed_at[message.message_id] = self.printed_sequence = self.printed_sequence + 1
        self._recompute_choices()
        if self.prompt is not None:  # output arrived while the person sits at the prompt
            self.output.write("\n")
        if self.gap or self.prompt is not None:
            self.write()
        self.gap = False
        for message, edited in fresh:
            self._print_message(message, edited=edited)
        for answer in answers:
            kind = "alert" if answer.get("show_alert") else "notice"
            self.write(f"bot ({kind})> {answer['text']}")
        if keyboard_changed:
            self._print_keyboard()
        self._restate_moved()
        if self.prompt is not None:
            self.output.write(self.prompt)
            self.output.flush()
        self.printed += 1
        self.emu.chat_signal(self.user.id).fire()

    async def _watch(self) -> None:
        """Print the bot's output as it arrives, until cancelled."""
        while True:
            self.flush()
            await self.emu.chat_signal(self.user.id).wait(None)

    def start(self) -> None:
        """Begin printing in the background."""
        self.watcher = asyncio.create_task(self._watch(), name="terminal-chat-watcher")

    async def stop(self) -> None:
        """Stop the background printer."""
        if self.watcher is not None:
            self.watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.watcher
            self.watcher = None

    async def settle(self, first: float, idle: float) -> None:
        """Wait up to ``first`` s for the bot's answer, then until it is quiet for ``idle`` s.

        Called after the person acted, so the next prompt comes after the answer.
        """
        signal = self.emu.chat_signal(self.user.id)
        start = self.printed
        if not await signal.wait_until(lambda: self.printed > start, first):
            return
        while True:
            last = self.printed
            await asyncio.sleep(idle)
            if self.printed == last:
                return
