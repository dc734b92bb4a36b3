"""The append-only audit log: actor, time, action, subject — ids only, never names or phones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.permissions import Grant
from storage.models import AuditEvent
from storage.prepared import Prepared

#: One event, as one prepared INSERT: a submission, a decision and a card each record one,
#: and the unit of work's flush of an added object cost more than the statement.
_RECORD = Prepared(
    insert(AuditEvent).values(
        at=bindparam("at"),
        actor_id=bindparam("actor"),
        action=bindparam("what"),
        subject_kind=bindparam("kind"),
        subject_id=bindparam("subject"),
        detail=bindparam("about", type_=AuditEvent.__table__.c.detail.type),
    )
)


async def record(
    session: AsyncSession,
    *,
    at: datetime,
    actor_id: int | None,
    action: str,
    subject_kind: str | None = None,
    subject_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    await _RECORD.run(
        session,
        at=at,
        actor=actor_id,
        what=action,
        kind=subject_kind,
        subject=subject_id,
        about=detail,
    )


async def role_changed(
    session: AsyncSession,
    *,
    at: datetime,
    actor_id: int | None,
    role_id: int,
    granted: bool,
    via: str,
) -> None:
    """A role granted or revoked, and by which path (invite, chat, cli, ADMIN_IDS)."""
    await record(
        session,
        at=at,
        actor_id=actor_id,
        action="role.granted" if granted else "role.revoked",
        subject_kind="role",
        subject_id=role_id,
        detail={"via": via},
    )


#: Reads of a personal record by an officer: what "who looked at my data" lists.
READ_ACTIONS = (
    "read.pending_list",
    "read.card",
    "read.search_result",
    "read.member_card",
    "read.phone_revealed",
    "read.export",
)


async def record_reads(
    session: AsyncSession,
    *,
    at: datetime,
    actor_id: int,
    action: str,
    reads: list[tuple[int, Grant | None]],
) -> None:
    """One row per entry read, with the role it was read in (kind and place ids: never
    names), so the member can later see who looked and in what capacity."""
    assert action in READ_ACTIONS, action
    events = []
    for member_id, grant in reads:
        detail: dict[str, Any] = {}
        if grant is not None:
            detail = {"as": grant.kind.value}
            if grant.municipality_id is not None:
                detail["municipality_id"] = grant.municipality_id
            if grant.county_id is not None:
                detail["county_id"] = grant.county_id
        events.append(
            AuditEvent(
                at=at,
                actor_id=actor_id,
                action=action,
                subject_kind="member",
                subject_id=member_id,
                detail=detail,
            )
        )
    # Added, not inserted one by one: an export reads thousands, which the unit of work
    # writes in batches.
    session.add_all(events)


async def reads_of(session: AsyncSession, member_ids: list[int]) -> list[AuditEvent]:
    """Every recorded read of these entries, oldest first."""
    if not member_ids:
        return []
    query = (
        select(AuditEvent)
        .where(
            AuditEvent.subject_kind == "member",
            AuditEvent.subject_id.in_(member_ids),
            AuditEvent.action.in_(READ_ACTIONS),
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return list((await session.scalars(query)).all())


async def history_of(session: AsyncSession, member_id: int) -> list[AuditEvent]:
    """What happened to an entry (submitted, decided, withdrawn, corrected), oldest first:
    the member card's history. Reads are left out."""
    query = (
        select(AuditEvent)
        .where(
            AuditEvent.subject_kind == "member",
            AuditEvent.subject_id == member_id,
            AuditEvent.action.not_in(READ_ACTIONS),
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return list((await session.scalars(query)).all())
