"""Applications (pending entries) as chairs, coordinators and admins see and decide them.

Every query takes the actor's `Scope` and filters in SQL: a chair's query cannot return
another municipality's member, whatever the handler asks.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, false, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.decisions import membership_number
from domain.permissions import Scope
from storage.models import Delivery, Member, MembershipCounter, Municipality
from storage.prepared import Prepared

# The outbox's ref_kind of a decider's copy (usecases.notifications.APPLICATION).
APPLICATION_REF = "application"
#: A /ne_pritje page the bot sent (its names and phones are withdrawn if the role ends).
LIST_PAGE_REF = "pending_list"


def in_scope(query: Select, scope: Scope) -> Select:  # type: ignore[type-arg]
    """Limit a query of members to the scope: the one place scoping is written."""
    if scope.national:
        return query
    conditions = []
    if scope.municipality_ids:
        conditions.append(Member.municipality_id.in_(scope.municipality_ids))
    if scope.county_ids:
        conditions.append(
            Member.municipality_id.in_(
                select(Municipality.id).where(Municipality.county_id.in_(scope.county_ids))
            )
        )
    return query.where(or_(*conditions) if conditions else false())


async def application_in_scope(
    session: AsyncSession, scope: Scope, member_id: int
) -> Member | None:
    """The entry if it exists and lies within the scope; None otherwise (no hint which)."""
    query = in_scope(select(Member).where(Member.id == member_id), scope)
    return await session.scalar(query)


async def pending_in_scope(
    session: AsyncSession, scope: Scope, *, limit: int, offset: int = 0
) -> tuple[list[Member], int]:
    """One page of pending applications, oldest first, and how many there are in all."""
    base = in_scope(select(Member).where(Member.status == "pending"), scope)
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    page = await session.scalars(
        base.order_by(Member.submitted_at, Member.id).limit(limit).offset(offset)
    )
    return list(page.all()), int(total or 0)


async def count_pending_in_scope(session: AsyncSession, scope: Scope) -> int:
    """How many applications wait for a decision in the scope (a burst summary's count).

    Every submission in a burst asks it, so it is prepared once per shape of scope (how
    many counties, how many municipalities), with the ids as parameters.
    """
    counties, municipalities = sorted(scope.county_ids), sorted(scope.municipality_ids)
    statement = _pending_count(scope.national, len(counties), len(municipalities))
    values = {
        **{f"county_{n}": county for n, county in enumerate(counties)},
        **{f"municipality_{n}": place for n, place in enumerate(municipalities)},
    }
    return int(await statement.scalar(session, **values) or 0)


@functools.lru_cache(maxsize=64)
def _pending_count(national: bool, counties: int, municipalities: int) -> Prepared:
    """The count for a scope of this shape: `in_scope` itself, given parameters for ids."""
    shape: Any = Scope(
        national=national,
        county_ids=frozenset(bindparam(f"county_{n}") for n in range(counties)),
        municipality_ids=frozenset(bindparam(f"municipality_{n}") for n in range(municipalities)),
    )
    base = in_scope(select(Member.id).where(Member.status == "pending"), shape)
    return Prepared(select(func.count()).select_from(base.subquery()))


async def pending_older_than(session: AsyncSession, cutoff: datetime) -> list[Member]:
    """Pending applications submitted before `cutoff` (reminders; system-wide, no actor)."""
    query = select(Member).where(Member.status == "pending", Member.submitted_at < cutoff)
    return list((await session.scalars(query.order_by(Member.submitted_at))).all())


@dataclass(frozen=True)
class Decision:
    """What came of a press: `won` is False when someone else had already decided."""

    member: Member
    won: bool


async def decide(
    session: AsyncSession,
    member: Member,
    *,
    approve: bool,
    decider_id: int,
    reason: str | None,
    now: datetime,
) -> Decision:
    """Decide once: a conditional update on status = 'pending'.

    Two chairs pressing at once, or one pressing twice: exactly one update matches; the
    others get `won=False` and the stored outcome (who decided, when).
    """
    values: dict[str, object] = {
        "status": "approved" if approve else "rejected",
        "decided_at": now,
        "decided_by": decider_id,
        "rejection_reason": None if approve else reason,
    }
    result = await session.execute(
        update(Member)
        .where(Member.id == member.id, Member.status == "pending")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    won = result.rowcount == 1  # type: ignore[attr-defined]
    if won and approve:
        number = await _next_membership_number(session, member.municipality_id)
        await session.execute(
            update(Member).where(Member.id == member.id).values(membership_number=number)
        )
    await session.refresh(member)
    return Decision(member=member, won=won)


async def _next_membership_number(session: AsyncSession, municipality_id: int) -> str:
    """The municipality's next number, inside the deciding transaction (no gaps, no twins).

    Insert-if-missing, then one atomic increment with RETURNING: safe for two processes
    deciding in the same municipality at once on PostgreSQL as on SQLite.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(MembershipCounter)
        .values(municipality_id=municipality_id, last_value=0)
        .on_conflict_do_nothing(index_elements=["municipality_id"])
    )
    sequence = await session.scalar(
        update(MembershipCounter)
        .where(MembershipCounter.municipality_id == municipality_id)
        .values(last_value=MembershipCounter.last_value + 1)
        .returning(MembershipCounter.last_value)
    )
    code = await session.scalar(select(Municipality.code).where(Municipality.id == municipality_id))
    return membership_number(code or "XXX", int(sequence or 0))


async def copies_held(session: AsyncSession, member_ids: list[int]) -> set[tuple[int, int]]:
    """(application id, chat id) of every decider's copy (card) of these applications.

    Reminders use it: whoever got the card at submission (a coordinator or an admin
    standing in for a missing chair) is not reminded of it the same day.
    """
    if not member_ids:
        return set()
    rows = await session.execute(
        select(Delivery.ref_id, Delivery.chat_id).where(
            Delivery.ref_kind == APPLICATION_REF,
            Delivery.ref_id.in_(member_ids),
            Delivery.method == "sendMessage",
        )
    )
    return {(int(ref_id), int(chat_id)) for ref_id, chat_id in rows.all()}
