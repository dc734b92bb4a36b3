"""Roles at national scale (issue 15): the roles list pages through 61 chairs and more,
open invitations are listed and cancelled, and an invitation dies with its creator's role."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from domain.permissions import RoleKind
from storage.models import Municipality, Role
from storage.roles import grant_role
from tests.harness import ADMIN_ID, BotHarness, said
from tests.test_chair_flow import actions, invite_link, make_officer, wait_for

LONG_NAME = "Aleksandër-Kristofor " * 6  # 126 characters: Telegram allows long names


async def _grant_chairs(harness: BotHarness, count: int) -> None:
    async with harness.database.write() as session:
        ids = (await session.scalars(select(Municipality.id).order_by(Municipality.id))).all()
        for n, municipality_id in enumerate(ids[:count]):
            await grant_role(
                session,
                telegram_id=600_000 + n,
                kind=RoleKind.CHAIR,
                county_id=None,
                municipality_id=municipality_id,
                source="cli",
                granted_by=None,
                now=datetime(2026, 11, 1, tzinfo=UTC),
                holder_name=f"{LONG_NAME}{n}",
            )


async def test_every_chair_is_reachable_page_by_page_and_the_last_can_be_revoked(
    harness: BotHarness,
) -> None:
    await _grant_chairs(harness, 61)
    admin = harness.user(ADMIN_ID, "Admin")
    await harness.say(admin, "/ftese")
    page = await harness.press(admin, "inv:v1:roles")
    seen: set[str] = set()
    for _ in range(20):
        assert page.text is not None and len(page.text) < 4096
        seen |= {
            b.callback_data or ""
            for b in page.buttons
            if (b.callback_data or "").startswith("inv:v1:revoke:")
        }
        following = [b for b in page.buttons if (b.callback_data or "").startswith("inv:v1:roles:")]
        forward = [b for b in following if b.text == said("Next »")]
        if not forward:
            break
        page = await harness.press(admin, forward[0].callback_data or "")
    assert len(seen) == 61  # every chair (the configured admin has no revoke button)
    last = max(seen, key=lambda data: int(data.rsplit(":", 1)[1]))
    role_id = int(last.rsplit(":", 1)[1])
    await harness.press(admin, last)
    await harness.press(admin, f"inv:v1:revoke_yes:{role_id}")
    async with harness.database.read() as session:
        revoked = await session.get(Role, role_id)
    assert revoked is not None and revoked.revoked_at is not None
    # A forged page far past the end shows the last page, not an error.
    target = admin.messages[-1]
    edits = target.edits
    await admin.press_callback(target.message_id, "inv:v1:roles:999999999")
    again = await wait_for(admin, lambda m: m.message_id == target.message_id and m.edits > edits)
    # 61 chairs and the configured admin, one chair revoked: 61 roles, the last of 7 pages.
    header = said("Current roles: {count} (page {page} of {pages})", count="61", page=7, pages=7)
    assert (again.text or "").startswith(header)


async def test_open_invitations_are_listed_and_cancelled(harness: BotHarness) -> None:
    code = await invite_link(harness, "chair", municipality="Korçë")
    admin = harness.user(ADMIN_ID, "Admin")
    await harness.say(admin, "/ftese")
    listing = await harness.press(admin, "inv:v1:invites")
    assert "Korçë" in (listing.text or "")
    cancel = [
        b for b in listing.buttons if (b.callback_data or "").startswith("inv:v1:cancel_inv:")
    ]
    assert len(cancel) == 1
    done = await harness.press(admin, cancel[0].callback_data or "")
    assert said("There are no open invitations.") in (done.text or "")
    assert len(await actions(harness, "invite.cancelled")) == 1
    # The link no longer works.
    late = harness.user(6101, "Vjollca")
    refused = await harness.say(late, f"/start {code}")
    assert refused.text == said(
        "This invitation link cannot be used: it has expired, it was used already, "
        "or it is not valid. Please ask for a new one."
    )


async def test_an_invitation_dies_with_its_creators_admin_role(harness: BotHarness) -> None:
    # A second admin (by invitation) invites a chair, then loses the admin role.
    second = await make_officer(harness, 6201, "Arben Shehu", kind="admin")
    await harness.say(second, "/ftese")
    await harness.press(second, "inv:v1:role:chair")
    step = await harness.press(second, "Korçë")
    step = await harness.press(second, step.button("Korçë").callback_data or "")
    code = (step.text or "").split("?start=")[1].split()[0]
    async with harness.database.write() as session:
        role = await session.scalar(
            select(Role).where(Role.telegram_id == 6201, Role.revoked_at.is_(None))
        )
        assert role is not None
        role.revoked_at = datetime(2026, 11, 2, 10, tzinfo=UTC)
    chair = harness.user(6202, "Drita")
    refused = await harness.say(chair, f"/start {code}")
    assert "cannot be used" in (refused.text or "") or "nuk mund të përdoret" in (
        refused.text or ""
    )
    async with harness.database.read() as session:
        granted = (await session.scalars(select(Role).where(Role.telegram_id == 6202))).all()
    assert granted == []
    problems = [e.detail for e in await actions(harness, "invite.refused")]
    assert {"problem": "creator_gone"} in problems
