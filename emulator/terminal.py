"""A terminal chat with the bot, for the offline demo (``regjistri demo``).

A person types as one emulated user and sees what the bot sends, keyboards included, with
numbered choices so pressing a button is typing its number. A background task prints the
bot's messages and edits as they arrive (``terminal_view``); the event loop reads the input
(``terminal_input``), so the bot and the emulator keep running while the prompt waits and
Ctrl-C (a cancelled task) ends the chat at once.
"""

from __future__ import annotations

import inspect
import os
import re
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from emulator.server import BotApiEmulator
from emulator.terminal_input import LineReader, choice_number
from emulator.terminal_view import ChatView, Choice
from emulator.users import EmulatedUser

InputFn = Callable[[str], str | Awaitable[str]]
SwitchUser = Callable[[int, str | None], EmulatedUser | Awaitable[EmulatedUser]]

PROMPT = "you> "
PHONE_PROMPT = "phone number to share (e.g. +355 69 212 3456, empty line to cancel): "
HELP = """\
Type a message and press Enter to send it to the bot. Type a shown choice's number ([1], [2],
…) to press it; any other line is sent as text, numbers too (a phone: 0692123456). Buttons
shown as · are on older messages: press them with :press <label>.
  :contact [+355...]   share a contact (asks for the number if none is given)
  :sticker             send a sticker
  :photo [caption]     send a photo
  :location [lat lon]  share a location (Tirana if none is given)
  :press <label>       press a button by its label, also on older messages
  :user <id> [name]    switch to playing another user (e.g. a municipal chair)
  https://t.me/...     paste an invitation link to open it (sends /start <code>)
  :help                show this help
  :quit                leave (Ctrl-D and Ctrl-C work too)"""
TIRANA = (41.3275, 19.8187)
DEEP_LINK = re.compile(r"(?:https?://)?t\.me/\w+\?start=(?P<payload>[\w-]{1,64})")


