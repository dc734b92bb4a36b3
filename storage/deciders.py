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
from typing import Any, Final

from sqlalchemy import Select, and_, bindparam, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.permissions import Grant, RoleKind
from storage.models import Account, Delivery, Role
from storage.outbox import QUEUED, SENDING, SENT
from storage.prepared import Prepared


@dataclass(frozen=True)
class Decider:
    """One person who may hear of an application, as the submission finds them."""

    telegram_id: int
    grant: Grant  # the grant that brings them the application
    grants: tuple[Grant, ...]  # every active grant they hold
    language: str | None  # None: no account row (the default language applies)
    card_queued: bool  # a card of theirs is still waiting for its turn
    summary_id: int | None  # their burst summary (its first row), live and touched since `since`


def _statement() -> Select[Any]:
    """Built once, with bind parameters: building it per submission (an EXISTS, a scalar
    subquery, an outer join) cost more CPU than running it (bench/registration.py
    --profile), and plain columns spare loading Role objects."""
    covering = or_(
        and_(Role.kind == RoleKind.CHAIR.value, Role.municipality_id == bindparam("municipality")),
        and_(Role.kind == RoleKind.COORDINATOR.value, Role.county_id == bindparam("county")),
        Role.kind == RoleKind.ADMIN.value,
    )
    people = select(Role.telegram_id).where(
        Role.revoked_at.is_(None), covering, Role.telegram_id != bindparam("applicant")
    )
    card_queued = exists().where(
        Delivery.chat_id == Role.telegram_id,
        Delivery.ref_kind == bindparam("card_ref"),
        Delivery.status == QUEUED,
    )
    # The message to edit: the newest summary row's root (an edit row names the message
    # it edits; every edit names the root, storage.outbox.enqueue_edit).
    summary = (
        select(func.coalesce(Delivery.edits_delivery_id, Delivery.id))
        .where(
            Delivery.chat_id == Role.telegram_id,
            Delivery.ref_kind == bindparam("summary_ref"),
            # Literals, not one expanding parameter: the SQL is prepared once (Prepared).
            Delivery.status.in_([literal(QUEUED), literal(SENDING), literal(SENT)]),
            Delivery.created_at >= bindparam("since", type_=Delivery.created_at.type),
        )
        .order_by(Delivery.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(
            Role.id,
            Role.telegram_id,
            Role.kind,
            Role.county_id,
            Role.municipality_id,
            Account.language,
            card_queued.label("queued"),
            summary.label("summary"),
        )
        .outerjoin(Account, Account.telegram_id == Role.telegram_id)
        .where(Role.revoked_at.is_(None), Role.telegram_id.in_(people))
        .order_by(Role.id)
    )


@dataclass(frozen=True)
class _Held:
    """What one row says of the person holding the grant it carries."""

    telegram_id: int
    language: str | None
    queued: bool
    summary: int | None


_DECIDERS: Final = Prepared(_statement())


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
    rows = await _DECIDERS.rows(
        session,
        municipality=municipality_id,
        county=county_id,
        applicant=applicant_id,
        card_ref=card_ref,
        summary_ref=summary_ref,
        since=since,
    )
    held = [
        (
            Grant(role_id=role_id, kind=RoleKind(kind), county_id=county,
                  municipality_id=municipality),
            _Held(telegram_id, language, bool(queued), summary),
        )
        for role_id, telegram_id, kind, county, municipality, language, queued, summary in rows
    ]  # fmt: skip
    grants: dict[int, list[Grant]] = {}
    for grant, row in held:
        grants.setdefault(row.telegram_id, []).append(grant)

    def holding(kind: RoleKind, **place: int) -> list[Decider]:
        found: dict[int, Decider] = {}
        for grant, row in held:
            person = row.telegram_id
            if grant.kind is not kind or person in found:
                continue
            if any(getattr(grant, column) != value for column, value in place.items()):
                continue
            found[person] = Decider(
                person, grant, tuple(grants[person]), row.language, row.queued, row.summary
            )
        return list(found.values())

    return (
        holding(RoleKind.CHAIR, municipality_id=municipality_id)
        or holding(RoleKind.COORDINATOR, county_id=county_id)
        or holding(RoleKind.ADMIN)
    )
