"""/qr and `regjistri qr`: a municipality's enrolment link and its QR code, for officers only.

The QR codes are read back with tests/qr_reader.py (not with the library that drew them).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from sqlalchemy import select

from emulator import EmulatedUser, SentMessage
from handlers.qr_image import QUIET_ZONE, SCALE
from storage.models import AuditEvent, Municipality, Role
from storage.roles import revoke_role
from tests.harness import ADMIN_ID, BotHarness, said
from tests.qr_reader import PNG_SIGNATURE, decode, modules, png_pixels
from tests.test_chair_flow import make_officer
from tests.test_cli import ROOT, _run

LINK = "https://t.me/regjistri_test_bot?start={code}"
UNKNOWN = "I do not know that command. Send /help to see what I can do."


def read_qr(png: bytes) -> str:
    assert png.startswith(PNG_SIGNATURE)
    return decode(modules(png_pixels(png), SCALE, QUIET_ZONE))


def photo_qr(harness: BotHarness, photo: SentMessage) -> str:
    """The text of the QR code in a photo the bot sent (the uploaded file, as stored)."""
    assert photo.kind == "photo", photo
    stored = harness.emu.file(photo.raw["photo"][-1]["file_id"])
    assert stored is not None
    return read_qr(stored.data)


async def _id_of(harness: BotHarness, name: str) -> int:
    async with harness.database.read() as session:
        found = await session.scalar(select(Municipality.id).where(Municipality.name == name))
    assert found is not None
    return found


async def _audit(harness: BotHarness, action: str) -> list[AuditEvent]:
    async with harness.database.read() as session:
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return list((await session.scalars(query)).all())


async def test_a_chair_gets_the_photo_of_their_municipality(harness: BotHarness) -> None:
    chair = await make_officer(harness, 2001, "Besa Kola")  # chair of Korçë
    photo = await harness.say(chair, "/qr")
    link = LINK.format(code="korce")
    assert photo_qr(harness, photo) == link
    assert link in (photo.text or "") and "Korçë" in (photo.text or "")
    created = await _audit(harness, "qr.created")
    assert [(e.actor_id, e.subject_id) for e in created] == [(2001, await _id_of(harness, "Korçë"))]
    # In the chair's menu, and in their help.
    menus = [p for m, p in harness.emu.calls if m == "setMyCommands" and "2001" in str(p)]
    assert menus and "'qr'" in str(menus[-1]["commands"])
    assert "/qr" in ((await harness.say(chair, "/ndihme")).text or "")


async def test_a_member_is_told_nothing(harness: BotHarness) -> None:
    member = harness.user(1001)
    await harness.register(member)
    reply = await harness.say(member, "/qr")
    assert reply.text == said(UNKNOWN) and reply.kind == "text"
    assert harness.emu.count("sendPhoto") == 0
    assert [e.actor_id for e in await _audit(harness, "qr.refused")] == [1001]
    assert "/qr" not in ((await harness.say(member, "/ndihme")).text or "")


async def test_a_forged_press_for_another_municipality_is_refused(harness: BotHarness) -> None:
    chair = await make_officer(harness, 2001, "Besa Kola")
    photo = await harness.say(chair, "/qr")
    vlore = await _id_of(harness, "Vlorë")
    await chair.press_callback(photo.message_id, f"qr:v1:muni:{vlore}")
    refused = await harness.answer(chair)
    assert refused.text == said(
        "You can only get the links of the municipalities your role covers."
    )
    assert harness.emu.count("sendPhoto") == 1  # the chair's own, nothing more
    assert [e.subject_id for e in await _audit(harness, "qr.refused")] == [vlore]


async def test_a_coordinator_picks_one_of_the_county(harness: BotHarness) -> None:
    coordinator = await make_officer(harness, 2002, "Ilir Dema", kind="coordinator")
    picker = await harness.say(coordinator, "/qr")
    assert picker.text == said("Which municipality?")
    assert sorted(picker.button_labels) == [
        "Devoll",
        "Kolonjë",
        "Korçë",
        "Maliq",
        "Pogradec",
        "Pustec",
    ]
    photo = await harness.press(coordinator, "Pogradec")
    assert photo_qr(harness, photo) == LINK.format(code="pogradec")


async def test_national_staff_pick_a_county_then_a_municipality(harness: BotHarness) -> None:
    admin = harness.user(ADMIN_ID, "Admin")
    counties = await harness.say(admin, "/qr")
    assert counties.text == said("Which county?") and len(counties.buttons) == 12
    municipalities = await harness.press(admin, "Shkodër")
    assert "Malësi e Madhe" in municipalities.button_labels
    photo = await harness.press(admin, "Malësi e Madhe")
    assert photo_qr(harness, photo) == LINK.format(code="malesi-e-madhe")


async def test_every_press_reads_the_role_again(harness: BotHarness) -> None:
    coordinator = await make_officer(harness, 2002, "Ilir Dema", kind="coordinator")
    await harness.say(coordinator, "/qr")
    async with harness.database.write() as session:
        role_id = await session.scalar(select(Role.id).where(Role.telegram_id == 2002))
        assert role_id is not None
        await revoke_role(session, role_id, revoked_by=ADMIN_ID, now=harness.clock.now())
    refused = await harness.press(coordinator, "Pogradec")
    assert refused.text == said("That button is no longer active.")
    assert harness.emu.count("sendPhoto") == 0


async def test_the_command_is_for_private_chats(harness: BotHarness) -> None:
    chair: EmulatedUser = await make_officer(harness, 2001, "Besa Kola")
    await chair.send_in_group(-100700, "/qr")
    await harness.emu.wait_for_call("sendMessage")
    await chair.receive_all(idle=0.3)
    assert harness.emu.count("sendPhoto") == 0


def test_the_cli_writes_a_png_that_reads_as_the_link(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite3'}"}
    env["PYTHONPATH"] = str(ROOT)  # this checkout's code, wherever the venv's install points
    out = tmp_path / "korce.png"
    args = ["qr", "--municipality", "Korça", "--out", str(out)]
    result = _run(*args, "--bot-username", "@regjistri_bot", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "https://t.me/regjistri_bot?start=korce" in result.stdout
    assert read_qr(out.read_bytes()) == "https://t.me/regjistri_bot?start=korce"
    with sqlite3.connect(tmp_path / "r.sqlite3") as db:
        rows = db.execute("SELECT action, subject_id, detail FROM audit_event").fetchall()
    assert [(a, json.loads(d)) for a, _, d in rows] == [("qr.created", {"via": "cli"})]
    # Without the bot's username (it has never run) or with no such municipality: no file.
    missing = tmp_path / "none.png"
    no_name = _run("qr", "--municipality", "Korçë", "--out", str(missing), env=env, cwd=tmp_path)
    assert no_name.returncode == 2 and "--bot-username" in no_name.stderr
    unknown = _run(*args[:2], "Atlantis", "--bot-username", "b", env=env, cwd=tmp_path)
    assert unknown.returncode == 2 and "Atlantis" in unknown.stderr
    assert not missing.exists()
