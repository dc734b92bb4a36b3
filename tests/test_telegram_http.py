"""The HTTP client under python-telegram-bot (bot/telegram_http.py): the environment's proxy.

The proxies are read once when the client starts, not looked up (with ~/.netrc) in a worker
thread on every call; these tests check a proxy set in the environment is still used, and
that NO_PROXY still exempts a host.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram.request import RequestData

from bot.telegram_http import AiohttpRequest, _proxy_for


@pytest.fixture
async def proxy() -> AsyncIterator[tuple[str, list[str]]]:
    """A forward proxy that answers every request itself and notes the URL it was asked for."""
    seen: list[str] = []

    async def forward(request: web.Request) -> web.Response:
        seen.append(str(request.url))
        return web.json_response({"ok": True, "result": {"via": "proxy"}})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


async def test_a_proxy_in_the_environment_carries_the_calls(
    proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    address, seen = proxy
    for name in ("http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", address)
    request = AiohttpRequest()
    await request.initialize()
    try:
        status, body = await request.do_request(
            "http://api.telegram.invalid/bot1:T/getMe",
            "POST",
            RequestData(),
        )
    finally:
        await request.shutdown()
    assert status == 200
    assert json.loads(body)["result"] == {"via": "proxy"}
    assert seen == ["http://api.telegram.invalid/bot1:T/getMe"]


def test_no_proxy_exempts_a_host_and_the_scheme_picks_the_proxy() -> None:
    proxies = (("http", "http://proxy:3128"), ("https", "http://secure:3128"), ("no", "local"))
    assert _proxy_for("http://api.example/bot/getMe", proxies) == "http://proxy:3128"
    assert _proxy_for("https://api.example/bot/getMe", proxies) == "http://secure:3128"
    assert _proxy_for("https://local/bot/getMe", proxies) is None
    assert _proxy_for("https://api.example/bot/getMe", (("all", "socks://p:1"),)) == "socks://p:1"
    assert _proxy_for("https://api.example/bot/getMe", ()) is None
