"""/kerko through the emulator (issue 15): found by a name typed without diacritics or by
phone, phones masked, a reveal audited, and nothing outside the officer's scope by any
command or forged button."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import AuditEvent, Member
from tests.harness import BotHarness, said
from tests.test_chair_flow import apply, make_officer


async def _reads(harness: BotHarness, action: str) -> list[AuditEvent]:
    async with harness.database.read() as session:
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return list((await session.scalars(query)).all())


async def test_a_chair_finds_a_member_without_diacritics_and_reveals_one_phone(
    harness: BotHarness,
) -> None:
    chair = await make_officer(harness, 9101, "Besa Kola")
    # /kerko alone says how, in Albanian, that letters without ë or ç are fine.
    how = await harness.say(chair, "/kerko")
    assert "/kerko 069 123 4567\nMund të shkruani edhe pa ë ose ç." in (how.text or "")
    _member, member_id = await apply(harness, 9102, "Arbën Hoxha")
    async with harness.database.read() as session:
        phone = await session.scalar(select(Member.phone_e164).where(Member.id == member_id))
    assert phone is not None

    found = await harness.say(chair, "/kerko arben hox")
    assert "Arbën Hoxha" in (found.text or "")
    assert phone not in (found.text or "") and "*** **" in (found.text or "")
    card = await harness.press(chair, f"srch:v1:card:{member_id}")
    assert "Arbën Hoxha" in (card.text or "") and "*** **" in (card.text or "")
    revealed = await harness.press(chair, f"srch:v1:phone:{member_id}")
    assert "+355 69 212" in (revealed.text or "") and "*" not in (revealed.text or "")
    assert [e.subject_id for e in await _reads(harness, "read.phone_revealed")] == [member_id]
    assert [e.subject_id for e in await _reads(harness, "read.member_card")] == [member_id]
    assert [e.subject_id for e in await _reads(harness, "read.search_result")] == [member_id]
    # By phone, as members write it.
    digits = phone.removeprefix("+355")
    by_phone = await harness.say(chair, f"/kerko 0{digits[:2]} {digits[2:5]} {digits[5:]}")
    assert "Arbën Hoxha" in (by_phone.text or "")


async def test_nothing_of_another_municipality_by_search_or_forged_buttons(
    harness: BotHarness,
) -> None:
    korce = await make_officer(harness, 9201, "Besa Kola")
    durres = await make_officer(
        harness, 9202, "Dritan Leka", county="Durrës", municipality="Durrës"
    )
    _in_durres, durres_member = await apply(harness, 9203, "Mira Dervishi", municipality="Durrës")
    found = await harness.say(durres, "/kerko mira")
    assert "Mira Dervishi" in (found.text or "")
    search_button = next(
        b.callback_data for b in found.buttons if (b.callback_data or "").startswith("srch:")
    )
    assert search_button is not None

    nothing = await harness.say(korce, "/kerko mira dervishi")
    assert nothing.text == said("Nobody in your part of the register matches that.")
    refusal = said("That entry is not in your part of the register.")
    for forged in (f"srch:v1:card:{durres_member}", f"srch:v1:phone:{durres_member}"):
        await korce.press_callback(nothing.message_id, forged)
        answer = await harness.answer(korce)
        assert answer.text == refusal
    # Durrës's own search id, forged by the chair of Korçë, is not theirs: nothing.
    async with harness.database.read() as session:
        from storage.models import SavedSearch

        other_search = await session.scalar(
            select(SavedSearch.id).where(SavedSearch.actor_id == 9202)
        )
    await korce.press_callback(nothing.message_id, f"srch:v1:page:{other_search}:0")
    answer = await harness.answer(korce)
    assert "Mira" not in (answer.text or "")
    assert len(await _reads(harness, "read.member_card")) == 0
    assert len(await _reads(harness, "search.refused")) == 2


async def test_results_page_and_strangers_are_refused(harness: BotHarness) -> None:
    chair = await make_officer(harness, 9301, "Besa Kola")
    for n in range(10):
        await apply(harness, 9310 + n, f"Arta Gjoni{chr(ord('a') + n)}")
    first = await harness.say(chair, "/kerko arta")
    assert said("Found: {count} (page {page} of {pages})", count="10", page=1, pages=2) in (
        first.text or ""
    )
    second = await harness.press(chair, said("Next »"))
    assert said("Found: {count} (page {page} of {pages})", count="10", page=2, pages=2) in (
        second.text or ""
    )
    assert sum(line[:1].isdigit() for line in (second.text or "").splitlines()) == 2

    stranger = harness.user(9399, "Ilir")
    refused = await harness.say(stranger, "/kerko arta")
    assert refused.text == said("Search is for branch chairs, coordinators and national staff.")
