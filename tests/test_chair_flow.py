"""Chairs confirm members, end to end through the emulator (the real bot, over HTTP).

Invites, cards, Approve/Reject, races and restarts are all driven the way people would:
an admin creates the invitation in the chat, the chair opens it, members register, and
buttons are pressed (or forged) in the emulated Telegram. Assertions look at callback
data, ids, membership numbers and the database, or at texts rendered through the catalog.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import delete, select, update

from domain.i18n import format_moment, use_language
from emulator import EmulatedUser, SentMessage
from storage.db import Database
from storage.models import Account, AuditEvent, Delivery, Member, MembershipCounter
from tests.harness import ADMIN_ID, BotHarness, said
from usecases.notifications import outcome_line

_phones = iter(range(100, 1000))


async def wait_for(
    user: EmulatedUser,
    found: Callable[[SentMessage], bool],
    timeout: float = 5.0,  # noqa: ASYNC109 - an AssertionError that shows the chat
) -> SentMessage:
    """The newest message of the chat that satisfies `found`, waiting for it to arrive."""
    signal = user.emu.chat_signal(user.id)

    def match() -> SentMessage | None:
        return next((m for m in reversed(user.messages) if found(m)), None)

    if not await signal.wait_until(lambda: match() is not None, timeout):
        shown = "; ".join(str(m) for m in user.messages[-4:])
        raise AssertionError(f"{user!r}: no such message within {timeout}s; last: {shown}")
    message = match()
    assert message is not None
    return message


def has_button(data: str) -> Callable[[SentMessage], bool]:
    return lambda m: any(b.callback_data == data for b in m.buttons)


async def invite_link(
    harness: BotHarness, kind: str = "chair", county: str = "Korçë", municipality: str = "Korçë"
) -> str:
    """An invitation created by the admin through /ftese, as the admin would tap it."""
    admin = harness.user(ADMIN_ID, "Admin")
    await harness.say(admin, "/ftese")
    step = await harness.press(admin, f"inv:v1:role:{kind}")
    if kind != "admin":
        step = await harness.press(admin, step.button(county).callback_data or "")
    if kind == "chair":
        step = await harness.press(admin, step.button(municipality).callback_data or "")
    assert step.text and "?start=inv_" in step.text
    return step.text.split("?start=")[1].split()[0]


async def make_officer(
    harness: BotHarness, user_id: int, name: str, kind: str = "chair", **where: str
) -> EmulatedUser:
    first, _, last = name.partition(" ")
    officer = harness.user(user_id, first, last_name=last or None)
    code = await invite_link(harness, kind, **where)
    await harness.say(officer, f"/start {code}")
    return officer


async def apply(
    harness: BotHarness, user_id: int, name: str = "Arben Hoxha", municipality: str = "korce"
) -> tuple[EmulatedUser, int]:
    """A member registers; returns them and their application's id."""
    member = harness.user(user_id, name.split()[0])
    phone = f"069 212 3{next(_phones):03d}"
    await harness.register(member, name=name, phone=phone, municipality=municipality)
    async with harness.database.read() as session:
        member_id = await session.scalar(
            select(Member.id).where(Member.telegram_id == user_id, Member.status == "pending")
        )
    assert member_id is not None
    return member, member_id


async def card(officer: EmulatedUser, member_id: int) -> SentMessage:
    """The officer's copy of an application (the message carrying its Approve button)."""
    return await wait_for(officer, has_button(f"app:v1:approve:{member_id}"))


async def entry(harness: BotHarness, member_id: int) -> Member | None:
    async with harness.database.read() as session:
        return await session.get(Member, member_id)


async def actions(harness: BotHarness, *names: str) -> list[AuditEvent]:
    async with harness.database.read() as session:
        query = select(AuditEvent).where(AuditEvent.action.in_(names)).order_by(AuditEvent.id)
        return list((await session.scalars(query)).all())


def approved_text(number: str) -> str:
    return said(
        "Congratulations! Your membership has been confirmed by the party branch in "
        "{municipality}. Your membership number is {number}.",
        municipality="Korçë",
        number=number,
    )


