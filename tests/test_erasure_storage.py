"""Erasure and retention in storage, on SQLite and PostgreSQL: every table the person is
in, and nothing of anyone else."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import select

from storage.db import Database
from storage.erasure import erase_account
from storage.models import (
    Account,
    AuditEvent,
    Base,
    Consent,
    Delivery,
    InboxUpdate,
    Member,
    Municipality,
    RegistrationDraft,
)
from storage.retention import blank_finished_deliveries, closed_entries_before

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


async def _seed_person(db: Database, telegram_id: int, name: str, status: str) -> int:
    async with db.write() as session:
        municipality_id = await session.scalar(select(Municipality.id).limit(1))
        assert municipality_id is not None
        session.add(Account(telegram_id=telegram_id, language="sq", created_at=NOW))
        consent = Consent(
            telegram_id=telegram_id, notice_version="2026-12", language="sq", given_at=NOW
        )
        session.add(consent)
        await session.flush()
        member = Member(
            telegram_id=telegram_id,
            full_name=name,
            birth_date=date(1980, 3, 5),
            phone_e164=f"+3556921{telegram_id:05d}",
            municipality_id=municipality_id,
            language="sq",
            consent_id=consent.id,
            status=status,
            submitted_at=NOW,
            decided_at=NOW if status != "pending" else None,
        )
        session.add(member)
        await session.flush()
        # A chair's card about them (sent) and a message to them (queued).
        session.add(
            Delivery(
                chat_id=555,
                method="sendMessage",
                payload={"text": f"card of {name}"},
                ref_kind="application",
                ref_id=member.id,
                status="sent",
                created_at=NOW,
            )
        )
        session.add(
            Delivery(
                chat_id=telegram_id,
                method="sendMessage",
                payload={"text": f"hello {name}"},
                ref_kind="outcome",
                ref_id=member.id,
                status="queued",
                created_at=NOW,
            )
        )
        session.add(
            InboxUpdate(
                update_id=40 + telegram_id % 100,
                chat_id=telegram_id,
                payload={"message": {"text": name}},
                received_at=NOW,
            )
        )
        session.add(
            RegistrationDraft(
                telegram_id=telegram_id, step="name", full_name=name, created_at=NOW, updated_at=NOW
            )
        )
        session.add(
            AuditEvent(
                at=NOW,
                actor_id=telegram_id,
                action="application.submitted",
                subject_kind="member",
                subject_id=member.id,
            )
        )
        return member.id


async def _dump(db: Database) -> dict[str, str]:
    tables: dict[str, str] = {}
    async with db.read() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            tables[table.name] = json.dumps([[str(v) for v in row] for row in rows])
    return tables


async def test_erasing_an_account_leaves_only_audit_ids_and_other_people(db: Database) -> None:
    await _seed_person(db, 70001, "Erjona Gashi", "approved")
    kept_id = await _seed_person(db, 70002, "Vera Hoti", "pending")
    async with db.write() as session:
        await erase_account(session, 70001, NOW)
    tables = await _dump(db)
    for name, dumped in tables.items():
        assert "Erjona Gashi" not in dumped and "692170001" not in dumped, name
        if name != "audit_event":
            assert "70001" not in dumped, name
    # The other person is untouched.
    async with db.read() as session:
        kept = await session.get(Member, kept_id)
        card = await session.scalar(
            select(Delivery.payload).where(
                Delivery.ref_kind == "application", Delivery.ref_id == kept_id
            )
        )
    assert kept is not None and kept.full_name == "Vera Hoti"
    assert card == {"text": "card of Vera Hoti"}


async def test_retention_finds_closed_entries_and_blanks_finished_messages(db: Database) -> None:
    rejected = await _seed_person(db, 70101, "Arta Rama", "rejected")
    await _seed_person(db, 70102, "Blerta Hysa", "pending")
    async with db.write() as session:
        closed = await closed_entries_before(session, datetime(2027, 1, 1, tzinfo=UTC))
        blanked = await blank_finished_deliveries(session)
    assert [m.id for m in closed] == [rejected]
    assert blanked == 2  # the two sent cards; queued messages keep their text
    async with db.read() as session:
        payloads = {
            (d.ref_kind, d.status): d.payload for d in (await session.scalars(select(Delivery)))
        }
    assert payloads[("application", "sent")] == {}
    assert payloads[("outcome", "queued")] != {}
    async with db.write() as session:
        assert await blank_finished_deliveries(session) == 0  # nothing to do twice
