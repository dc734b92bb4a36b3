"""The authorization matrix (issue 15): every officer command and every kind of button,
pressed with forged data, by a member, the chair of Korçë, the chair of Durrës, the
coordinator of Korçë county, the coordinator of Durrës county and a national admin.

Each is either allowed with results strictly inside the person's scope, or refused: the
test collects everything each person receives (texts, captions and the files' bytes) and
fails if a name from outside their scope appears anywhere in it.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from emulator.users import EmulatedUser
from storage.models import Member, Municipality
from tests.harness import ADMIN_ID, BotHarness
from tests.test_chair_flow import apply, entry, make_officer

KORCE_NAME = "Arbën Hoxha"
DURRES_NAME = "Mira Dervishi"


def _received(harness: BotHarness, user_id: int) -> str:
    """Everything the bot sent this person: texts, captions, buttons and files."""
    parts: list[str] = []
    for message in harness.emu.messages(user_id):
        parts.append(message.text or "")
        parts.extend(b.text for b in message.buttons)
        for key in ("document", "photo"):
            media = message.raw.get(key)
            if isinstance(media, list):
                media = media[-1]
            if isinstance(media, dict) and "file_id" in media:
                parts.append(harness.emu.file(media["file_id"]).data.decode("utf-8", "replace"))
    return "\n".join(parts)


@pytest.mark.timeout(300)
async def test_every_command_and_forged_button_stays_inside_each_scope(
    harness: BotHarness,
) -> None:
    korce_chair = await make_officer(harness, 9401, "Besa Kola")
    durres_chair = await make_officer(
        harness, 9402, "Dritan Leka", county="Durrës", municipality="Durrës"
    )
    korce_coordinator = await make_officer(harness, 9403, "Ilir Kosta", kind="coordinator")
    durres_coordinator = await make_officer(
        harness, 9404, "Genc Mema", kind="coordinator", county="Durrës"
    )
    admin = harness.user(ADMIN_ID, "Admin")
    # The member playing the matrix is from Vlorë: they may see only their own data.
    member, _own_id = await apply(harness, 9407, "Teuta Lala", municipality="Vlorë")
    _korce_member, korce_id = await apply(harness, 9405, KORCE_NAME)
    _durres_member, durres_id = await apply(harness, 9406, DURRES_NAME, municipality="Durrës")
    await harness.drain_outbox()

    people = {
        "member": (member, set()),
        "chair of Korçë": (korce_chair, {KORCE_NAME}),
        "chair of Durrës": (durres_chair, {DURRES_NAME}),
        "coordinator of Korçë county": (korce_coordinator, {KORCE_NAME}),
        "coordinator of Durrës county": (durres_coordinator, {DURRES_NAME}),
        "admin": (admin, {KORCE_NAME, DURRES_NAME}),
    }
    commands = [
        "/ne_pritje",
        "/kerko arben",
        "/kerko mira",
        "/eksporto",
        "/auditimi",
        "/ftese",
        "/statistika",
    ]
    durres_place = await entry(harness, durres_id)
    assert durres_place is not None
    async with harness.database.read() as session:
        durres_county = await session.scalar(
            select(Municipality.county_id).where(Municipality.id == durres_place.municipality_id)
        )
    forged = [
        f"app:v1:approve:{korce_id}",
        f"app:v1:reject:{durres_id}",
        f"app:v1:reason:{korce_id}:0",
        "app:v1:list",
        "app:v1:page:0",
        f"srch:v1:card:{korce_id}",
        f"srch:v1:phone:{korce_id}",
        f"srch:v1:card:{durres_id}",
        f"srch:v1:phone:{durres_id}",
        "srch:v1:page:1:0",
        "exp:v1:ok:1",
        "aud:v1:p:0:0:1",
        "inv:v1:roles",
        "inv:v1:invites",
        "me:v1:looked",
        "me:v1:json",
        "st:v1:n",
        f"st:v1:m:{durres_place.municipality_id}",
        f"st:v1:c:{durres_county}",
        f"srch:v1:end:{korce_id}",
        f"srch:v1:move:{durres_id}",
        f"mv:v1:ok:{korce_id}",
    ]

    async def tries_everything(user: EmulatedUser) -> None:
        for command in commands:
            await user.send(command)
            await user.receive_all(idle=0.3)
        anchor = user.messages[-1].message_id if user.messages else 1
        for data in forged:
            await user.press_callback(anchor, data)
            await user.receive_all(idle=0.3)

    # All six at once (each chat is paced by Telegram's per-chat limit on its own).
    await asyncio.gather(*(tries_everything(user) for user, _allowed in people.values()))
    await harness.drain_outbox()

    for label, (user, allowed) in people.items():
        seen = _received(harness, user.id)
        for name in (KORCE_NAME, DURRES_NAME):
            if name in allowed:
                assert name in seen, f"{label} should find {name}"
            else:
                assert name not in seen, f"{label} saw {name}, outside their scope"
    # Nobody decided anything with a forged press: both applications are still pending.
    async with harness.database.read() as session:
        statuses = {m.full_name: m.status for m in await session.scalars(_all_members())}
    assert statuses[DURRES_NAME] == "pending"


def _all_members():  # type: ignore[no-untyped-def]

    return select(Member)