async def test_invite_then_approve_gives_a_membership_number(harness: BotHarness) -> None:
    chair = await make_officer(harness, 5001, "Besa Kola")
    welcome = chair.messages[-1]
    assert welcome.text and "Korçë" in welcome.text and not welcome.buttons
    member, member_id = await apply(harness, 1001)

    copy = await card(chair, member_id)
    assert [b.callback_data for b in copy.buttons] == [
        f"app:v1:approve:{member_id}",
        f"app:v1:reject:{member_id}",
    ]
    assert copy.text and "Arben Hoxha" in copy.text and "Korçë" in copy.text
    assert "1980" in copy.text and "+355 69 212 3" in copy.text

    seen = copy.edits
    await chair.press(f"app:v1:approve:{member_id}")
    told = await wait_for(member, lambda m: "KOR-000001" in (m.text or ""))
    assert told.text == approved_text("KOR-000001")
    await chair.wait_edit(copy, since=seen)
    assert not copy.buttons and copy.text and "KOR-000001" in copy.text
    assert "Besa Kola" in copy.text

    stored = await entry(harness, member_id)
    assert stored is not None and stored.status == "approved"
    assert stored.decided_by == 5001 and stored.membership_number == "KOR-000001"
    decided = await actions(harness, "decision.approved")
    assert [(e.actor_id, e.subject_id) for e in decided] == [(5001, member_id)]
    granted = await actions(harness, "role.granted")
    assert [e.actor_id for e in granted][-1] == 5001


async def test_reject_with_a_reason_button_then_apply_again(harness: BotHarness) -> None:
    chair = await make_officer(harness, 5001, "Besa Kola")
    member, member_id = await apply(harness, 1001)
    copy = await card(chair, member_id)
    await chair.press(f"app:v1:reject:{member_id}")
    prompt = await wait_for(chair, has_button(f"app:v1:reason:{member_id}:not_resident"))
    assert f"app:v1:keep:{member_id}" in [b.callback_data for b in prompt.buttons]
    assert (await entry(harness, member_id)).status == "pending"  # type: ignore[union-attr]

    seen = copy.edits
    await chair.press(f"app:v1:reason:{member_id}:not_resident")
    reason = said("Does not live in this municipality")
    told = await wait_for(member, lambda m: reason in (m.text or ""))
    assert "KOR-" not in (told.text or "")
    await chair.wait_edit(copy, since=seen)
    assert not copy.buttons and reason in (copy.text or "")
    # The prompt answers too: its buttons go, the outcome shows.
    prompt = await wait_for(chair, lambda m: m is prompt and not m.buttons)
    assert reason in (prompt.text or "")
    stored = await entry(harness, member_id)
    assert stored is not None and stored.status == "rejected"
    assert stored.rejection_reason == "code:not_resident" and stored.membership_number is None

    # A rejected member may apply again: a new pending entry, a new card.
    _, again = await apply(harness, 1001)
    assert again != member_id
    await card(chair, again)


async def test_reject_with_a_typed_reason(harness: BotHarness) -> None:
    chair = await make_officer(harness, 5001, "Besa Kola")
    member, member_id = await apply(harness, 1001)
    copy = await card(chair, member_id)
    await chair.press(f"app:v1:reject:{member_id}")
    await wait_for(chair, has_button(f"app:v1:keep:{member_id}"))
    seen = copy.edits
    await chair.send("  Nuk   jeton në Korçë  ")
    # Shown back first: nothing reaches the member before «Send».
    shown = await wait_for(chair, has_button(f"app:v1:send:{member_id}"))
    assert shown.text == said(
        "Application no. {id} ({name}) will be rejected, and the applicant will read this "
        "reason:\n\n{reason}\n\nSend it?",
        id=member_id,
        name="Arben Hoxha",
        reason="Nuk jeton në Korçë",
    )
    assert f"app:v1:change:{member_id}" in [b.callback_data for b in shown.buttons]
    assert (await entry(harness, member_id)).status == "pending"  # type: ignore[union-attr]
    before = len(chair.messages)
    await chair.press(f"app:v1:send:{member_id}")
    told = await wait_for(member, lambda m: "Nuk jeton në Korçë" in (m.text or ""))
    assert "KOR-" not in (told.text or "")
    await chair.wait_edit(copy, since=seen)
    assert "Nuk jeton në Korçë" in (copy.text or "")
    # Announced once: the message shown back becomes the outcome (naming the applicant),
    # and no further message comes.
    await wait_for(chair, lambda m: m is shown and not m.buttons)
    assert "Arben Hoxha" in (shown.text or "") and "Nuk jeton në Korçë" in (shown.text or "")
    await harness.drain_outbox()
    await chair.receive_all(0.3)
    assert len(chair.messages) == before
    stored = await entry(harness, member_id)
    assert stored is not None and stored.status == "rejected"
    assert stored.rejection_reason == "text:Nuk jeton në Korçë"
    # The wait is over: the next message is not another reason.
    await chair.send("faleminderit")
    await chair.receive_all(0.3)
    assert len(await actions(harness, "decision.rejected")) == 1


