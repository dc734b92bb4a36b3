"""/statistika through the emulator: a chair of Korçë sees Korçë's figures with a chart, a
coordinator the county's, national staff the country's — and no command or forged button
shows anyone a place outside their role. Every view and refusal is audited, by ids."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from domain.charts import chart_data
from domain.figures import NATIONAL, Area, AreaKind
from domain.i18n import use_language
from domain.permissions import Grant, RoleKind, scope_of
from emulator import EmulatedUser, SentMessage
from handlers.stats_chart import layout
from storage.figures import figures_in_scope
from storage.models import Member, Municipality
from tests.harness import ADMIN_ID, BotHarness, said
from tests.test_chair_flow import actions, make_officer, wait_for
from tests.test_charts import check_painted

UNKNOWN = "I do not know that command. Send /help to see what I can do."
REFUSED = "You can only see the figures of the places your role covers."


async def _ids(harness: BotHarness, name: str) -> tuple[int, int]:
    async with harness.database.read() as session:
        row = (
            await session.execute(
                select(Municipality.id, Municipality.county_id).where(Municipality.name == name)
            )
        ).one()
    return row.id, row.county_id


async def _members(harness: BotHarness, name: str, statuses: list[str], first: int) -> None:
    """Entries stored as registration stores them (the figures are what is tested here)."""
    municipality_id, _county = await _ids(harness, name)
    now = harness.clock.now()
    async with harness.database.write() as session:
        for n, status in enumerate(statuses):
            session.add(
                Member(
                    telegram_id=first + n,
                    full_name=f"Anëtar {first + n}",
                    birth_date=date(1980, 1, 1),
                    phone_e164=f"+35569230{first + n:04d}"[-13:],
                    municipality_id=municipality_id,
                    language="sq",
                    status=status,
                    submitted_at=now - timedelta(days=n * 3 + 1),
                )
            )


async def _register(harness: BotHarness) -> None:
    await _members(harness, "Korçë", ["approved"] * 3 + ["pending"] * 2 + ["rejected"], 7000)
    await _members(harness, "Pogradec", ["approved"] * 2, 7100)
    await _members(harness, "Durrës", ["approved"] * 5 + ["pending"], 7200)


async def _photo(harness: BotHarness, user: EmulatedUser, seen: int = 0) -> SentMessage:
    photo = await wait_for(user, lambda m: m.kind == "photo" and m.message_id > seen)
    return photo


def _png(harness: BotHarness, photo: SentMessage) -> bytes:
    stored = harness.emu.file(photo.raw["photo"][-1]["file_id"])
    assert stored is not None
    return stored.data


async def _expected(harness: BotHarness, area: Area, grant: Grant, language: str = "sq"):  # type: ignore[no-untyped-def]
    async with harness.database.read() as session:
        figures = await figures_in_scope(session, scope_of([grant]), area, now=harness.clock.now())
    assert figures is not None
    with use_language(language):
        return figures, chart_data(figures)


async def test_a_chair_sees_their_municipalitys_figures_and_chart(harness: BotHarness) -> None:
    await _register(harness)
    chair = await make_officer(harness, 2001, "Besa Kola")  # chair of Korçë
    korce, county = await _ids(harness, "Korçë")
    text = await harness.say(chair, "/statistika")
    photo = await _photo(harness, chair)
    figures, data = await _expected(
        harness, Area(AreaKind.MUNICIPALITY, korce), Grant(1, RoleKind.CHAIR, county, korce)
    )
    # The chart is Korçë's weekly registrations, and the painted columns are those numbers.
    assert data.series[0].values == tuple(count for _day, count in figures.weeks)
    assert sum(data.series[0].values) == 6  # all of Korçë's entries are within 12 weeks
    png = _png(harness, photo)
    check_painted(png, layout(data))
    assert photo.text == data.title and "Korçë" in data.title
    # The text: Korçë's figures only, numbers as Albanians write them.
    body = text.text or ""
    assert said("Members (approved): {count}", count="3") in body
    assert said("Waiting for a decision: {count}", count="2") in body
    assert (
        said("Rejected: {rejected} · Withdrawn: {withdrawn}", rejected="1", withdrawn="0") in body
    )
    assert "Durrës" not in body and "Pogradec" not in body
    assert not text.buttons  # a chair of one municipality has nowhere else to go
    viewed = await actions(harness, "stats.viewed")
    assert [(e.actor_id, e.subject_kind, e.subject_id) for e in viewed] == [
        (2001, "municipality", korce)
    ]
    assert viewed[0].detail == {
        "scope": {"national": False, "county_ids": [], "municipality_ids": [korce]}
    }


async def test_a_chair_cannot_reach_another_place_by_a_forged_button(harness: BotHarness) -> None:
    await _register(harness)
    chair = await make_officer(harness, 2001, "Besa Kola")
    text = await harness.say(chair, "/stats")
    durres, durres_county = await _ids(harness, "Durrës")
    pogradec, korce_county = await _ids(harness, "Pogradec")
    forged = [
        f"st:v1:m:{durres}",
        f"st:v1:m:{pogradec}",  # the same county, not the chair's municipality
        f"st:v1:c:{korce_county}",  # the chair's own county is wider than their role
        f"st:v1:c:{durres_county}",
        "st:v1:n",
        "st:v1:m:99999999",
        "st:v1:m:-1",
        f"st:v1:m:{durres}:1",
        "st:v1:x:1",
    ]
    signal = harness.emu.chat_signal(chair.id)
    for n, data in enumerate(forged, start=1):
        await chair.press_callback(text.message_id, data)
        # (A reminder of the pending applications may arrive in between: not a refusal.)
        told = await signal.wait_until(
            lambda n=n: sum(m.text == said(REFUSED) for m in chair.messages) == n, 5.0
        )
        assert told, data
    assert harness.emu.count("sendPhoto") == 1  # the chair's own chart, nothing more
    refusals = await actions(harness, "stats.refused")
    assert len(refusals) == len(forged)
    assert (refusals[0].subject_kind, refusals[0].subject_id) == ("municipality", durres)
    assert len(await actions(harness, "stats.viewed")) == 1


async def test_a_coordinator_sees_the_county_by_municipality(harness: BotHarness) -> None:
    await _register(harness)
    coordinator = await make_officer(harness, 2002, "Ilir Dema", kind="coordinator")
    korce, county = await _ids(harness, "Korçë")
    text = await harness.say(coordinator, "/statistika")
    photo = await _photo(harness, coordinator)
    figures, data = await _expected(
        harness, Area(AreaKind.COUNTY, county), Grant(1, RoleKind.COORDINATOR, county)
    )
    # Bars by municipality, largest first: Korçë (3 approved, 2 pending), then Pogradec.
    assert data.labels[:2] == ("Korçë", "Pogradec") and len(data.labels) == 6
    assert [s.values[:2] for s in data.series] == [(3, 2), (2, 0)]
    assert {row.name: row.approved for row in figures.rows}["Pogradec"] == 2
    check_painted(_png(harness, photo), layout(data))
    assert "Durrës" not in (text.text or "")
    assert sorted(text.button_labels) == [
        "Devoll",
        "Kolonjë",
        "Korçë",
        "Maliq",
        "Pogradec",
        "Pustec",
    ]
    # Down into one municipality of the county: its weekly chart and a way back up.
    down = await harness.press(coordinator, f"st:v1:m:{korce}")
    assert said("Members (approved): {count}", count="3") in (down.text or "")
    assert harness.emu.count("sendPhoto") == 2
    # Durrès is another county's.
    durres, _ = await _ids(harness, "Durrës")
    await coordinator.press_callback(down.message_id, f"st:v1:m:{durres}")
    assert (await harness.answer(coordinator)).text == said(REFUSED)


async def test_national_staff_see_every_county_in_english(harness: BotHarness) -> None:
    await _register(harness)
    admin = harness.user(ADMIN_ID, "Admin")
    await harness.say(admin, "/gjuha")
    await harness.press(admin, "🇬🇧 English")
    text = await harness.say(admin, "/stats")
    photo = await _photo(harness, admin)
    figures, data = await _expected(harness, NATIONAL, Grant(1, RoleKind.ADMIN), "en")
    assert data.title == "Members by county" and photo.text == data.title
    assert len(data.labels) == 12 and sum(data.totals()) == 10 + 3  # approved + pending
    check_painted(_png(harness, photo), layout(data))
    body = text.text or ""
    assert said("Members (approved): {count}", "en", count="10") in body
    assert "Members per 1,000 inhabitants" in body and "2,402,113" in body
    assert len(figures.rows) == 12 and len(text.buttons) == 12
    assert (await actions(harness, "stats.viewed"))[0].subject_kind == "national"


async def test_a_member_is_told_nothing(harness: BotHarness) -> None:
    member = harness.user(1001)
    reply = await harness.say(member, "/statistika")
    assert reply.text == said(UNKNOWN)
    await member.press_callback(reply.message_id, "st:v1:n")
    await harness.answer(member)
    assert harness.emu.count("sendPhoto") == 0
    assert [e.actor_id for e in await actions(harness, "stats.refused")] == [1001, 1001]
    assert "/statistika" not in ((await harness.say(member, "/ndihme")).text or "")
