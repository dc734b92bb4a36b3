"""Reading the audit (issue 15): pages for admins, and the counts the alerts watch."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import READ_ACTIONS
from storage.models import AuditEvent

#: Families an admin filters by; the index goes into callback data (never free text).
FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("all", ()),
    ("reads", ("read.",)),
    ("decisions", ("decision.", "application.")),
    ("exports", ("export.",)),
    ("roles", ("role.", "invite.")),
    (
        "refused",
        ("%.refused", "%_refused", "%forged%", "press.outside_private_chat", "%not_allowed"),
    ),
    ("members", ("data.", "consent.", "registration.")),
)


def _family_filter(query: Select, family: int) -> Select:  # type: ignore[type-arg]
    if not 0 < family < len(FAMILIES):
        return query
    patterns = FAMILIES[family][1]
    clauses = [
        AuditEvent.action.like(p if "%" in p else (p + "%" if p.endswith(".") else p))
        for p in patterns
    ]
    return query.where(or_(*clauses))


async def audit_page(
    session: AsyncSession,
    *,
    actor_id: int | None,
    family: int,
    limit: int,
    offset: int = 0,
    since: datetime | None = None,
) -> tuple[list[AuditEvent], int]:
    """Newest first, and how many match."""
    query = select(AuditEvent)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    query = _family_filter(query, family)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    page = await session.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit).offset(offset)
    )
    return list(page.all()), int(total or 0)


async def heavy_readers(
    session: AsyncSession, since: datetime, threshold: int
) -> list[tuple[int, int]]:
    """(actor, reads) for actors who read at least `threshold` records since then."""
    query = (
        select(AuditEvent.actor_id, func.count())
        .where(
            AuditEvent.at >= since,
            AuditEvent.action.in_(READ_ACTIONS),
            AuditEvent.actor_id.is_not(None),
        )
        .group_by(AuditEvent.actor_id)
        .having(func.count() >= threshold)
    )
    return [(int(actor), int(count)) for actor, count in (await session.execute(query)).all()]


async def refused_bursts(
    session: AsyncSession, since: datetime, threshold: int
) -> list[tuple[int, int]]:
    """(actor, refusals) for actors refused at least `threshold` times since then."""
    query = _family_filter(
        select(AuditEvent.actor_id, func.count()).where(
            AuditEvent.at >= since, AuditEvent.actor_id.is_not(None)
        ),
        REFUSED_FAMILY,
    )
    query = query.group_by(AuditEvent.actor_id).having(func.count() >= threshold)
    return [(int(actor), int(count)) for actor, count in (await session.execute(query)).all()]


REFUSED_FAMILY = next(i for i, (name, _) in enumerate(FAMILIES) if name == "refused")
