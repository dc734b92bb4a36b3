"""Who may decide a new application, and what its submission needs about each, in one query.

A submission tells the application's deciders (its chairs; else the county's coordinators;
else the national admins). For each it needs their language, all their active grants (the
card is a read in the role that brings it; a burst summary counts what their whole scope
holds), whether a card of theirs is still queued and whether a summary went out lately
(`usecases.bursts`). Asked one by one that was 14 statements in a burst
(bench/registration.py: Confirm was 28 in its turn); here it is one, read in the
submission's own transaction, so nothing is kept that another process could contradict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.permissions import Grant, RoleKind
from storage.models import Account, Delivery, Role
from storage.outbox import QUEUED, SENDING, SENT
from storage.roles import grant_of


@dataclass(frozen=True)
class Decider:
    """One person who may hear of an application, as the submission finds them."""

    telegram_id: int
    role: Role  # the grant that brings them the application
    grants: tuple[Grant, ...]  # every active grant they hold
    language: str | None  # None: no account row (the default language applies)
    card_queued: bool  # a card of theirs is still waiting for its turn
    summary_id: int | None  # their burst summary (its first row), live and touched since `since`


async def deciders_over(
    session: AsyncSession,
    *,
    municipality_id: int,
    county_id: int,
    applicant_id: int,
    card_ref: str,
    summary_ref: str,
    since: datetime,
) -> list[Decider]:
    """The chairs of the municipality; with none, the county's coordinators; with neither,
    the admins — never the applicant. One statement (see the module's docstring)."""
    covering = or_(
        and_(Role.kind == RoleKind.CHAIR.value, Role.municipality_id == municipality_id),
        and_(Role.kind == RoleKind.COORDINATOR.value, Role.county_id == county_id),
        Role.kind == RoleKind.ADMIN.value,
    )
    people = select(Role.telegram_id).where(
        Role.revoked_at.is_(None), covering, Role.telegram_id != applicant_id
    )
    card_queued = exists().where(
        Delivery.chat_id == Role.telegram_id,
        Delivery.ref_kind == card_ref,
        Delivery.status == QUEUED,
    )
    # The message to edit: the newest summary row's root (an edit row names the message
    # it edits; every edit names the root, storage.outbox.enqueue_edit_id).
    summary = (
        select(func.coalesce(Delivery.edits_delivery_id, Delivery.id))
        .where(
            Delivery.chat_id == Role.telegram_id,
            Delivery.ref_kind == summary_ref,
            Delivery.status.in_((QUEUED, SENDING, SENT)),
            Delivery.created_at >= since,
        )
        .order_by(Delivery.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(Role, Account.language, card_queued.label("queued"), summary.label("summary"))
            .outerjoin(Account, Account.telegram_id == Role.telegram_id)
            .where(Role.revoked_at.is_(None), Role.telegram_id.in_(people))
            .order_by(Role.id)
        )
    ).all()
    grants: dict[int, list[Grant]] = {}
    for role, *_ in rows:
        grants.setdefault(role.telegram_id, []).append(grant_of(role))

    def holding(kind: RoleKind, **place: int) -> list[Decider]:
        found: dict[int, Decider] = {}
        for role, language, queued, summary_id in rows:
            if role.kind != kind.value or role.telegram_id in found:
                continue
            if any(getattr(role, column) != value for column, value in place.items()):
                continue
            found[role.telegram_id] = Decider(
                role.telegram_id,
                role,
                tuple(grants[role.telegram_id]),
                language,
                bool(queued),
                summary_id,
            )
        return list(found.values())

    return (
        holding(RoleKind.CHAIR, municipality_id=municipality_id)
        or holding(RoleKind.COORDINATOR, county_id=county_id)
        or holding(RoleKind.ADMIN)
    )