async def test_keep_drops_a_rejection_in_progress(harness: BotHarness) -> None:
    chair = await make_officer(harness, 5001, "Besa Kola")
    _, member_id = await apply(harness, 1001)
    await card(chair, member_id)
    await chair.press(f"app:v1:reject:{member_id}")
    prompt = await wait_for(chair, has_button(f"app:v1:keep:{member_id}"))
    await chair.press(f"app:v1:keep:{member_id}")
    await wait_for(chair, lambda m: m is prompt and not m.buttons)
    await chair.send("ky tekst nuk është arsye")
    await chair.receive_all(0.3)
    assert (await entry(harness, member_id)).status == "pending"  # type: ignore[union-attr]


async def test_two_chairs_racing_make_one_decision(harness: BotHarness) -> None:
    """One approves on the card while the other picks a rejection reason at the same time."""
    first = await make_officer(harness, 5001, "Besa Kola")
    second = await make_officer(harness, 5002, "Dritan Leka")
    member, member_id = await apply(harness, 1001)
    copies = [await card(first, member_id), await card(second, member_id)]
    await second.press(f"app:v1:reject:{member_id}")
    prompt = await wait_for(second, has_button(f"app:v1:reason:{member_id}:unknown"))

    seen = [copies[0].edits, copies[1].edits]
    await asyncio.gather(
        first.press_callback(copies[0].message_id, f"app:v1:approve:{member_id}"),
        second.press_callback(prompt.message_id, f"app:v1:reason:{member_id}:unknown"),
    )
    await asyncio.gather(
        first.wait_edit(copies[0], since=seen[0]), second.wait_edit(copies[1], since=seen[1])
    )
    await wait_for(second, lambda m: m is prompt and not m.buttons)
    stored = await entry(harness, member_id)
    assert stored is not None and stored.status in ("approved", "rejected")
    assert len(await actions(harness, "decision.approved", "decision.rejected")) == 1
    winner = "Besa Kola" if stored.decided_by == 5001 else "Dritan Leka"
    # Both copies show the same outcome, without buttons, naming who decided.
    assert copies[0].text == copies[1].text and winner in (copies[0].text or "")
    assert not copies[0].buttons and not copies[1].buttons
    if stored.status == "approved":
        # The loser's prompt now says who decided, and when.
        with use_language("sq"):
            when = format_moment(stored.decided_at)  # type: ignore[arg-type]
        assert prompt.text == said(
            "Application no. {id} was already approved by {name} on {when}.",
            id=member_id,
            name="Besa Kola",
            when=when,
        )
        await wait_for(member, lambda m: "KOR-000001" in (m.text or ""))
    else:
        loser = await wait_for(first, lambda m: m not in copies and "Dritan Leka" in (m.text or ""))
        assert not loser.buttons
        await wait_for(member, lambda m: said("Not known to the local branch") in (m.text or ""))


async def test_two_chairs_approving_at_the_same_instant(db: Database) -> None:
    """On SQLite and on PostgreSQL: there both presses may read 'pending' and race on the
    conditional update, so the loser is the one whose update matched no row."""
    harness = BotHarness(db.url)
    await harness.start()
    try:
        await _approve_at_once(harness)
    finally:
        await harness.close()


