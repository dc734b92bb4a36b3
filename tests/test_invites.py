"""Invitations and revocations, end to end: single use, expiry, forged codes, who may invite,
and a revoked role that stops working at once (in the chat and from the command line)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.cli import main as cli_main
from storage.models import Invite, Role
from storage.roles import hash_code
from tests.harness import ADMIN_ID, BotHarness, said
from tests.test_chair_flow import actions, apply, card, entry, invite_link, make_officer, wait_for

REFUSED = (
    "This invitation link cannot be used: it has expired, it was used already, "
    "or it is not valid. Please ask for a new one."
)


async def _roles_of(harness: BotHarness, telegram_id: int) -> list[Role]:
    async with harness.database.read() as session:
        query = select(Role).where(Role.telegram_id == telegram_id, Role.revoked_at.is_(None))
        return list((await session.scalars(query)).all())


async def test_an_invite_grants_the_role_and_is_stored_only_as_a_hash(
    harness: BotHarness,
) -> None:
    code = await invite_link(harness)
    assert len(code) >= len("inv_") + 22  # at least 128 random bits, URL-safe
    chair = harness.user(5001, "Besa", last_name="Kola")
    welcome = await harness.say(chair, f"/start {code}")
    assert welcome.text and "Korçë" in welcome.text and "/ne_pritje" in welcome.text
    (role,) = await _roles_of(harness, 5001)
    assert role.kind == "chair" and role.source == "invite" and role.granted_by == ADMIN_ID
    async with harness.database.read() as session:
        invite = await session.scalar(select(Invite))
    assert invite is not None and invite.code_hash == hash_code(code)
    assert code not in repr(invite.__dict__) and invite.used_by == 5001
    # The admin hears that the invitation was accepted; the chair's menu shows /ne_pritje.
    admin = harness.user(ADMIN_ID)
    await wait_for(admin, lambda m: "Besa Kola" in (m.text or ""))
    commands = harness.emu.calls_of("setMyCommands")
    assert any(
        c.get("scope", {}).get("chat_id") == 5001 and "ne_pritje" in str(c.get("commands"))
        for c in commands
    )


async def test_an_invite_works_once(harness: BotHarness) -> None:
    code = await invite_link(harness)
    await harness.say(harness.user(5001, "Besa"), f"/start {code}")
    second = harness.user(5002, "Dritan")
    answer = await harness.say(second, f"/start {code}")
    assert answer.text == said(REFUSED)
    assert await _roles_of(harness, 5002) == []
    refused = await actions(harness, "invite.refused")
    assert [(e.actor_id, e.detail) for e in refused] == [(5002, {"problem": "used"})]


async def test_two_people_opening_one_invite_at_once_get_one_role(harness: BotHarness) -> None:
    code = await invite_link(harness)
    first, second = harness.user(5001, "Besa"), harness.user(5002, "Dritan")
    await asyncio.gather(first.send(f"/start {code}"), second.send(f"/start {code}"))
    await asyncio.gather(first.receive(5), second.receive(5))
    holders = await _roles_of(harness, 5001) + await _roles_of(harness, 5002)
    assert len(holders) == 1
    assert len(await actions(harness, "invite.refused")) == 1


async def test_an_expired_invite_is_refused(harness: BotHarness) -> None:
    code = await invite_link(harness)
    harness.clock.advance(hours=72, seconds=1)
    chair = harness.user(5001, "Besa")
    answer = await harness.say(chair, f"/start {code}")
    assert answer.text == said(REFUSED)
    assert await _roles_of(harness, 5001) == []
    refused = await actions(harness, "invite.refused")
    assert [e.detail for e in refused] == [{"problem": "expired"}]


@pytest.mark.parametrize("payload", ["inv_forged0000000000000000000000000", "inv_", "inv_ä"])
async def test_a_forged_code_is_refused(harness: BotHarness, payload: str) -> None:
    await invite_link(harness)  # a real one exists; the forged one still opens nothing
    chair = harness.user(5001, "Besa")
    answer = await harness.say(chair, f"/start {payload}")
    assert answer.text == said(REFUSED)
    assert await _roles_of(harness, 5001) == []
    assert [e.detail for e in await actions(harness, "invite.refused")] == [{"problem": "unknown"}]


async def test_only_national_staff_invite(harness: BotHarness) -> None:
    chair = await make_officer(harness, 5001, "Besa Kola")
    answer = await harness.say(chair, "/ftese")
    assert answer.text == said("Only national staff can invite branch chairs and coordinators.")
    # A forged button for an admin invitation creates nothing.
    await chair.press_callback(answer.message_id, "inv:v1:role:admin")
    await chair.press_callback(answer.message_id, "inv:v1:muni:1")
    await chair.receive_all(0.3)
    async with harness.database.read() as session:
        invites = list((await session.scalars(select(Invite))).all())
    assert len(invites) == 1  # the chair's own, created by the admin
    assert len(await actions(harness, "invite.not_allowed")) == 3


async def test_a_coordinator_decides_in_the_county(harness: BotHarness) -> None:
    coordinator = await make_officer(harness, 6001, "Ilir Dervishi", kind="coordinator")
    (role,) = await _roles_of(harness, 6001)
    assert role.kind == "coordinator" and role.municipality_id is None and role.county_id
    # Maliq (Korçë county) has no chair: the coordinator gets it at once and decides it.
    member, member_id = await apply(harness, 1001, municipality="Maliq")
    await card(coordinator, member_id)
    await coordinator.press(f"app:v1:approve:{member_id}")
    stored = await entry(harness, member_id)
    await wait_for(member, lambda m: "-000001" in (m.text or ""))
    stored = await entry(harness, member_id)
    assert stored is not None and stored.status == "approved" and stored.decided_by == 6001
    # Outside the county: refused.
    _, far = await apply(harness, 1002, name="Drita Marku", municipality="Vlorë")
    await coordinator.press_callback(coordinator.messages[-1].message_id, f"app:v1:approve:{far}")
    await coordinator.receive_all(0.3)
    assert (await entry(harness, far)).status == "pending"  # type: ignore[union-attr]


async def test_a_revoked_chair_cannot_use_an_old_button(harness: BotHarness) -> None:
    chair = await make_officer(harness, 5001, "Besa Kola")
    _, member_id = await apply(harness, 1001)
    copy = await card(chair, member_id)

    admin = harness.user(ADMIN_ID, "Admin")
    await harness.say(admin, "/ftese")
    roles = await harness.press(admin, "inv:v1:roles")
    # The configured admin has no revoke button; the chair has one.
    revoke = [b for b in roles.buttons if (b.callback_data or "").startswith("inv:v1:revoke:")]
    assert len(revoke) == 1 and "Besa Kola" in revoke[0].text
    role_id = int((revoke[0].callback_data or "").rsplit(":", 1)[1])
    await harness.press(admin, f"inv:v1:revoke:{role_id}")
    await harness.press(admin, f"inv:v1:revoke_yes:{role_id}")
    await admin.receive_all(0.5)
    # The confirmation (the roles message, edited) …
    done = next(m for m in admin.messages if m.text and "Besa Kola" in m.text)
    assert not done.buttons
    # … and, Korçë having no chair now, its pending application comes to the admin at once.
    assert any(f"nr. {member_id}" in (m.text or "") for m in admin.messages)
    assert await _roles_of(harness, 5001) == []
    # The former chair's menu loses /ne_pritje.
    menus = [
        c
        for c in harness.emu.calls_of("setMyCommands")
        if c.get("scope", {}).get("chat_id") == 5001
    ]
    assert "ne_pritje" in str(menus[0]["commands"]) and "ne_pritje" not in str(
        menus[-1]["commands"]
    )

    # Their card lost its buttons and its personal data; they were told the role ended.
    await wait_for(chair, lambda m: m.message_id > copy.message_id)
    assert copy.edits == 1 and not copy.buttons and "Arben" not in (copy.text or "")
    # A forged press (the buttons are gone) decides nothing and is audited.
    await chair.press_callback(copy.message_id, f"app:v1:approve:{member_id}")
    await chair.receive_all(0.3)
    assert (await entry(harness, member_id)).status == "pending"  # type: ignore[union-attr]
    refused = await actions(harness, "decision.refused")
    assert [(e.actor_id, e.detail) for e in refused] == [
        (5001, {"action": "approve", "has_role": False})
    ]
    assert [e.actor_id for e in await actions(harness, "role.revoked")] == [ADMIN_ID]
    # A forged revocation of the configured admin is refused.
    (config_admin,) = await _roles_of(harness, ADMIN_ID)
    await admin.press_callback(done.message_id, f"inv:v1:revoke_yes:{config_admin.id}")
    await admin.receive_all(0.3)
    assert len(await _roles_of(harness, ADMIN_ID)) == 1


async def test_the_command_line_invites_and_revokes(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", harness.database_url)
    argv = ["invite", "--role", "chair", "--municipality", "Korçë"]
    assert await asyncio.to_thread(cli_main, argv) == 0
    printed = capsys.readouterr().out
    assert "https://t.me/regjistri_test_bot?start=inv_" in printed
    code = printed.split("?start=")[1].split()[0]
    chair = harness.user(5001, "Besa", last_name="Kola")
    await harness.say(chair, f"/start {code}")
    (role,) = await _roles_of(harness, 5001)
    assert role.source == "invite" and role.municipality_id is not None

    _, member_id = await apply(harness, 1001)
    copy = await card(chair, member_id)
    assert await asyncio.to_thread(cli_main, ["role", "revoke", str(role.id)]) == 0
    await chair.press_callback(copy.message_id, f"app:v1:approve:{member_id}")
    await wait_for(chair, lambda m: m.message_id > copy.message_id)
    assert (await entry(harness, member_id)).status == "pending"  # type: ignore[union-attr]
    revoked = await actions(harness, "role.revoked")
    assert [(e.actor_id, e.subject_id, e.detail) for e in revoked] == [
        (None, role.id, {"via": "cli"})
    ]
