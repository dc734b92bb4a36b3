"""Exports through the emulator and the CLI (issue 15): contents, scope, cap, the four-eyes
path for a national export, audit rows."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main as cli_main
from storage.models import Export
from tests.harness import ADMIN_ID, BotHarness, said
from tests.test_chair_flow import actions, apply, make_officer, wait_for


def _csv_of(harness: BotHarness, user_id: int) -> tuple[bytes, list[list[str]]]:
    sent = [m for m in harness.emu.messages(user_id) if m.kind == "document"]
    assert sent, "no file was sent"
    data = harness.emu.file(sent[-1].raw["document"]["file_id"]).data
    return data, list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


async def test_a_chair_exports_their_municipality_only_with_its_id_in_every_row(
    harness: BotHarness,
) -> None:
    chair = await make_officer(harness, 9501, "Besa Kola")
    await apply(harness, 9502, "Arbën Hoxha")
    await apply(harness, 9503, "Drita Marku")
    await apply(harness, 9504, "Mira Dervishi", municipality="Durrës")

    reply = await harness.say(chair, "/eksporto")
    await wait_for(chair, lambda m: m.kind == "document")
    raw, rows = _csv_of(harness, 9501)
    assert raw.startswith("\ufeff".encode())  # Excel's cue for UTF-8
    header, *body = rows
    assert len(header) == 12 and len(body) == 2
    names = sorted(row[2] for row in body)
    assert names == ["Arbën Hoxha", "Drita Marku"]  # not Durrës's member
    async with harness.database.read() as session:
        export = await session.scalar(select(Export))
    assert export is not None and export.status == "done" and export.rows == 2
    assert {row[0] for row in body} == {f"E{export.id}"}
    assert str(export.id) in (reply.text or "")
    assert [e.subject_id for e in await actions(harness, "export.created")] == [export.id]
    assert len(await actions(harness, "read.export")) == 2


async def test_an_export_over_the_cap_is_refused(harness: BotHarness) -> None:
    chair = await make_officer(harness, 9601, "Besa Kola")
    await apply(harness, 9602, "Arbën Hoxha")
    await apply(harness, 9603, "Drita Marku")
    assert harness.runner is not None and harness.runner.application is not None
    harness.runner.application.services.settings.export_max_rows = 1
    refused = await harness.say(chair, "/eksporto")
    assert "regjistri export" in (refused.text or "")
    assert not [m for m in harness.emu.messages(9601) if m.kind == "document"]
    assert [e.detail for e in await actions(harness, "export.refused")] == [{"over_cap": True}]


async def test_a_national_export_needs_a_purpose_and_a_second_admin(harness: BotHarness) -> None:
    await apply(harness, 9701, "Arbën Hoxha")
    await apply(harness, 9702, "Mira Dervishi", municipality="Durrës")
    admin = harness.user(ADMIN_ID, "Admin")
    asked = await harness.say(admin, "/eksporto")
    assert "/eksporto" in (asked.text or "")
    alone = await harness.say(admin, "/eksporto Lists for the congress")
    assert alone.text == said(
        "There is no second admin to approve a national export; use the server's CLI."
    )

    second = await make_officer(harness, 9703, "Arben Shehu", kind="admin")
    sent = await harness.say(admin, "/eksporto Lists for the congress")
    assert "sent to the other admins" in (sent.text or "") or "u dërgua" in (sent.text or "")
    request = await wait_for(second, lambda m: "exp:v1:ok:" in str(m.buttons))
    export_id = int(
        next(
            b.callback_data for b in request.buttons if "exp:v1:ok:" in (b.callback_data or "")
        ).rsplit(":", 1)[1]  # type: ignore[union-attr]
    )
    # The requester cannot approve their own request, even with a forged press.
    await admin.press_callback(sent.message_id, f"exp:v1:ok:{export_id}")
    await harness.answer(admin)
    assert not [m for m in harness.emu.messages(ADMIN_ID) if m.kind == "document"]

    await harness.press(second, f"exp:v1:ok:{export_id}")
    await wait_for(admin, lambda m: m.kind == "document")
    _raw, rows = _csv_of(harness, ADMIN_ID)
    assert sorted(row[2] for row in rows[1:]) == ["Arbën Hoxha", "Mira Dervishi"]
    approvals = await actions(harness, "export.approved")
    assert [(e.actor_id, e.subject_id) for e in approvals] == [(9703, export_id)]
    assert len(await actions(harness, "export.decision_refused")) == 1
    async with harness.database.read() as session:
        export = await session.get(Export, export_id)
    assert export is not None and export.purpose == "Lists for the congress"
    assert (export.actor_id, export.approved_by, export.status) == (ADMIN_ID, 9703, "done")


async def test_the_server_exports_csv_and_xlsx_with_the_id_and_an_audit_row(
    harness: BotHarness,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await apply(harness, 9801, "Arbën Hoxha")
    await apply(harness, 9802, "Mira Dervishi", municipality="Durrës")
    monkeypatch.setenv("DATABASE_URL", harness.database_url)
    out = tmp_path / "korce.csv"
    argv = ["export", "--scope", "municipality:korce", "--out", str(out), "--purpose", "test"]
    assert await asyncio.to_thread(cli_main, argv) == 0
    assert "1 rows" in capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [row[2] for row in rows[1:]] == ["Arbën Hoxha"]
    assert out.stat().st_mode & 0o777 == 0o600

    xlsx = tmp_path / "all.xlsx"
    argv = ["export", "--format", "xlsx", "--out", str(xlsx), "--purpose", "test"]
    assert await asyncio.to_thread(cli_main, argv) == 0
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx, read_only=True).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert sorted(str(row[2]) for row in values[1:]) == ["Arbën Hoxha", "Mira Dervishi"]
    created = await actions(harness, "export.created")
    assert len(created) == 2 and all(e.detail and e.detail["via"] == "cli" for e in created)