async def _approve_at_once(harness: BotHarness) -> None:
    first = await make_officer(harness, 5001, "Besa Kola")
    second = await make_officer(harness, 5002, "Dritan Leka")
    member, member_id = await apply(harness, 1001)
    copies = [await card(first, member_id), await card(second, member_id)]
    await asyncio.gather(
        first.press_callback(copies[0].message_id, f"app:v1:approve:{member_id}"),
        second.press_callback(copies[1].message_id, f"app:v1:approve:{member_id}"),
    )
    await wait_for(member, lambda m: "KOR-000001" in (m.text or ""))
    await harness.drain_outbox()
    await asyncio.gather(first.receive_all(0.3), second.receive_all(0.3))
    stored = await entry(harness, member_id)
    assert stored is not None and stored.status == "approved"
    winner, loser = (first, second) if stored.decided_by == 5001 else (second, first)
    assert len(await actions(harness, "decision.approved")) == 1
    assert all(not c.buttons and c.text == copies[0].text for c in copies)
    assert winner.full_name in (copies[0].text or "")
    await wait_for(loser, lambda m: m not in copies and winner.full_name in (m.text or ""))
    assert [m.text for m in member.messages].count(approved_text("KOR-000001")) == 1
    async with harness.database.read() as session:
        counter = await session.get(MembershipCounter, stored.municipality_id)
    assert counter is not None and counter.last_value == 1


async def test_the_same_chair_pressing_twice_decides_once(harness: BotHarness) -> None:
    chair = await make_officer(harness, 5001, "Besa Kola")
    member, member_id = await apply(harness, 1001)
    copy = await card(chair, member_id)
    data = f"app:v1:approve:{member_id}"
    await asyncio.gather(
        chair.press_callback(copy.message_id, data), chair.press_callback(copy.message_id, data)
    )
    await wait_for(member, lambda m: "KOR-000001" in (m.text or ""))
    await wait_for(chair, lambda m: m is not copy and "Besa Kola" in (m.text or ""))
    await harness.drain_outbox()
    await member.receive_all(0.3)
    assert len(await actions(harness, "decision.approved")) == 1
    assert [m.text for m in member.messages].count(approved_text("KOR-000001")) == 1


async def test_forged_presses_are_refused_and_audited(harness: BotHarness) -> None:
    chair = await make_officer(harness, 5001, "Besa Kola")
    other = await make_officer(harness, 5002, "Gent Tafa", municipality="Pogradec")
    member, member_id = await apply(harness, 1001)
    await card(chair, member_id)
    refusal = said(
        "You cannot decide this application: it is no longer open, or it is not within your remit."
    )
    for presser in (member, other):
        anchor = presser.messages[-1].message_id
        for data in (f"app:v1:approve:{member_id}", f"app:v1:reason:{member_id}:unknown"):
            await presser.press_callback(anchor, data)
            await wait_for(presser, lambda m: m.text == refusal)
            await presser.receive_all(0.2)
    # Garbage and a stranger's request for the list.
    await member.press_callback(member.messages[-1].message_id, "app:v1:approve:01")
    await member.press_callback(member.messages[-1].message_id, "app:v1:page:0")
    await member.receive_all(0.3)

    stored = await entry(harness, member_id)
    assert stored is not None and stored.status == "pending" and stored.decided_by is None
    refused = await actions(harness, "decision.refused")
    assert [(e.actor_id, e.subject_id) for e in refused][:4] == [
        (1001, member_id),
        (1001, member_id),
        (5002, member_id),
        (5002, member_id),
    ]
    assert refused[0].detail == {"action": "approve", "has_role": False}
    assert refused[2].detail == {"action": "approve", "has_role": True}
    assert len(await actions(harness, "pending.refused")) == 1
    assert not await actions(harness, "decision.approved", "decision.rejected")
    async with harness.database.read() as session:
        counter = await session.get(MembershipCounter, stored.municipality_id)
    assert counter is None


async def test_the_outcome_survives_a_restart(harness: BotHarness) -> None:
    chair = await make_officer(harness, 5001, "Besa Kola")
    member, member_id = await apply(harness, 1001)
    await card(chair, member_id)
    harness.emu.faults.add(status=502, chat_id=member.id, times=1000)
    await chair.press(f"app:v1:approve:{member_id}")

    async def attempted() -> bool:
        async with harness.database.read() as session:
            row = await session.scalar(
                select(Delivery).where(Delivery.ref_kind == "outcome", Delivery.ref_id == member_id)
            )
        return row is not None and row.attempts >= 1 and row.status == "queued"

    for _ in range(100):
        if await attempted():
            break
        await asyncio.sleep(0.05)
    assert await attempted(), "the outcome was never tried"
    await harness.stop()  # the bot is down: decided, the member not told yet
    assert (await entry(harness, member_id)).status == "approved"  # type: ignore[union-attr]
    harness.emu.faults.clear()
    await harness.start()
    await wait_for(member, lambda m: "KOR-000001" in (m.text or ""), timeout=8)
    await harness.drain_outbox()
    await member.receive_all(0.3)
    assert [m.text for m in member.messages].count(approved_text("KOR-000001")) == 1


