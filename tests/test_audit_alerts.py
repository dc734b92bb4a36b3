"""The audit for admins and its alerts (issue 15), through the emulator and the CLI."""

from __future__ import annotations

import asyncio

import pytest

from bot.cli import main as cli_main
from tests.harness import ADMIN_ID, BotHarness, said
from tests.test_chair_flow import actions, apply, card, make_officer, wait_for
from usecases.alerts import check as check_alerts


def _services(harness: BotHarness):  # type: ignore[no-untyped-def]
    assert harness.runner is not None and harness.runner.application is not None
    return harness.runner.application.services


async def test_admins_read_the_audit_by_family_and_actor_and_nobody_else_does(
    harness: BotHarness,
) -> None:
    chair = await make_officer(harness, 9901, "Besa Kola")
    _member, member_id = await apply(harness, 9902, "Arbën Hoxha")
    await card(chair, member_id)
    await harness.say(chair, "/ne_pritje")

    admin = harness.user(ADMIN_ID, "Admin")
    everything = await harness.say(admin, "/auditimi")
    assert "read.pending_list" in (everything.text or "")
    assert "Arbën" not in (everything.text or "")  # ids only
    reads = await harness.press(admin, said("Reads"))
    body = (reads.text or "").splitlines()[1:]
    assert body and all("read." in line for line in body)
    mine = await harness.say(admin, "/auditimi 9901")
    assert all("9901" in line for line in (mine.text or "").splitlines()[1:])

    refused = await harness.say(chair, "/auditimi")
    assert refused.text == said("The audit is for national staff.")
    assert [e.actor_id for e in await actions(harness, "audit.refused")] == [9901]


async def test_bulk_reads_and_refusal_bursts_alert_the_admins_once_per_window(
    harness: BotHarness,
) -> None:
    services = _services(harness)
    services.settings.alert_reads_threshold = 3
    services.settings.alert_refused_threshold = 3
    chair = await make_officer(harness, 9951, "Besa Kola")
    for n in range(3):
        await apply(harness, 9960 + n, "Arta Gjoni" + "abc"[n])
    await harness.say(chair, "/ne_pritje")  # 3 list reads (+ the 3 cards): over 3
    stranger = harness.user(9970, "Ilir")
    await harness.say(stranger, "/start")
    last = stranger.messages[-1]
    for _ in range(3):
        await stranger.press_callback(last.message_id, "app:v1:approve:1")
        await harness.answer(stranger)

    assert await check_alerts(services) == 2
    await harness.drain_outbox()
    admin = harness.user(ADMIN_ID, "Admin")
    about_reads = await wait_for(admin, lambda m: "9951" in (m.text or ""))
    assert "Besa Kola" in (about_reads.text or "")
    await wait_for(admin, lambda m: "9970" in (m.text or ""))
    # The same window: no second alert.
    await check_alerts(services)
    await harness.drain_outbox()
    alerts = [m for m in admin.messages if "⚠️" in (m.text or "")]
    assert len(alerts) == 2
    assert len(await actions(harness, "alert.sent")) == 2


async def test_the_server_prints_the_audit(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await apply(harness, 9981, "Arbën Hoxha")
    monkeypatch.setenv("DATABASE_URL", harness.database_url)
    assert await asyncio.to_thread(cli_main, ["audit", "--family", "decisions"]) == 0
    printed = capsys.readouterr().out
    assert "application.submitted" in printed and "Arbën" not in printed
