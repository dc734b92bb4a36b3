"""Members' rights over their own data (issue 14), end to end through the emulator:
withdraw, see, download, who looked, delete without a trace, retention, and a typed number
that neither reveals nor locks out."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select, text

from storage.models import AuditEvent, Base, Delivery, Member
from tests.harness import BotHarness, said
from tests.test_chair_flow import apply, card, entry, make_officer, wait_for
from usecases.retention import sweep


def _document(harness: BotHarness, user_id: int) -> dict[str, object]:
    sent = [m for m in harness.emu.messages(user_id) if m.kind == "document"]
    assert sent, "no document was sent"
    stored = harness.emu.file(sent[-1].raw["document"]["file_id"])
    return json.loads(stored.data.decode("utf-8"))  # type: ignore[no-any-return]


async def test_withdraw_from_status_edits_the_chairs_card_and_allows_a_new_application(
    harness: BotHarness,
) -> None:
    chair = await make_officer(harness, 8001, "Besa Kola")
    member, member_id = await apply(harness, 8002, "Arben Hoxha")
    held = await card(chair, member_id)

    status = await harness.say(member, "/statusi")
    assert "me:v1:withdraw" in [b.callback_data for b in status.buttons]
    done = await harness.press(member, "me:v1:withdraw")
    assert done.text == said(
        "Your application has been withdrawn and the branch has been told. You can apply "
        "again at any time with /start."
    )
    assert (await entry(harness, member_id)).status == "withdrawn"  # type: ignore[union-attr]
    edited = await wait_for(chair, lambda m: m.message_id == held.message_id and m.edits > 0)
    assert "Arben" not in (edited.text or "") and not edited.buttons
    assert f"{member_id}" in (edited.text or "")

    # A second press (or a forged one) finds nothing to withdraw.
    await member.press_callback(status.message_id, "me:v1:withdraw")
    again = await harness.answer(member)
    assert "nothing to withdraw" in (again.text or "") or "asgjë për të tërhequr" in (
        again.text or ""
    )
    # Re-applying works, and the new application reaches the chair.
    await harness.register(member, name="Arben Hoxha", phone="069 212 8002")
    async with harness.database.read() as session:
        statuses = (
            await session.scalars(
                select(Member.status).where(Member.telegram_id == 8002).order_by(Member.id)
            )
        ).all()
    assert list(statuses) == ["withdrawn", "pending"]


async def test_who_looked_lists_exactly_the_reads_and_the_download_matches(
    harness: BotHarness,
) -> None:
    chair = await make_officer(harness, 8101, "Besa Kola")
    member, member_id = await apply(harness, 8102, "Drita Marku")
    await card(chair, member_id)  # read 1: the card
    await harness.say(chair, "/ne_pritje")  # read 2: the list page

    async with harness.database.read() as session:
        reads = (
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.subject_kind == "member", AuditEvent.subject_id == member_id
                )
            )
        ).all()
    assert sorted(e.action for e in reads if e.action.startswith("read.")) == [
        "read.card",
        "read.pending_list",
    ]
    assert all(e.actor_id == 8101 and e.detail["as"] == "chair" for e in reads if e.detail)

    view = await harness.say(member, "/te_dhenat")
    assert "Drita Marku" in (view.text or "")
    looked = await harness.press(member, "me:v1:looked")
    lines = [line for line in (looked.text or "").splitlines() if line.startswith("•")]
    assert len(lines) == 2
    assert all("Korçë" in line for line in lines)

    await harness.press(member, "me:v1:json")
    data = _document(harness, 8102)
    entries = data["entries"]
    assert isinstance(entries, list) and len(entries) == 1
    async with harness.database.read() as session:
        stored = await session.get(Member, member_id)
    assert stored is not None
    assert entries[0]["full_name"] == stored.full_name
    assert entries[0]["phone"] == stored.phone_e164
    assert entries[0]["birth_date"] == stored.birth_date.isoformat()
    assert entries[0]["municipality"] == "Korçë"
    assert len(data["reads_by_officers"]) == 2  # type: ignore[arg-type]
    assert "Besa" not in json.dumps(data)  # readers by role and place, never by name


async def test_delete_erases_every_trace_from_every_table_and_the_files(
    harness: BotHarness,
) -> None:
    chair = await make_officer(harness, 8201, "Besa Kola")
    member, member_id = await apply(harness, 8202, "Xhensila Berisha")
    held = await card(chair, member_id)
    admin = harness.user(9001, "Admin")
    await harness.say(admin, "/ne_pritje")
    await harness.press(admin, f"app:v1:approve:{member_id}:0")
    await harness.drain_outbox()
    number = (await entry(harness, member_id)).membership_number  # type: ignore[union-attr]
    phone = (await entry(harness, member_id)).phone_e164  # type: ignore[union-attr]

    confirm = await harness.say(member, "/fshij")
    assert "me:v1:erase" in [b.callback_data for b in confirm.buttons]
    done = await harness.press(member, "me:v1:erase")
    assert done.text == said(
        "Done: your data has been deleted from the register. If you want to join again "
        "one day, send /start."
    )
    await harness.drain_outbox()
    # The chair is told a member left, without the name; their card lost the personal data.
    told = await wait_for(chair, lambda m: str(number) in (m.text or "") and m.edits == 0)
    assert "Berisha" not in (told.text or "")
    assert "Berisha" not in (held.text or "")

    # No table holds the name, the phone or the Telegram id outside the audit's ids.
    digits = phone.lstrip("+")
    async with harness.database.read() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            for row in rows:
                dumped = json.dumps([str(v) for v in row], ensure_ascii=False)
                assert "Berisha" not in dumped and digits not in dumped, table.name
                if table.name != "audit_event":
                    assert "8202" not in dumped, (table.name, dumped)
    path = Path(harness.database_url.split("///", 1)[1])
    stored = b"".join(
        candidate.read_bytes()
        for candidate in (path, path.with_name(path.name + "-wal"))
        if candidate.exists()
    )
    assert stored
    for secret in ("Xhensila Berisha", "Berisha", digits, "212 3"):
        assert secret.encode() not in stored, secret


async def test_a_verified_owner_is_never_locked_out_by_a_typed_claim(harness: BotHarness) -> None:
    chair = await make_officer(harness, 8301, "Besa Kola")
    # Someone types a number that is not theirs.
    await harness.register(harness.user(8302), name="Genti Lala", phone="069 212 8300")
    # Its owner shares it as their own contact: taken, verified, and submitted.
    owner = harness.user(8303, "Ilir")
    await harness.say(owner, "/start")
    await harness.press_toast(owner, "✅ Po, jam dakord")
    await harness.say(owner, "Ilir Shala")
    await harness.say(owner, "1.1.1985")
    await owner.send_contact("355692128300")
    await harness.answer(owner)
    await harness.say(owner, "korce")
    await harness.press(owner, "reg:v1:confirm")
    async with harness.database.read() as session:
        entries = (
            await session.scalars(select(Member).where(Member.phone_e164 == "+355692128300"))
        ).all()
    assert sorted((e.telegram_id, e.phone_verified, e.status) for e in entries) == [
        (8302, False, "pending"),
        (8303, True, "pending"),
    ]
    # The chair sees the clash on the cards; the members were told nothing of it.
    owners_card = await card(chair, next(e.id for e in entries if e.telegram_id == 8303))
    assert "⚠️" in (owners_card.text or "")


async def test_typed_numbers_are_bounded_per_registration(harness: BotHarness) -> None:
    person = harness.user(8401, "Sokol")
    await harness.say(person, "/start")
    await harness.press_toast(person, "✅ Po, jam dakord")
    await harness.say(person, "Sokol Dema")
    await harness.say(person, "1.1.1985")
    await harness.say(person, "069 212 8400")
    await harness.say(person, "korce")  # the summary
    for attempt in range(1, 5):
        await harness.press(person, "reg:v1:edit")
        await harness.press(person, "reg:v1:field:phone")
        await harness.say(person, f"069 212 84{attempt:02d}")
    await harness.press(person, "reg:v1:edit")
    await harness.press(person, "reg:v1:field:phone")
    refused = await harness.say(person, "069 212 8499")
    assert refused.text == said(
        "You have already written several numbers. To go on, please share your own number "
        "with the «📱 Share my number» button below."
    )


async def test_retention_erases_what_it_must_and_nothing_else(harness: BotHarness) -> None:
    chair = await make_officer(harness, 8501, "Besa Kola")
    _rejected, rejected_id = await apply(harness, 8502, "Arta Rama")
    _pending, pending_id = await apply(harness, 8503, "Blerta Hysa")
    await card(chair, rejected_id)
    await harness.say(chair, "/ne_pritje")
    await harness.press(chair, f"app:v1:reject:{rejected_id}:0")
    reasons = [
        b.callback_data or ""
        for m in chair.messages
        for b in m.buttons
        if (b.callback_data or "").startswith(f"app:v1:reason:{rejected_id}:")
    ]
    await harness.press(chair, reasons[0])
    await harness.drain_outbox()
    assert (await entry(harness, rejected_id)).status == "rejected"  # type: ignore[union-attr]
    # An unfinished registration.
    idle = harness.user(8504, "Dea")
    await harness.say(idle, "/start")
    await harness.press_toast(idle, "✅ Po, jam dakord")
    await harness.say(idle, "Dea Kodra")

    assert harness.runner is not None and harness.runner.application is not None
    services = harness.runner.application.services
    harness.clock.advance(days=89)
    early = await sweep(services)
    assert early.entries == 0 and early.drafts == 1  # the draft's 30 days are over
    assert (await entry(harness, rejected_id)) is not None
    harness.clock.advance(days=2)
    late = await sweep(services)
    assert late.entries == 1
    assert (await entry(harness, rejected_id)) is None
    assert (await entry(harness, pending_id)) is not None  # pending stays
    async with harness.database.read() as session:
        texts = [json.dumps(p) for p in (await session.scalars(select(Delivery.payload))).all()]
        consents = (await session.execute(text("SELECT telegram_id FROM consent"))).all()
    assert not any("Arta Rama" in t or "Blerta Hysa" in t for t in texts)
    assert 8502 not in {row[0] for row in consents}


async def test_a_pending_member_corrects_their_name_and_the_chairs_card_follows(
    harness: BotHarness,
) -> None:
    chair = await make_officer(harness, 8601, "Besa Kola")
    member, member_id = await apply(harness, 8602, "Arben Hoxa")
    held = await card(chair, member_id)

    view = await harness.say(member, "/te_dhenat")
    assert "me:v1:fix" in [b.callback_data for b in view.buttons]
    await harness.press(member, "me:v1:fix")
    await harness.press(member, "me:v1:fix:name")
    done = await harness.say(member, "arben hoxha")
    assert (done.text or "").startswith(said("Done: your name has been corrected."))
    assert (await entry(harness, member_id)).full_name == "Arben Hoxha"  # type: ignore[union-attr]
    edited = await wait_for(chair, lambda m: m.message_id == held.message_id and m.edits > 0)
    assert "Arben Hoxha" in (edited.text or "")
    assert f"app:v1:approve:{member_id}" in [b.callback_data for b in edited.buttons]

    # A bad date is refused kindly and asked again; nothing changes.
    await harness.say(member, "/te_dhenat")
    await harness.press(member, "me:v1:fix")
    await harness.press(member, "me:v1:fix:birth_date")
    refused = await harness.say(member, "31.2.1980")
    assert (await entry(harness, member_id)).birth_date.isoformat() == "1980-03-05"  # type: ignore[union-attr]
    assert not (refused.text or "").startswith(said("Done: your date of birth has been corrected."))
    before = (await entry(harness, member_id)).birth_date  # type: ignore[union-attr]
    await harness.say(member, "6.3.1980")
    after = (await entry(harness, member_id)).birth_date  # type: ignore[union-attr]
    assert before != after and after.isoformat() == "1980-03-06"


async def test_a_typed_phone_correction_is_unverified_and_a_shared_one_verified(
    harness: BotHarness,
) -> None:
    member, member_id = await apply(harness, 8701, "Lule Deda")
    await harness.say(member, "/te_dhenat")
    await harness.press(member, "me:v1:fix")
    await harness.press(member, "me:v1:fix:phone")
    await harness.say(member, "068 212 8701")
    stored = await entry(harness, member_id)
    assert stored is not None and (stored.phone_e164, stored.phone_verified) == (
        "+355682128701",
        False,
    )
    await harness.say(member, "/te_dhenat")
    await harness.press(member, "me:v1:fix")
    await harness.press(member, "me:v1:fix:phone")
    await member.send_contact("355692128701")
    await harness.answer(member)
    stored = await entry(harness, member_id)
    assert stored is not None and (stored.phone_e164, stored.phone_verified) == (
        "+355692128701",
        True,
    )


async def test_a_member_who_moves_goes_to_the_new_chair_and_another_action_ends_a_wait(
    harness: BotHarness,
) -> None:
    korce = await make_officer(harness, 8801, "Besa Kola")
    durres = await make_officer(
        harness, 8802, "Dritan Leka", county="Durrës", municipality="Durrës"
    )
    member, member_id = await apply(harness, 8803, "Mimoza Lika")
    await card(korce, member_id)
    await harness.say(korce, "/ne_pritje")
    await harness.press(korce, f"app:v1:approve:{member_id}:0")
    await harness.drain_outbox()
    assert (await entry(harness, member_id)).status == "approved"  # type: ignore[union-attr]

    # A wait ended by another action: the message after it is not taken as the value.
    await harness.say(member, "/te_dhenat")
    await harness.press(member, "me:v1:fix")
    await harness.press(member, "me:v1:fix:municipality")
    await harness.say(member, "/statusi")
    await harness.say(member, "Durrës")
    assert (await entry(harness, member_id)).municipality_id != (  # type: ignore[union-attr]
        await _place_id(harness, "Durrës")
    )

    await harness.say(member, "/te_dhenat")
    await harness.press(member, "me:v1:fix")
    await harness.press(member, "me:v1:fix:municipality")
    done = await harness.say(member, "Durrës")
    assert "Durrës" in (done.text or "")
    moved = await entry(harness, member_id)
    assert moved is not None and moved.status == "pending" and moved.membership_number is None
    assert moved.municipality_id == await _place_id(harness, "Durrës")
    await card(durres, member_id)  # the new chair decides it


async def _place_id(harness: BotHarness, name: str) -> int:
    async with harness.database.read() as session:
        found = await session.scalar(
            text("SELECT id FROM municipality WHERE name = :n"), {"n": name}
        )
    assert found is not None
    return int(found)


async def test_the_whole_story_leaves_nothing_behind(harness: BotHarness) -> None:
    """Issue 14's "done when": a member withdraws, re-applies, is approved, sees who looked,
    downloads their data, then deletes it, and nothing of it remains in the files."""
    chair = await make_officer(harness, 8901, "Besa Kola")
    member = harness.user(8902, "Shpresa")
    await harness.register(member, name="Shpresa Gjoka", phone="069 212 8902")
    await harness.say(member, "/statusi")
    await harness.press(member, "me:v1:withdraw")
    await harness.register(member, name="Shpresa Gjoka", phone="069 212 8902")
    async with harness.database.read() as session:
        member_id = await session.scalar(
            select(Member.id).where(Member.telegram_id == 8902, Member.status == "pending")
        )
    assert member_id is not None
    await card(chair, member_id)
    await harness.say(chair, "/ne_pritje")
    await harness.press(chair, f"app:v1:approve:{member_id}:0")
    await harness.drain_outbox()
    assert (await entry(harness, member_id)).status == "approved"  # type: ignore[union-attr]

    await harness.say(member, "/te_dhenat")
    looked = await harness.press(member, "me:v1:looked")
    # The first application's card, the second's card and the list page: three reads.
    assert sum(line.startswith("•") for line in (looked.text or "").splitlines()) == 3
    await harness.say(member, "/te_dhenat")
    await harness.press(member, "me:v1:json")
    assert [e["status"] for e in _document(harness, 8902)["entries"]] == [  # type: ignore[index,union-attr]
        "withdrawn",
        "approved",
    ]
    await harness.say(member, "/fshij")
    await harness.press(member, "me:v1:erase")
    await harness.drain_outbox()

    path = Path(harness.database_url.split("///", 1)[1])
    stored = b"".join(
        candidate.read_bytes()
        for candidate in (path, path.with_name(path.name + "-wal"))
        if candidate.exists()
    )
    for secret in ("Shpresa Gjoka", "Gjoka", "355692128902", "212 8902"):
        assert secret.encode() not in stored, secret
    async with harness.database.read() as session:
        left = (await session.scalars(select(Member).where(Member.telegram_id == 8902))).all()
    assert left == []