class _TerminalChat:
    """The input side of one terminal session; see ``run_terminal_chat``."""

    def __init__(
        self,
        emu: BotApiEmulator,
        user: EmulatedUser,
        input_fn: InputFn | None,
        output: TextIO,
        switch_user: SwitchUser | None,
    ) -> None:
        self.emu = emu
        self.user = user
        self.input_fn = input_fn
        self.output = output
        self.switch_user = switch_user
        self.view = ChatView(emu, user, output)
        self.reader: LineReader | None = None
        # A terminal shows what is typed; a pipe does not, so the chat shows it itself.
        self.echo = False

    async def read(self, prompt: str) -> str:
        """One line from the person (or the scripted ``input_fn``); EOFError ends the chat."""
        if self.input_fn is not None:
            line = self.input_fn(prompt)
            return await line if inspect.isawaitable(line) else line
        if self.reader is None:
            self.reader = LineReader(sys.stdin.fileno())
            self.echo = not os.isatty(self.reader.fd)
            self.reader.start()
        self.view.show_prompt(prompt)
        try:
            typed = await self.reader.readline()
        finally:
            self.view.prompt = None
        if self.echo:
            self.view.write(typed)
        return typed

    async def _phone(self) -> str | None:
        """The number to share, asked each time (a refused number must not come back)."""
        number = (await self.read(PHONE_PROMPT)).strip()
        return number or None

    async def _press(self, choice: Choice) -> None:
        button = choice.button
        if choice.message_id is not None:
            if button.callback_data is None:
                self.view.write(f"(opens {button.url} in a browser; nothing to send)")
                return
            await self.user.press_callback(choice.message_id, button.callback_data)
            return
        phone: str | None = None
        if button.request_contact:
            phone = await self._phone()
            if phone is None:
                self.view.write("(no number given; nothing shared)")
                return
        markup = self.emu.reply_keyboard_markup(self.user.id) or {}
        if markup.get("one_time_keyboard"):
            self.emu.clear_reply_keyboard(self.user.id)
        if phone is not None:
            await self.user.send_contact(phone)
        else:
            await self.user.send(button.text)

    async def _switch(self, argument: str) -> None:
        user_id_text, _, name = argument.partition(" ")
        try:
            user_id = int(user_id_text)
        except ValueError:
            self.view.write("usage: :user <id> [name]")
            return
        await self.view.stop()
        if self.switch_user is not None:
            switched = self.switch_user(user_id, name.strip() or None)
            self.user = await switched if inspect.isawaitable(switched) else switched
        else:
            self.user = self.emu.user(user_id, first_name=name.strip() or None)
        self.view.switch_to(self.user)
        self.view.write(f"(now playing user {self.user.id}: {self.user.full_name})")
        self.view.flush()  # what this user has not seen yet, before the next prompt
        self.view.start()

    async def _location(self, argument: str) -> None:
        parts = argument.replace(",", " ").split()
        try:
            latitude, longitude = (float(parts[0]), float(parts[1])) if parts else TIRANA
        except (ValueError, IndexError):
            self.view.write("usage: :location [latitude longitude]")
            return
        await self.user.send_location(latitude, longitude)

    async def _command(self, line: str) -> bool:
        """Handle a ``:command``; False means quit."""
        name, _, argument = line[1:].partition(" ")
        argument = argument.strip()
        if name in ("quit", "q", "exit"):
            return False
        if name == "help":
            self.view.write(HELP)
        elif name == "contact":
            phone = argument or await self._phone()
            if phone:
                await self.user.send_contact(phone)
        elif name == "sticker":
            await self.user.send_sticker()
        elif name == "photo":
            await self.user.send_photo(caption=argument or None)
        elif name == "location":
            await self._location(argument)
        elif name == "press":
            await self._press_label(argument)
        elif name == "user":
            await self._switch(argument)
        else:
            self.view.write(f"unknown command :{name} (try :help)")
        return True

    def _pressable(self) -> list[Choice]:
        """Every button the person could press, oldest message first, then the keyboard."""
        found = [
            Choice(button, message.message_id)
            for message in self.user.messages
            if not message.deleted
            for row in message.inline_keyboard
            for button in row
            if button.callback_data is not None
        ]
        return found + [Choice(b, None) for row in self.user.reply_keyboard or [] for b in row]

    async def _press_label(self, label: str) -> None:
        """``:press <label>``: the button with that label, or with a label containing it;
        when several match, they become the numbered choices and the person picks one."""
        if not label:
            self.view.write("usage: :press <button label>")
            return
        pressable = self._pressable()
        matches = [c for c in pressable if c.button.text == label] or [
            c for c in pressable if label.casefold() in c.button.text.casefold()
        ]
        if not matches:
            names = sorted({c.button.text for c in pressable})
            where = f"; buttons here: {'; '.join(names)}" if names else ": there are no buttons"
            self.view.write(f"no button «{label}»{where}")
        elif len(matches) == 1:
            self.view.write(f"(pressing {self.view.label(matches[0])})")
            await self._press(matches[0])
        else:
            self.view.offer(matches, f"{len(matches)} buttons match «{label}»; type a number:")

    async def handle(self, line: str) -> bool:
        """Act on one input line; False means quit."""
        line = line.strip()
        if not line:
            return True
        if line.startswith(":"):
            return await self._command(line)
        number = choice_number(line, len(self.view.choices))
        if number is not None:
            await self._press(self.view.choices[number - 1])
        elif link := DEEP_LINK.fullmatch(line):
            # Opening a t.me/<bot>?start=<payload> link sends "/start <payload>", as Telegram does.
            await self.user.send(f"/start {link.group('payload')}")
        else:
            await self.user.send(line)
        return True

    async def run(self, settle: float, idle: float) -> None:
        self.view.write(f"Chatting with @{self.emu.bot_username} as {self.user.full_name}.")
        self.view.write("Type :help for commands, :quit to leave.")
        self.view.flush()
        self.view.start()
        try:
            while True:
                try:
                    line = await self.read(PROMPT)
                except EOFError:
                    self.view.write()
                    break
                before = self.emu.last_update_id
                self.view.gap = True
                if not await self.handle(line):
                    break
                if self.emu.last_update_id != before:  # the bot has something to answer
                    await self.view.settle(settle, idle)
        finally:
            await self.view.stop()
            if self.reader is not None:
                self.reader.close()
        self.view.write("bye")


async def run_terminal_chat(
    emu: BotApiEmulator,
    user: EmulatedUser,
    *,
    input_fn: InputFn | None = None,
    output: TextIO = sys.stdout,
    switch_user: SwitchUser | None = None,
    settle: float = 2.0,
    idle: float = 0.3,
) -> None:
    """Chat with the bot in the terminal as ``user`` until ``:quit`` or end of input.

    ``input_fn(prompt)`` replaces ``input`` (sync or async; raise EOFError to end);
    ``switch_user(id, name)`` supplies the user for ``:user``, else ``emu.user`` does. After
    each thing sent the chat waits up to ``settle`` seconds for the bot to answer, then until
    it has been quiet for ``idle`` seconds, so the prompt appears below the answer.
    """
    await _TerminalChat(emu, user, input_fn, output, switch_user).run(settle, idle)