async def test_a_municipality_without_chair_goes_to_the_admin_at_once(
    harness: BotHarness,
) -> None:
    admin = harness.user(ADMIN_ID, "Admin")
    member, member_id = await apply(harness, 1001, municipality="Pustec")
    copy = await card(admin, member_id)
    note = said("This municipality has no branch chair yet, so this application comes to you.")
    assert copy.text and copy.text.startswith(note) and "Pustec" in copy.text
    seen = copy.edits
    await admin.press(f"app:v1:approve:{member_id}")
    await admin.wait_edit(copy, since=seen)
    stored = await entry(harness, member_id)
    assert stored is not None and stored.status == "approved" and stored.decided_by == ADMIN_ID
    number = stored.membership_number or ""
    assert number.endswith("-000001")
    await wait_for(member, lambda m: number in (m.text or ""))
    assert "Admin" in (copy.text or "")


async def test_a_member_who_blocked_the_bot_stays_decided(harness: BotHarness) -> None:
    chair = await make_officer(harness, 5001, "Besa Kola")
    member, member_id = await apply(harness, 1001)
    copy = await card(chair, member_id)
    member.block()
    seen = copy.edits
    await chair.press(f"app:v1:approve:{member_id}")
    await chair.wait_edit(copy, since=seen)
    await harness.drain_outbox()
    async with harness.database.read() as session:
        outcome = await session.scalar(
            select(Delivery).where(Delivery.ref_kind == "outcome", Delivery.ref_id == member_id)
        )
        account = await session.get(Account, member.id)
    assert outcome is not None and outcome.status == "unreachable"
    assert account is not None and account.unreachable_at is not None
    stored = await entry(harness, member_id)
    assert stored is not None and stored.status == "approved"
    assert stored.membership_number == "KOR-000001"


async def test_a_chair_who_is_a_member_elsewhere(harness: BotHarness) -> None:
    chair = await make_officer(harness, 5001, "Besa Kola")
    pogradec = await make_officer(harness, 5002, "Gent Tafa", municipality="Pogradec")
    # The chair of Korçë registers as a member in Pogradec.
    _, own = await apply(harness, 5001, name="Besa Kola", municipality="Pogradec")
    await card(pogradec, own)
    assert not any(has_button(f"app:v1:approve:{own}")(m) for m in chair.messages)
    await chair.press_callback(chair.messages[-1].message_id, f"app:v1:approve:{own}")
    await chair.receive_all(0.3)
    assert (await entry(harness, own)).status == "pending"  # type: ignore[union-attr]
    # Their own municipality's applications still reach and obey them.
    member, member_id = await apply(harness, 1001)
    await card(chair, member_id)
    await chair.press(f"app:v1:approve:{member_id}")
    await wait_for(member, lambda m: "KOR-000001" in (m.text or ""))
    # And the Pogradec chair decides the chair's own application.
    await pogradec.press(f"app:v1:approve:{own}")
    told = await wait_for(
        chair, lambda m: "Pogradec" in (m.text or "") and "-000001" in (m.text or "")
    )
    stored = await entry(harness, own)
    assert stored is not None and stored.decided_by == 5002
    assert stored.membership_number and stored.membership_number in (told.text or "")


async def test_pressing_on_a_deleted_or_withdrawn_application(harness: BotHarness) -> None:
    chair = await make_officer(harness, 5001, "Besa Kola")
    _, gone = await apply(harness, 1001)
    _, withdrawn = await apply(harness, 1002, name="Drita Marku")
    gone_card, withdrawn_card = await card(chair, gone), await card(chair, withdrawn)
    async with harness.database.write() as session:
        await session.execute(delete(Member).where(Member.id == gone))
        await session.execute(
            update(Member).where(Member.id == withdrawn).values(status="withdrawn")
        )
    await chair.press_callback(gone_card.message_id, f"app:v1:approve:{gone}")
    await wait_for(chair, lambda m: m.message_id > withdrawn_card.message_id)
    await chair.receive_all(0.2)
    await chair.press_callback(withdrawn_card.message_id, f"app:v1:reject:{withdrawn}")
    answer = await chair.receive(5)
    assert answer.text == said("Application no. {id} is no longer pending.", id=withdrawn)
    assert not answer.buttons
    stored = await entry(harness, withdrawn)
    assert stored is not None and stored.status == "withdrawn" and stored.decided_by is None
    assert [e.subject_id for e in await actions(harness, "decision.refused")] == [gone]


