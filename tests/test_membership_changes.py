"""A chair ends a confirmed membership with a reason, or moves it to another municipality
whose branch accepts it (issue 15), through the emulator; nobody else can."""

from __future__ import annotations

from tests.harness import BotHarness
from tests.test_chair_flow import actions, apply, card, entry, make_officer, wait_for


async def _approved(harness: BotHarness, chair, user_id: int, name: str) -> int:  # type: ignore[no-untyped-def]
    _member, member_id = await apply(harness, user_id, name)
    await card(chair, member_id)
    await harness.say(chair, "/ne_pritje")
    await harness.press(chair, f"app:v1:approve:{member_id}:0")
    await harness.drain_outbox()
    assert (await entry(harness, member_id)).status == "approved"  # type: ignore[union-attr]
    return member_id


async def test_a_chair_ends_a_membership_with_a_reason_and_the_member_is_told(
    harness: BotHarness,
) -> None:
    korce = await make_officer(harness, 9601, "Besa Kola")
    durres = await make_officer(
        harness, 9602, "Dritan Leka", county="Durrës", municipality="Durrës"
    )
    member_id = await _approved(harness, korce, 9603, "Arbën Hoxha")

    # Durrës's chair cannot, even forging the buttons.
    await harness.say(durres, "/kerko arben")
    for forged in (f"srch:v1:end:{member_id}", f"srch:v1:endr:{member_id}:left"):
        await durres.press_callback(durres.messages[-1].message_id, forged)
        await harness.answer(durres)
    assert (await entry(harness, member_id)).status == "approved"  # type: ignore[union-attr]

    await harness.say(korce, "/kerko arben")
    await harness.press(korce, f"srch:v1:card:{member_id}")
    await harness.press(korce, f"srch:v1:end:{member_id}")
    # A forged reason code ends nothing.
    await korce.press_callback(korce.messages[-1].message_id, f"srch:v1:endr:{member_id}:nope")
    await harness.answer(korce)
    assert (await entry(harness, member_id)).status == "approved"  # type: ignore[union-attr]
    await harness.press(korce, f"srch:v1:endr:{member_id}:left")
    ended = await entry(harness, member_id)
    assert ended is not None and ended.status == "ended" and ended.rejection_reason == "end:left"
    member = harness.user(9603, "Arbën")
    await wait_for(member, lambda m: "KOR-" in (m.text or "") and m is member.messages[-1])
    assert [e.detail for e in await actions(harness, "membership.ended")] == [{"reason": "left"}]


async def test_a_move_waits_for_the_other_branch_which_accepts_it(harness: BotHarness) -> None:
    korce = await make_officer(harness, 9701, "Besa Kola")
    durres = await make_officer(
        harness, 9702, "Dritan Leka", county="Durrës", municipality="Durrës"
    )
    member_id = await _approved(harness, korce, 9703, "Drita Marku")
    number = (await entry(harness, member_id)).membership_number  # type: ignore[union-attr]

    await harness.say(korce, "/kerko drita")
    await harness.press(korce, f"srch:v1:card:{member_id}")
    await harness.press(korce, f"srch:v1:move:{member_id}")
    picker = korce.messages[-1]
    county = next(b for b in picker.buttons if b.text == "Durrës")
    municipalities = await harness.press(korce, county.callback_data or "")
    target = next(b for b in municipalities.buttons if b.text == "Durrës")
    await harness.press(korce, target.callback_data or "")
    asked = await wait_for(durres, lambda m: f"mv:v1:ok:{member_id}" in str(m.buttons))
    assert "Drita" not in (asked.text or "")  # not theirs yet: no name
    # Korçë's chair cannot answer for Durrës.
    await korce.press_callback(korce.messages[-1].message_id, f"mv:v1:ok:{member_id}")
    await harness.answer(korce)
    moved = await entry(harness, member_id)
    assert moved is not None and moved.move_to_id is not None
    await harness.press(durres, f"mv:v1:ok:{member_id}")
    moved = await entry(harness, member_id)
    assert moved is not None and moved.move_to_id is None
    assert moved.membership_number == number
    await wait_for(korce, lambda m: str(number) in (m.text or "") and "Durrës" in (m.text or ""))
    found = await harness.say(durres, "/kerko drita")
    assert "Drita Marku" in (found.text or "")
    assert len(await actions(harness, "move.refused")) == 1
