"""The HTTP client under python-telegram-bot: aiohttp instead of PTB's default httpx.

Every Bot API call (replies, press answers, the outbox, the long poll) is one request. With
httpx it was the largest cost of the framework itself: bench/registration.py --profile put
httpx/httpcore at ~46 % of a bare echo bot's CPU and ~24 % of ours, most of it in the
connection pool's bookkeeping and the response's streaming layers. aiohttp (already a
dependency: the emulator's server) does the same request for less (measured in the same
bench, see the commit). PTB supports this by design: a `BaseRequest` subclass.

What PTB's HTTPXRequest does, this does too, except that parameters go as a JSON body
rather than a form (the Bot API takes both); files as multipart, PTB's own User-Agent, the
timeouts of the call or the defaults given here, and failures mapped to PTB's errors — a
timeout to `TimedOut`, any other transport failure to `NetworkError` — which the pacer and
the outbox retry.
"""

from __future__ import annotations

import functools
import json
import urllib.request
from typing import Any, Final

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

_JSON: Final = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """A PTB request backed by one aiohttp session (created in `initialize`)."""

    def __init__(
        self,
        *,
        connection_pool_size: int = 1,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None
        # The environment's proxies, read once (urllib's rules, as httpx read them): aiohttp's
        # trust_env looked them up, and ~/.netrc, in a worker thread on every request — two
        # thread hops per Bot API call (py-spy on bench/registration.py).
        self._proxies: tuple[tuple[str, str], ...] = ()

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0),
                headers={"User-Agent": self.USER_AGENT},
                skip_auto_headers=("Accept-Encoding",),
            )
            self._proxies = tuple(urllib.request.getproxies().items())

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        read = _given(read_timeout, self._read_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        write = _given(write_timeout, self._write_timeout)
        # aiohttp's `connect` covers waiting for a pooled connection and opening one; a
        # request's body is small, so writing it is bounded with the read.
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=None if read is None else read + (write or 0.0),
        )
        data: Any = None
        headers: dict[str, str] | None = None
        if request_data is not None:
            if request_data.contains_files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, part in request_data.multipart_data.items():
                    filename, content, mimetype = _file_part(part)
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                data = form
            else:
                # A JSON body, which the Bot API takes as well as a form: one json.dumps, where
                # form-encoding quoted every character (~0.4 ms a call under the profiler).
                data = json.dumps(request_data.parameters).encode()
                headers = _JSON
        try:
            async with session.request(
                method,
                url,
                data=data,
                headers=headers,
                timeout=timeout,
                proxy=_proxy_for(url, self._proxies) if self._proxies else None,
            ) as response:
                return response.status, await response.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{error.__class__.__name__}: {error}") from error


async def close_requests(bot: Any) -> None:
    """Close the bot's HTTP sessions, also after a start that failed half-way.

    PTB shuts down only a bot whose `initialize` finished; one that failed in it (a refused
    token, no network) would leave its sessions open, and aiohttp reports each at exit.
    """
    for request in getattr(bot, "_request", ()):
        if isinstance(request, AiohttpRequest):
            await request.shutdown()


@functools.lru_cache(maxsize=64)
def _proxy_for(url: str, proxies: tuple[tuple[str, str], ...]) -> str | None:
    """The proxy for a URL's scheme unless NO_PROXY exempts its host (urllib's rules)."""
    parsed = URL(url)
    table = dict(proxies)
    proxy = table.get(parsed.scheme or "") or table.get("all")
    if proxy is None or parsed.host is None:
        return None
    if urllib.request.proxy_bypass_environment(parsed.host, table):
        return None
    return proxy


def _given(value: Any, default: float | None) -> float | None:
    """A call's timeout, or the default when the call left it to PTB's DEFAULT_NONE."""
    return default if value is BaseRequest.DEFAULT_NONE else value  # type: ignore[no-any-return]


def _file_part(part: Any) -> tuple[str | None, Any, str | None]:
    """PTB's multipart value: (filename, content[, mimetype]) or the content alone."""
    if isinstance(part, tuple):
        filename = part[0] if len(part) > 0 else None
        content = part[1] if len(part) > 1 else b""
        mimetype = part[2] if len(part) > 2 else None
        return filename, content, mimetype
    return None, part, None
