"""The HTTP face of the emulator: an aiohttp server speaking the Telegram Bot API.

PTB talks to it exactly as to api.telegram.org (``base_url`` pointed here), so the bot runs
unmodified in tests, benchmarks and the offline demo. This module owns the lifecycle, request
routing, fault injection and flood control. The emulator *is* its state (``state``); the
Bot API methods are plain functions over that state, looked up in the tables of
``messaging`` (sending), ``editing`` (edit, delete) and ``methods`` (the rest).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from emulator import editing, messaging, methods
from emulator.faults import SENDING_METHODS, ApiError, FloodControl
from emulator.params import read_params
from emulator.state import EmulatorState, Method
from emulator.users import EmulatedUser

_LOGGER = logging.getLogger(__name__)

# Methods refused with 403 while the target user has blocked the bot.
_BLOCKABLE = SENDING_METHODS | {"forwardMessage", "editMessageCaption", "sendChatAction"}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


#: Every Bot API method the emulator answers, by lower-cased name (Telegram's names are
#: case-insensitive): the exact name, and the function.
_METHODS: dict[str, tuple[str, Method]] = {
    name.lower(): (name, method)
    for table in (messaging.METHODS, editing.METHODS, methods.METHODS)
    for name, method in table.items()
}


class BotApiEmulator(EmulatorState):
    """A local Telegram Bot API server plus the users who talk to the bot through it."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "regjistri_bot",
        bot_id: int = 5000000001,
        *,
        bot_first_name: str = "Regjistri",
    ) -> None:
        super().__init__(token, bot_username, bot_id, bot_first_name)
        self._users: dict[int, EmulatedUser] = {}
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port = 0

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port``; port 0 picks a free port (see ``base_url``)."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # handler_cancellation=False: like Telegram, a call that reached the server completes
        # even if the client hangs up (the outbox's crash tests rely on that).
        runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=0.5,
            handler_cancellation=False,
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._closing = False
        self._runner = runner
        self._host = host
        self._port = int(runner.addresses[0][1])
        _LOGGER.info("Bot API emulator listening on %s", self.url)

    async def stop(self) -> None:
        """Stop serving; held long polls are answered at once so shutdown is quick."""
        if self._runner is None:
            return
        self._closing = True
        self._updates_signal.fire()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Root URL of the running server."""
        if self._runner is None:
            raise RuntimeError("the emulator is not running; await emu.start() first")
        return f"http://{self._host}:{self._port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder.base_url``: PTB appends the token."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder.base_file_url``."""
        return f"{self.url}/file/bot"

    # -- users, calls, flood control --------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        *,
        phone_number: str | None = None,
    ) -> EmulatedUser:
        """The user with this id (created on first call; later calls update given fields).

        Creating a user also opens its private chat (chat id == user id), as if the user had
        found the bot, so the bot may message it.
        """
        user = self._users.get(user_id)
        if user is None:
            user = EmulatedUser(
                self,
                user_id,
                first_name=first_name or f"User{user_id}",
                last_name=last_name,
                username=username,
                language_code=language_code,
                phone_number=phone_number,
            )
            self._users[user_id] = user
        else:
            user.update(
                first_name=first_name,
                last_name=last_name,
                username=username,
                language_code=language_code,
                phone_number=phone_number,
            )
        self.register_chat(user.chat_dict())
        return user

    @property
    def users(self) -> dict[int, EmulatedUser]:
        """Every user created so far, by id."""
        return dict(self._users)

    def count(self, method: str) -> int:
        """How many times the bot called ``method``."""
        return sum(1 for name, _ in self.calls if name.lower() == method.lower())

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        """Parameters of every call of ``method``, oldest first."""
        return [params for name, params in self.calls if name.lower() == method.lower()]

    async def wait_for_call(
        self,
        method: str,
        timeout: float = 5.0,  # noqa: ASYNC109 - failing raises a descriptive AssertionError
        *,
        count: int = 1,
    ) -> dict[str, Any]:
        """Wait until ``method`` was called at least ``count`` times; return the newest params."""
        if not await self._calls_signal.wait_until(lambda: self.count(method) >= count, timeout):
            seen = sorted({name for name, _ in self.calls})
            raise AssertionError(
                f"{method} was called {self.count(method)} time(s) within {timeout}s, "
                f"expected {count}; methods called so far: {seen}"
            )
        return self.calls_of(method)[-1]

    def flood_control(
        self,
        global_per_second: int | None = 30,
        per_chat_per_second: float | None = 1,
        per_chat_burst: int = 3,
    ) -> None:
        """Enforce Telegram-like limits on ``SENDING_METHODS``: ``global_per_second`` in any
        sliding second, and per chat ``per_chat_per_second`` after a burst of ``per_chat_burst``.

        Over a limit the call answers 429 with ``retry_after`` (whole seconds, at least 1).
        ``flood_control(None)`` switches it off; ``per_chat_per_second=None`` keeps only the
        global limit. Calling it again starts afresh.
        """
        if global_per_second is None:
            self._flood = None
        else:
            self._flood = FloodControl(global_per_second, per_chat_per_second, per_chat_burst)

    # -- HTTP -------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path.lstrip("/")
        if path.startswith("file/bot"):
            return self._serve_file(path.removeprefix("file/bot"))
        if not path.startswith("bot") or "/" not in path:
            return self._error(ApiError(404, "Not Found"))
        token, _, method = path.removeprefix("bot").partition("/")
        if token != self.token:
            return self._error(ApiError(401, "Unauthorized"))
        try:
            params = await read_params(request)
        except ApiError as error:
            return self._error(error)
        name = _METHODS.get(method.lower(), (method, None))[0]
        self.calls.append((name, params))
        self._calls_signal.fire()
        try:
            result = await self._invoke(name, params)
        except ApiError as error:
            return self._error(error)
        except Exception as exc:  # an emulator bug: say so loudly instead of a bare 500
            _LOGGER.exception("Bot API emulator failed on %s(%r)", name, params)
            description = f"Internal Server Error: the emulator failed on {name}: {exc!r}"
            return self._error(ApiError(500, description))
        return web.json_response({"ok": True, "result": result}, dumps=_dumps)

    def _serve_file(self, rest: str) -> web.StreamResponse:
        token, _, file_path = rest.partition("/")
        stored = self.file_by_path(file_path) if token == self.token else None
        if stored is None:
            return self._error(ApiError(404, "Not Found"))
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    def _error(self, error: ApiError) -> web.Response:
        if error.status == 429:
            self.stats["429"] += 1
        elif error.status == 403:
            self.stats["403"] += 1
        elif error.status >= 500:
            self.stats["5xx"] += 1
        return web.json_response(error.body(), status=error.status, dumps=_dumps)

    async def _invoke(self, name: str, params: dict[str, Any]) -> Any:
        """Faults first (latency, then an error), then blocking, flood control, the method."""
        handler = _METHODS.get(name.lower())
        if handler is None:
            raise ApiError(404, "Not Found")
        chat_id = params.get("chat_id")
        delay, error, late = self.faults.take(name, chat_id)
        if delay:
            await asyncio.sleep(delay)
        if error is not None:
            raise error
        if name in _BLOCKABLE and isinstance(chat_id, int):
            user = self._users.get(chat_id)
            if user is not None and user.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
        if name in SENDING_METHODS and self._flood is not None:
            try:
                self._flood.admit(chat_id, time.monotonic())
            except ApiError:
                self.flood_rejections += 1  # apart from injected 429s: what pacing let through
                raise
        result = handler[1](self, params)
        if inspect.isawaitable(result):
            result = await result
        if name in SENDING_METHODS:
            self.stats["sent"] += 1
        if late:
            await asyncio.sleep(late)  # done, but the answer comes after the client gave up
        return result