async def stored_applications(
    harness: BotHarness, count: int, municipality: str = "Korçë"
) -> list[int]:
    """Applications stored directly (the list reads the database; registering six members
    through the chat would only slow the test down)."""
    from datetime import date, timedelta

    from storage.models import Municipality

    ids = []
    async with harness.database.write() as session:
        place = await session.scalar(select(Municipality).where(Municipality.name == municipality))
        assert place is not None
        for n in range(count):
            harness.user(3000 + n, f"Anëtar{n}")
            row = Member(
                telegram_id=3000 + n,
                full_name=f"Anëtar Numër{n}",
                birth_date=date(1980, 1, 1),
                phone_e164=f"+3556930{n:05d}",
                municipality_id=place.id,
                language="sq",
                status="pending",
                submitted_at=harness.clock.now() + timedelta(minutes=n),
            )
            session.add(row)
            await session.flush()
            ids.append(row.id)
    return ids


def _listed(message: SentMessage) -> list[int]:
    return [
        int(b.callback_data.split(":")[3]) for b in message.buttons if "approve" in b.callback_data
    ]  # type: ignore[union-attr]


async def test_the_pending_list_pages_and_decides_in_place(harness: BotHarness) -> None:
    chair = await make_officer(harness, 5001, "Besa Kola")
    ids = await stored_applications(harness, 6)
    listing = await harness.say(chair, "/ne_pritje")
    assert _listed(listing) == ids[:5]
    assert "app:v1:page:1" in [b.callback_data for b in listing.buttons]
    assert f"app:v1:approve:{ids[0]}:0" in [b.callback_data for b in listing.buttons]

    # An old or forged page past the end shows the last page, not an empty one.
    await chair.press_callback(listing.message_id, "app:v1:page:99")
    await chair.wait_edit(listing)
    assert _listed(listing) == ids[5:]
    assert "app:v1:page:0" in [b.callback_data for b in listing.buttons]
    await chair.press("app:v1:page:0")
    await chair.wait_edit(listing)
    assert _listed(listing) == ids[:5]
    await chair.press("app:v1:page:1")
    await chair.wait_edit(listing)
    assert _listed(listing) == ids[5:]

    # Approving from the list redraws it: the outcome on top, the application gone, and
    # (its page now empty) the last page shown.
    await chair.press(f"app:v1:approve:{ids[5]}:1")
    await chair.wait_edit(listing)
    assert listing.text and "KOR-000001" in listing.text and "Besa Kola" in listing.text
    assert _listed(listing) == ids[:5]
    assert "app:v1:page:1" not in [b.callback_data for b in listing.buttons]

    # Reject from the list asks for the reason in a new message, answered in place.
    await chair.press(f"app:v1:reject:{ids[0]}:0")
    prompt = await wait_for(chair, has_button(f"app:v1:reason:{ids[0]}:details"))
    await chair.press(f"app:v1:reason:{ids[0]}:details")
    await wait_for(chair, lambda m: m is prompt and not m.buttons)
    # The stale list button now tells who decided, and the list is redrawn without it.
    await chair.press_callback(listing.message_id, f"app:v1:approve:{ids[0]}:0")
    await chair.wait_edit(listing)
    rejected = await entry(harness, ids[0])
    assert rejected is not None and rejected.decided_at is not None
    with use_language("sq"):
        when = format_moment(rejected.decided_at)
    told = said(
        "Application no. {id} was already rejected by {name} on {when}.",
        id=ids[0],
        name="Besa Kola",
        when=when,
    )
    assert listing.text and listing.text.startswith(told + "\n\n")
    assert _listed(listing) == ids[1:5]
    viewed = await actions(harness, "pending.viewed")
    assert viewed and all(e.actor_id == 5001 for e in viewed)


