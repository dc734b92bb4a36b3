"""Announcements in storage, on SQLite and PostgreSQL: who is a recipient, the outbox rows
written by one INSERT … SELECT (payload by language), acknowledgements, stopping, erasure."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from domain.announcements import Target, TargetKind
from storage import announcements as store
from storage.db import Database
from storage.erasure import erase_account
from storage.models import (
    Account,
    Announcement,
    AnnouncementRecipient,
    Delivery,
    Member,
    Municipality,
    Role,
)

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
PAYLOADS = {
    "sq": {"from_chat_id": 1, "message_id": 7, "reply_markup": {"inline_keyboard": [["sq"]]}},
    "en": {"from_chat_id": 1, "message_id": 7, "reply_markup": {"inline_keyboard": [["en"]]}},
}


async def _places(db: Database) -> tuple[int, int, int]:
    """Two municipalities of one county and one of another: (a, b, elsewhere)."""
    async with db.read() as session:
        rows = (await session.execute(select(Municipality.id, Municipality.county_id))).all()
    by_county: dict[int, list[int]] = {}
    for municipality_id, county_id in rows:
        by_county.setdefault(county_id, []).append(municipality_id)
    first, second = [ids for ids in by_county.values() if len(ids) >= 2][:2]
    return first[0], first[1], second[0]


async def _person(
    db: Database,
    telegram_id: int,
    municipality_id: int,
    *,
    status: str = "approved",
    language: str = "sq",
    unreachable: bool = False,
) -> None:
    async with db.write() as session:
        session.add(
            Account(
                telegram_id=telegram_id,
                language=language,
                created_at=NOW,
                unreachable_at=NOW if unreachable else None,
            )
        )
        session.add(
            Member(
                telegram_id=telegram_id,
                full_name=f"Person {telegram_id}",
                birth_date=date(1980, 1, 1),
                phone_e164=f"+3556900{telegram_id:05d}",
                municipality_id=municipality_id,
                language=language,
                status=status,
                submitted_at=NOW,
            )
        )


async def _announcement(db: Database, target: Target) -> int:
    async with db.write() as session:
        announcement = Announcement(
            sender_id=9001,
            target_kind=target.kind.value,
            target_id=target.place_id,
            step="preview",
            source_chat_id=9001,
            source_message_id=7,
            ask_ack=True,
            status="draft",
            total=0,
            unreachable=0,
            created_at=NOW,
        )
        session.add(announcement)
        await session.flush()
        total = await store.launch(
            session,
            announcement,
            target,
            PAYLOADS,
            default_language="sq",
            now=NOW,
            not_before=None,
        )
        assert total == announcement.total
        return announcement.id


async def test_a_county_reaches_its_approved_reachable_members_in_their_language(
    db: Database,
) -> None:
    a, b, elsewhere = await _places(db)
    await _person(db, 1, a)
    await _person(db, 2, b, language="en")
    await _person(db, 3, a, status="pending")
    await _person(db, 4, a, status="rejected")
    await _person(db, 5, a, unreachable=True)
    await _person(db, 6, elsewhere)
    async with db.read() as session:
        county = await session.scalar(select(Municipality.county_id).where(Municipality.id == a))
    target = Target(TargetKind.COUNTY, county)
    async with db.read() as session:
        assert await store.count_recipients(session, target) == (2, 1)
    number = await _announcement(db, target)
    async with db.read() as session:
        rows = (
            await session.scalars(
                select(Delivery)
                .where(Delivery.ref_kind == "announcement")
                .order_by(Delivery.chat_id)
            )
        ).all()
        announcement = await session.get(Announcement, number)
    assert [(r.chat_id, r.method, r.priority, r.status) for r in rows] == [
        (1, "copyMessage", -1, "queued"),
        (2, "copyMessage", -1, "queued"),
    ]
    assert [r.payload["reply_markup"]["inline_keyboard"] for r in rows] == [[["sq"]], [["en"]]]
    assert announcement is not None and announcement.total == 2 and announcement.unreachable == 1


async def test_acknowledgements_count_once_and_only_for_recipients(db: Database) -> None:
    a, b, _ = await _places(db)
    await _person(db, 11, a)
    await _person(db, 12, b)
    number = await _announcement(db, Target(TargetKind.MUNICIPALITY, a))
    async with db.write() as session:
        assert await store.acknowledge(session, number, 11, NOW) is True
        assert await store.acknowledge(session, number, 11, NOW) is False
        assert await store.acknowledge(session, number, 12, NOW) is None  # not a recipient
        await session.execute(
            Delivery.__table__.update()
            .where(Delivery.__table__.c.chat_id == 11)
            .values(status="sent")
        )
    async with db.read() as session:
        figures = await store.figures_by_place(session, number)
        assert await store.acknowledged_count(session, number) == 1
    assert [(f.municipality_id, f.recipients, f.delivered, f.acknowledged) for f in figures] == [
        (a, 1, 1, 1)
    ]


async def test_stopping_cancels_what_is_queued_only(db: Database) -> None:
    a, _, _ = await _places(db)
    for telegram_id in (21, 22, 23):
        await _person(db, telegram_id, a)
    number = await _announcement(db, Target(TargetKind.MUNICIPALITY, a))
    async with db.write() as session:
        await session.execute(
            Delivery.__table__.update()
            .where(Delivery.__table__.c.chat_id == 21)
            .values(status="sent")
        )
        announcement = await store.get(session, number)
        assert announcement is not None
        assert await store.cancel_rest(session, announcement, 9001) == 2
    async with db.read() as session:
        announcement = await store.get(session, number)
        assert announcement is not None
        progress = await store.progress(session, announcement, NOW)
        live = [a.id for a in await store.live(session)]
    assert (progress.sent, progress.cancelled, progress.done) == (1, 2, True)
    assert live == [number]  # stopped, not reported yet


async def test_chairs_targets_and_erasure(db: Database) -> None:
    a, b, elsewhere = await _places(db)
    async with db.write() as session:
        for telegram_id, place in ((31, a), (32, b), (33, elsewhere)):
            session.add(
                Role(
                    telegram_id=telegram_id,
                    kind="chair",
                    municipality_id=place,
                    source="invite",
                    granted_at=NOW,
                )
            )
        session.add(
            Role(
                telegram_id=34,
                kind="chair",
                municipality_id=a,
                source="invite",
                granted_at=NOW,
                revoked_at=NOW,
            )
        )
        county = await session.scalar(select(Municipality.county_id).where(Municipality.id == a))
    number = await _announcement(db, Target(TargetKind.COUNTY_CHAIRS, county))
    async with db.read() as session:
        chats = (
            await session.scalars(
                select(AnnouncementRecipient.chat_id)
                .where(AnnouncementRecipient.announcement_id == number)
                .order_by(AnnouncementRecipient.chat_id)
            )
        ).all()
    assert list(chats) == [31, 32]
    await _person(db, 41, a)
    number = await _announcement(db, Target(TargetKind.ALL))
    async with db.write() as session:
        await erase_account(session, 41, NOW)
    async with db.read() as session:
        left = await session.scalar(select(func.count()).where(AnnouncementRecipient.chat_id == 41))
        deliveries = await session.scalar(select(func.count()).where(Delivery.chat_id == 41))
    assert left == 0 and deliveries == 0
