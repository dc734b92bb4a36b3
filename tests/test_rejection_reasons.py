"""A typed rejection reason through the emulator: it is the decider's very next message
only, it is shown back before the member reads it, and it is cleaned and bounded; the
pending list survives forged pages and names the applicant it decided."""

from __future__ import annotations

from sqlalchemy import select

from domain.decisions import MAX_REASON_LENGTH
from storage.models import Role
from tests.harness import BotHarness, said
from tests.test_chair_flow import (
    actions,
    apply,
    card,
    entry,
    has_button,
    make_officer,
    stored_applications,
    wait_for,
)


async def test_another_press_ends_the_wait_for_a_reason(harness: BotHarness) -> None:
    """The issue's case: Reject A, approve B instead, then say thank you."""
    chair = await make_officer(harness, 5001, "Besa Kola")
    first, second = await stored_applications(harness, 2)
    await harness.say(chair, "/ne_pritje")
    await chair.press(f"app:v1:reject:{first}:0")
    await wait_for(chair, has_button(f"app:v1:keep:{first}"))
    await chair.press(f"app:v1:approve:{second}:0")
    await wait_for(chair, lambda m: "KOR-000001" in (m.text or ""))
    await chair.receive_all(0.2)
    await chair.send("Faleminderit!")
    await chair.receive(5)
    await chair.receive_all(0.3)
    assert not any(has_button(f"app:v1:send:{first}")(m) for m in chair.messages)
    assert (await entry(harness, first)).status == "pending"  # type: ignore[union-attr]
    assert not await actions(harness, "decision.rejected")


async def test_a_command_ends_the_wait_for_a_reason(harness: BotHarness) -> None:
    """The issue's other case: Reject, then /ne_pritje, then "ok"."""
    chair = await make_officer(harness, 5001, "Besa Kola")
    (member_id,) = await stored_applications(harness, 1)
    await harness.say(chair, "/ne_pritje")
    await chair.press(f"app:v1:reject:{member_id}:0")
    await wait_for(chair, has_button(f"app:v1:keep:{member_id}"))
    await harness.say(chair, "/ne_pritje")
    await chair.send("ok")
    await chair.receive(5)
    await chair.receive_all(0.3)
    assert not any(has_button(f"app:v1:send:{member_id}")(m) for m in chair.messages)
    # /anulo after another action cancels nothing of the rejection either.
    cancelled = await harness.say(chair, "/anulo")
    assert cancelled.text != said("All right: the application stays pending.")
    assert (await entry(harness, member_id)).status == "pending"  # type: ignore[union-attr]


async def test_change_then_send(harness: BotHarness) -> None:
    chair = await make_officer(harness, 5001, "Besa Kola")
    member, member_id = await apply(harness, 1001)
    await card(chair, member_id)
    await chair.press(f"app:v1:reject:{member_id}")
    await wait_for(chair, has_button(f"app:v1:keep:{member_id}"))
    await chair.send("Nuk e njoh")
    shown = await wait_for(chair, has_button(f"app:v1:change:{member_id}"))
    await chair.press(f"app:v1:change:{member_id}")
    # Asked again in place, with the reason buttons.
    await wait_for(chair, lambda m: m is shown and has_button(f"app:v1:keep:{member_id}")(m))
    await chair.send("Nuk e njohim në degë")
    again = await wait_for(
        chair, lambda m: has_button(f"app:v1:send:{member_id}")(m) and "degë" in (m.text or "")
    )
    await chair.press_callback(again.message_id, f"app:v1:send:{member_id}")
    await wait_for(member, lambda m: "Nuk e njohim në degë" in (m.text or ""))
    stored = await entry(harness, member_id)
    assert stored is not None and stored.rejection_reason == "text:Nuk e njohim në degë"
    assert not any("Nuk e njoh\n" in (m.text or "") for m in member.messages)


