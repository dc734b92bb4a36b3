"""Who hears of a new application, read in one query (storage/deciders.py), on SQLite and
PostgreSQL: the level that decides, never the applicant, never a revoked grant, never
another municipality's chair; with each decider's language, every grant they hold and their
burst state (a card still queued, the summary message to edit)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.permissions import RoleKind
from storage import outbox
from storage.db import Database
from storage.deciders import deciders_over
from storage.models import Account, Delivery, Municipality
from storage.roles import grant_role, revoke_role

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
APPLICANT = 555


async def _places(db: Database) -> dict[str, tuple[int, int]]:
    async with db.read() as session:
        rows = await session.execute(
            select(Municipality.name, Municipality.id, Municipality.county_id)
        )
        return {name: (mid, cid) for name, mid, cid in rows}


async def _grant(
    db: Database,
    telegram_id: int,
    kind: RoleKind,
    *,
    county_id: int | None = None,
    municipality_id: int | None = None,
    revoked: bool = False,
) -> None:
    async with db.write() as session:  # as the CLI grants and revokes
        role = await grant_role(
            session,
            telegram_id=telegram_id,
            kind=kind,
            county_id=county_id,
            municipality_id=municipality_id,
            source="cli",
            granted_by=None,
            now=NOW,
        )
        if revoked:
            await revoke_role(session, role.id, revoked_by=None, now=NOW)


async def _deciders(db: Database, municipality_id: int, county_id: int) -> list:  # type: ignore[type-arg]
    async with db.read() as session:
        return await deciders_over(
            session,
            municipality_id=municipality_id,
            county_id=county_id,
            applicant_id=APPLICANT,
            card_ref="application",
            summary_ref="burst",
            since=NOW - timedelta(minutes=30),
        )


async def test_the_level_that_decides_and_no_one_else(db: Database) -> None:
    places = await _places(db)
    korce, korce_county = places["Korçë"]
    durres, durres_county = places["Durrës"]
    pogradec, _ = places["Pogradec"]
    await _grant(db, 1, RoleKind.ADMIN)
    await _grant(db, 2, RoleKind.COORDINATOR, county_id=korce_county)
    await _grant(db, 3, RoleKind.CHAIR, county_id=durres_county, municipality_id=durres)
    await _grant(db, 4, RoleKind.CHAIR, county_id=korce_county, municipality_id=pogradec)
    await _grant(db, 5, RoleKind.CHAIR, county_id=korce_county, municipality_id=korce, revoked=True)
    # No chair of Korçë (a revoked one only): the county's coordinator, not Pogradec's or
    # Durrës's chair, not the admin.
    assert [d.telegram_id for d in await _deciders(db, korce, korce_county)] == [2]

    await _grant(db, APPLICANT, RoleKind.CHAIR, county_id=korce_county, municipality_id=korce)
    # The applicant chairs Korçë: still the coordinator (nobody decides their own entry).
    assert [d.telegram_id for d in await _deciders(db, korce, korce_county)] == [2]

    await _grant(db, 6, RoleKind.CHAIR, county_id=korce_county, municipality_id=korce)
    await _grant(db, 6, RoleKind.CHAIR, county_id=korce_county, municipality_id=pogradec)
    found = await _deciders(db, korce, korce_county)
    assert [d.telegram_id for d in found] == [6]
    (chair,) = found
    assert chair.grant.municipality_id == korce
    assert sorted(g.municipality_id for g in chair.grants) == sorted([korce, pogradec])
    assert chair.language is None and not chair.card_queued and chair.summary_id is None

    # Durrës has its chair; nobody of Korçë hears of Durrës's applications.
    assert [d.telegram_id for d in await _deciders(db, durres, durres_county)] == [3]
    # A county with neither: the admins.
    tirane, tirane_county = places["Tiranë"]
    assert [d.telegram_id for d in await _deciders(db, tirane, tirane_county)] == [1]


async def _message_to_7(session: AsyncSession, ref_kind: str, at: datetime) -> int | None:
    return await outbox.enqueue(
        session,
        chat_id=7,
        method="sendMessage",
        payload={"text": ref_kind},
        now=at,
        ref_kind=ref_kind,
        ref_id=7,
    )


async def test_language_and_burst_state(db: Database) -> None:
    korce, korce_county = (await _places(db))["Korçë"]
    await _grant(db, 7, RoleKind.CHAIR, county_id=korce_county, municipality_id=korce)
    async with db.write() as session:
        session.add(Account(telegram_id=7, language="en", created_at=NOW))
        card = await _message_to_7(session, "application", NOW)
        old_summary = await _message_to_7(session, "burst", NOW - timedelta(hours=2))
    assert card is not None and old_summary is not None
    (chair,) = await _deciders(db, korce, korce_county)
    assert chair.language == "en" and chair.card_queued
    assert chair.summary_id is None  # two hours old: not a burst any more

    async with db.write() as session:
        await outbox.cancel_queued_to(session, 7, "application")
        summary = await _message_to_7(session, "burst", NOW)
    assert summary is not None
    (chair,) = await _deciders(db, korce, korce_county)
    assert not chair.card_queued and chair.summary_id == summary

    # Sent, then edited: the newest row is the edit, the message to edit is still the first.
    async with db.write() as session:
        await session.execute(update(Delivery).where(Delivery.id == summary).values(status="sent"))
        edit = await outbox.enqueue_edit(
            session, original_id=summary, payload={"text": "4"}, now=NOW
        )
    assert edit is not None and edit != summary
    (chair,) = await _deciders(db, korce, korce_county)
    assert chair.summary_id == summary