async def test_the_admin_decides_from_the_list(harness: BotHarness) -> None:
    admin = harness.user(ADMIN_ID, "Admin", last_name="Kombëtar")
    ids = await stored_applications(harness, 2, municipality="Vlorë")
    listing = await harness.say(admin, "/ne_pritje")
    assert _listed(listing) == ids
    await admin.press(f"app:v1:approve:{ids[0]}:0")
    await admin.wait_edit(listing)
    stored = await entry(harness, ids[0])
    assert stored is not None and stored.status == "approved" and stored.decided_by == ADMIN_ID
    assert listing.text and stored.membership_number and stored.membership_number in listing.text
    assert "Admin Kombëtar" in listing.text and _listed(listing) == ids[1:]


async def test_a_reason_typed_long_after_reject_is_not_taken(harness: BotHarness) -> None:
    chair = await make_officer(harness, 5001, "Besa Kola")
    (member_id,) = await stored_applications(harness, 1)
    await harness.say(chair, "/ne_pritje")
    await chair.press(f"app:v1:reject:{member_id}:0")
    prompt = await wait_for(chair, has_button(f"app:v1:keep:{member_id}"))
    harness.clock.advance(hours=2)
    await chair.send("përshëndetje")
    # Not taken as the reason: the rejection is asked again, with its buttons.
    again = await wait_for(
        chair, lambda m: m is not prompt and has_button(f"app:v1:keep:{member_id}")(m)
    )
    assert "përshëndetje" not in (again.text or "")
    assert (await entry(harness, member_id)).status == "pending"  # type: ignore[union-attr]
    assert not await actions(harness, "decision.rejected")
    # Answered promptly this time, the typed reason is shown back and sent.
    await chair.send("Nuk e njohim")
    await wait_for(chair, has_button(f"app:v1:send:{member_id}"))
    await chair.press(f"app:v1:send:{member_id}")
    await wait_for(chair, lambda m: "Nuk e njohim" in (m.text or "") and not m.buttons)
    stored = await entry(harness, member_id)
    assert stored is not None and stored.rejection_reason == "text:Nuk e njohim"


async def test_a_chair_does_not_decide_their_own_application(harness: BotHarness) -> None:
    admin = harness.user(ADMIN_ID, "Admin")
    chair = await make_officer(harness, 5001, "Besa Kola")
    await admin.receive_all(0.2)
    _, own = await apply(harness, 5001, name="Besa Kola")
    # Their own application goes one level up (here: national staff), not to them.
    await card(admin, own)
    assert not any(has_button(f"app:v1:approve:{own}")(m) for m in chair.messages)
    await chair.press_callback(chair.messages[-1].message_id, f"app:v1:approve:{own}")
    answer = await chair.receive(5)
    answer = (await chair.receive_all(0.2) or [answer])[-1]
    assert answer.text == said(
        "You cannot decide this application: it is no longer open, or it is not within your remit."
    )
    assert (await entry(harness, own)).status == "pending"  # type: ignore[union-attr]
    refused = await actions(harness, "decision.refused")
    assert [(e.actor_id, e.detail) for e in refused] == [
        (5001, {"action": "approve", "has_role": True, "own": True})
    ]


async def test_the_member_is_told_in_the_language_they_use_now(harness: BotHarness) -> None:
    chair = await make_officer(harness, 5001, "Besa Kola")
    member, member_id = await apply(harness, 1001)  # applied in Albanian
    copy = await card(chair, member_id)
    await harness.say(member, "/gjuha")
    await harness.press(member, "lang:v1:set:en")
    seen = copy.edits
    await chair.press(f"app:v1:approve:{member_id}")
    told = await wait_for(member, lambda m: "KOR-000001" in (m.text or ""))
    assert told.text == said(
        "Congratulations! Your membership has been confirmed by the party branch in "
        "{municipality}. Your membership number is {number}.",
        "en",
        municipality="Korçë",
        number="KOR-000001",
    )
    await chair.wait_edit(copy, since=seen)
    stored = await entry(harness, member_id)
    assert stored is not None
    with use_language("sq"):  # the chair's copy stays in the chair's language
        assert (copy.text or "").endswith(outcome_line(stored, "Besa Kola"))