async def test_a_long_reason_is_refused_not_cut(harness: BotHarness) -> None:
    chair = await make_officer(harness, 5001, "Besa Kola")
    _, member_id = await apply(harness, 1001)
    await card(chair, member_id)
    await chair.press(f"app:v1:reject:{member_id}")
    await wait_for(chair, has_button(f"app:v1:keep:{member_id}"))
    refused = await harness.say(chair, "a" * (MAX_REASON_LENGTH + 1))
    assert refused.text == said(
        "That reason is {length} characters long; it can have at most {limit}. "
        "Please shorten it and send it again.",
        length=MAX_REASON_LENGTH + 1,
        limit=MAX_REASON_LENGTH,
    )
    # The wait goes on: the shortened reason is taken.
    shown = await harness.say(chair, "a" * MAX_REASON_LENGTH)
    assert has_button(f"app:v1:send:{member_id}")(shown)
    assert (await entry(harness, member_id)).status == "pending"  # type: ignore[union-attr]


async def test_a_reason_is_cleaned_of_invisible_characters(harness: BotHarness) -> None:
    chair = await make_officer(harness, 5001, "Besa Kola")
    member, member_id = await apply(harness, 1001)
    await card(chair, member_id)
    await chair.press(f"app:v1:reject:{member_id}")
    await wait_for(chair, has_button(f"app:v1:keep:{member_id}"))
    await harness.say(chair, "\u202eNuk\u200b jeton\u200d në Korçë\u202c")
    await chair.press(f"app:v1:send:{member_id}")
    told = await wait_for(member, lambda m: "Nuk jeton në Korçë" in (m.text or ""))
    assert "\u202e" not in (told.text or "") and "\u200b" not in (told.text or "")
    stored = await entry(harness, member_id)
    assert stored is not None and stored.rejection_reason == "text:Nuk jeton në Korçë"


async def test_a_long_telegram_name_fits_the_column(harness: BotHarness) -> None:
    # Telegram's longest name: 64 + a space + 64 = 129, with a bidi override in it.
    chair = await make_officer(harness, 5001, "\u202e" + "B" * 64 + " " + "K" * 64)
    member, member_id = await apply(harness, 1001)
    await card(chair, member_id)
    await chair.press(f"app:v1:approve:{member_id}")
    await wait_for(member, lambda m: "KOR-000001" in (m.text or ""))
    async with harness.database.read() as session:
        names = (await session.scalars(select(Role.holder_name))).all()
    assert names and all(n is None or (len(n) <= 128 and "\u202e" not in n) for n in names)
    assert "B" * 64 + " " + "K" * 62 + "…" in names


async def test_a_forged_page_number_shows_the_last_page(harness: BotHarness) -> None:
    chair = await make_officer(harness, 5001, "Besa Kola")
    ids = await stored_applications(harness, 6)
    listing = await harness.say(chair, "/ne_pritje")
    for page in ("9223372036854775807", "-9223372036854775808"):
        await chair.press_callback(listing.message_id, f"app:v1:page:{page}")
        await chair.wait_edit(listing)
    assert listing.buttons[0].callback_data == f"app:v1:approve:{ids[0]}:0"
    await chair.press_callback(listing.message_id, "app:v1:page:9223372036854775807")
    await chair.wait_edit(listing)
    assert f"app:v1:approve:{ids[5]}:1" in [b.callback_data for b in listing.buttons]
    # A forged list page on a decision button is clamped too.
    await chair.press_callback(listing.message_id, f"app:v1:approve:{ids[5]}:9223372036854775807")
    await chair.wait_edit(listing)
    generic = said(
        "Sorry, something went wrong on our side. What you entered so far is saved: "
        "please try again in a moment."
    )
    assert all(m.text != generic for m in chair.messages)
    # The approval on top of the list names the applicant.
    assert listing.text and listing.text.startswith(
        said("Application no. {id} ({name}):", id=ids[5], name="Anëtar Numër5")
    )
