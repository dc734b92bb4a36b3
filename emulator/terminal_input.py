"""The input side of the terminal chat: lines read without blocking the event loop, and the
rule that decides whether a typed line presses a choice or is sent to the bot.

Lines used to come from `input()` in a worker thread. Ctrl-C could not interrupt that thread,
and `asyncio.run` waits for its worker threads before it returns: the demo hung until Enter
was pressed, then printed two tracebacks. Here the event loop itself watches stdin
(`add_reader`), so a cancelled read is simply over. Where the loop cannot watch the input (a
regular file or /dev/null, which epoll refuses), a daemon thread reads it: nothing waits for
a daemon thread at exit.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import threading
from collections import deque


def choice_number(line: str, choices: int) -> int | None:
    """The choice a typed line presses, or None when the line is a message for the bot.

    Only a number that is one of the `choices` shown (1…choices) presses: any other line,
    numbers too, is text. A phone typed as digits (0692123456) must reach the bot.
    """
    text = line.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 1 <= number <= choices else None


class LineReader:
    """Lines of text from a file descriptor (stdin), for `await reader.readline()`."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._partial = ""
        self._lines: deque[str] = deque()
        self._eof = False
        self._ready = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._watching = False

    def start(self) -> None:
        """Begin reading (in the running event loop)."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        try:
            loop.add_reader(self.fd, self._on_readable)
            self._watching = True
        except (PermissionError, NotImplementedError):
            threading.Thread(
                target=self._read_in_thread, args=(loop,), name="terminal-input", daemon=True
            ).start()

    def close(self) -> None:
        """Stop watching the input (the daemon thread, if any, ends with the process)."""
        if self._watching and self._loop is not None:
            self._loop.remove_reader(self.fd)
            self._watching = False

    async def readline(self) -> str:
        """The next line without its line ending; EOFError at the end of the input."""
        while not self._lines:
            if self._eof:
                raise EOFError
            self._ready.clear()
            await self._ready.wait()
        return self._lines.popleft()

    def _on_readable(self) -> None:
        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""  # the terminal went away: the same as the end of the input
        self._feed(data)

    def _read_in_thread(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                data = b""
            try:
                loop.call_soon_threadsafe(self._feed, data)
            except RuntimeError:  # the loop is closed: the chat is over
                return
            if not data:
                return

    def _feed(self, data: bytes) -> None:
        if data:
            self._partial += self._decoder.decode(data)
            *complete, self._partial = self._partial.split("\n")
            self._lines.extend(line.removesuffix("\r") for line in complete)
        else:
            # End of input (Ctrl-D on an empty line at a terminal): a last unterminated line
            # still counts, then EOFError.
            last = self._partial + self._decoder.decode(b"", final=True)
            if last:
                self._lines.append(last)
            self._partial = ""
            self._eof = True
            with contextlib.suppress(ValueError, RuntimeError):
                self.close()
        self._ready.set()
