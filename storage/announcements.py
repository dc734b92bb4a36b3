"""Announcements in the database: drafts, recipients chosen in SQL, their outbox rows written
in one statement each, progress and acknowledgements counted per structure.

Sending to 10 000 people must not mean 10 000 round trips: on Send, the recipients and their
deliveries are each one INSERT … SELECT, in the same transaction as the announcement's
change of status, so either all of them are queued or none is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    Select,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain.announcements import Progress, Target, TargetKind
from storage.models import (
    Account,
    Announcement,
    AnnouncementRecipient,
    Delivery,
    Member,
    Municipality,
    Role,
)
from storage.outbox import ASAP, CANCELLED, FAILED, QUEUED, SENDING, SENT, UNREACHABLE

#: Outbox rows of an announcement carry this ref_kind and the announcement's id.
REF_KIND: Final = "announcement"
#: Below every other row: announcements wait for replies, cards and outcomes.
PRIORITY: Final = -1

DRAFT: Final = "draft"
SCHEDULED: Final = "scheduled"
SENDING_STATUS: Final = "sending"
DONE: Final = "done"
CANCELLED_STATUS: Final = "cancelled"
LIVE: Final = (SCHEDULED, SENDING_STATUS)


# --- drafts ----------------------------------------------------------------------------------


async def start_draft(session: AsyncSession, sender_id: int, now: datetime) -> Announcement:
    """A new wizard for the sender; an unfinished one before it is dropped."""
    await session.execute(
        delete(Announcement).where(
            Announcement.sender_id == sender_id, Announcement.status == DRAFT
        )
    )
    draft = Announcement(
        sender_id=sender_id,
        step="target",
        ask_ack=False,
        status=DRAFT,
        total=0,
        unreachable=0,
        created_at=now,
    )
    session.add(draft)
    await session.flush()
    return draft


async def draft_of(session: AsyncSession, sender_id: int) -> Announcement | None:
    """The sender's unsent announcement, if any (one at a time)."""
    return await session.scalar(
        select(Announcement)
        .where(Announcement.sender_id == sender_id, Announcement.status == DRAFT)
        .order_by(Announcement.id.desc())
        .limit(1)
    )


async def drop_draft(session: AsyncSession, sender_id: int) -> bool:
    result = await session.execute(
        delete(Announcement).where(
            Announcement.sender_id == sender_id, Announcement.status == DRAFT
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def get(session: AsyncSession, announcement_id: int) -> Announcement | None:
    return await session.get(Announcement, announcement_id, populate_existing=True)


# --- recipients --------------------------------------------------------------------------------


def _people(
    target: Target, columns: Callable[[Any, Any], tuple[Any, ...]]
) -> tuple[Select[Any], Any, Any]:
    """The people a target names, joined to their accounts: (query, chat id, place).

    Members: approved entries only (not pending, rejected, withdrawn or ended). Chairs:
    active chair roles.
    """
    if target.kind in (TargetKind.CHAIRS, TargetKind.COUNTY_CHAIRS):
        chat, place = Role.telegram_id, Role.municipality_id
        whose = (Role.kind == "chair") & Role.revoked_at.is_(None)
    else:
        chat, place = Member.telegram_id, Member.municipality_id
        whose = Member.status == "approved"
    query = (
        select(*columns(chat, place))
        .select_from(chat.class_)
        .outerjoin(Account, Account.telegram_id == chat)
        .where(whose)
    )
    if target.kind in (TargetKind.COUNTY, TargetKind.COUNTY_CHAIRS):
        in_county = select(Municipality.id).where(Municipality.county_id == target.place_id)
        query = query.where(place.in_(in_county))
    elif target.kind is TargetKind.MUNICIPALITY:
        query = query.where(place == target.place_id)
    return query, chat, place


def _recipients(target: Target) -> Select[Any]:
    """(chat id, municipality id, language) of each reachable recipient, one row per person.
    A person who blocked the bot (account unreachable) is left out, and counted apart."""
    language: Any = Account.language  # none: the default language's copy
    if target.kind not in (TargetKind.CHAIRS, TargetKind.COUNTY_CHAIRS):
        language = func.coalesce(Account.language, Member.language)
    query, chat, _ = _people(
        target, lambda chat, place: (chat, func.min(place), func.min(language))
    )
    return query.where(Account.unreachable_at.is_(None)).group_by(chat)


async def count_recipients(session: AsyncSession, target: Target) -> tuple[int, int]:
    """(reachable recipients, people of the target left out because they blocked the bot)."""
    reachable = await session.scalar(
        select(func.count()).select_from(_recipients(target).subquery())
    )
    blocked, _, _ = _people(target, lambda chat, place: (func.count(func.distinct(chat)),))
    left_out = await session.scalar(blocked.where(Account.unreachable_at.is_not(None)))
    return int(reachable or 0), int(left_out or 0)


async def launch(
    session: AsyncSession,
    announcement: Announcement,
    target: Target,
    payloads: dict[str, dict[str, Any]],
    *,
    default_language: str,
    now: datetime,
    not_before: datetime | None,
    method: str = "copyMessage",
) -> int:
    """Write the recipients and one queued copy for each; returns how many.

    `payloads` are the copyMessage parameters per language (the «E lexova» button is in
    the recipient's language), chosen in SQL by each recipient's language; `method`
    sendMessage for a text typed on the server (`regjistri announce`). `not_before`
    (the sender's real clock) holds a scheduled announcement back; None sends at once.
    """
    recipients = _recipients(target).subquery()
    chat, place, language = recipients.c
    await session.execute(
        insert(AnnouncementRecipient).from_select(
            ["announcement_id", "chat_id", "municipality_id"],
            select(literal(announcement.id), chat, place),
        )
    )
    fallback = payloads[default_language]
    chosen = case(
        *[
            (language == code, literal(body, type_=Delivery.payload.type))
            for code, body in payloads.items()
            if code != default_language
        ],
        else_=literal(fallback, type_=Delivery.payload.type),
    )
    columns = {
        "chat_id": chat,
        "method": literal(method),
        "payload": chosen,
        "ref_kind": literal(REF_KIND),
        "ref_id": literal(announcement.id),
        "priority": literal(PRIORITY),
        "status": literal(QUEUED),
        "attempts": literal(0),
        "not_before": literal(not_before or ASAP, type_=Delivery.not_before.type),
        "created_at": literal(now, type_=Delivery.created_at.type),
    }
    await session.execute(
        insert(Delivery).from_select(
            list(columns),
            select(*columns.values()).select_from(recipients).order_by(chat),
        )
    )
    total = await session.scalar(
        select(func.count()).where(AnnouncementRecipient.announcement_id == announcement.id)
    )
    announcement.total = int(total or 0)
    _, announcement.unreachable = await count_recipients(session, target)
    return announcement.total


# --- progress -----------------------------------------------------------------------------------


def _deliveries(announcement_id: int) -> Any:
    return (Delivery.ref_kind == REF_KIND) & (Delivery.ref_id == announcement_id)


async def progress(session: AsyncSession, announcement: Announcement, now: datetime) -> Progress:
    """The deliveries' statuses counted (one indexed range of the outbox)."""
    rows = await session.execute(
        select(Delivery.status, func.count())
        .where(_deliveries(announcement.id), Delivery.edits_delivery_id.is_(None))
        .group_by(Delivery.status)
    )
    by_status = {status: int(n) for status, n in rows}
    started = announcement.started_at or now
    return Progress(
        total=announcement.total,
        sent=by_status.get(SENT, 0),
        unreachable=by_status.get(UNREACHABLE, 0),
        failed=by_status.get(FAILED, 0),
        cancelled=by_status.get(CANCELLED, 0),
        elapsed_seconds=max((now - started).total_seconds(), 0.0),
        left=by_status.get(QUEUED, 0) + by_status.get(SENDING, 0),
    )


async def failure_reasons(session: AsyncSession, announcement_id: int) -> list[tuple[str, int]]:
    """Why deliveries failed, most common first (Telegram's descriptions, no message text)."""
    rows = await session.execute(
        select(Delivery.error, func.count())
        .where(_deliveries(announcement_id), Delivery.status == FAILED)
        .group_by(Delivery.error)
        .order_by(func.count().desc())
        .limit(5)
    )
    return [(error or "?", int(n)) for error, n in rows]


async def cancel_rest(
    session: AsyncSession, announcement: Announcement, actor_id: int | None
) -> int:
    """Stop what is not sent yet; returns how many deliveries were dropped."""
    result = await session.execute(
        update(Delivery)
        .where(_deliveries(announcement.id), Delivery.status == QUEUED)
        .values(status=CANCELLED, error="announcement cancelled")
    )
    announcement.status = CANCELLED_STATUS
    announcement.cancelled_by = actor_id
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def live(session: AsyncSession) -> list[Announcement]:
    """Announcements scheduled, being sent, or stopped and not yet reported (the progress
    job's work)."""
    stopped_unreported = (Announcement.status == CANCELLED_STATUS) & (
        Announcement.finished_at.is_(None)
    )
    rows = await session.scalars(
        select(Announcement)
        .where(Announcement.status.in_(LIVE) | stopped_unreported)
        .order_by(Announcement.id)
    )
    return list(rows)


# --- acknowledgements -----------------------------------------------------------------------


async def acknowledge(
    session: AsyncSession, announcement_id: int, chat_id: int, now: datetime
) -> bool | None:
    """Count a press of «E lexova»: True the first time, False again, None if the presser
    is not a recipient of this announcement (a forged or foreign press)."""
    result = await session.execute(
        update(AnnouncementRecipient)
        .where(
            AnnouncementRecipient.announcement_id == announcement_id,
            AnnouncementRecipient.chat_id == chat_id,
            AnnouncementRecipient.acked_at.is_(None),
        )
        .values(acked_at=now)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        return True
    known = await session.scalar(
        select(AnnouncementRecipient.chat_id).where(
            AnnouncementRecipient.announcement_id == announcement_id,
            AnnouncementRecipient.chat_id == chat_id,
        )
    )
    return False if known is not None else None


@dataclass(frozen=True)
class PlaceFigures:
    """One municipality's share of an announcement."""

    municipality_id: int | None
    recipients: int
    delivered: int
    acknowledged: int


async def figures_by_place(session: AsyncSession, announcement_id: int) -> list[PlaceFigures]:
    """Recipients, delivered and acknowledged per municipality (joined to the outbox by its
    (ref_kind, ref_id, chat_id) index: one look-up per recipient)."""
    delivered = func.sum(case((Delivery.status == SENT, 1), else_=0))
    acked = func.count(AnnouncementRecipient.acked_at)
    rows = await session.execute(
        select(AnnouncementRecipient.municipality_id, func.count(), delivered, acked)
        .select_from(AnnouncementRecipient)
        .outerjoin(
            Delivery,
            (Delivery.ref_kind == REF_KIND)
            & (Delivery.ref_id == AnnouncementRecipient.announcement_id)
            & (Delivery.chat_id == AnnouncementRecipient.chat_id)
            & Delivery.edits_delivery_id.is_(None),
        )
        .where(AnnouncementRecipient.announcement_id == announcement_id)
        .group_by(AnnouncementRecipient.municipality_id)
    )
    return [
        PlaceFigures(place, int(n), int(sent or 0), int(ack or 0)) for place, n, sent, ack in rows
    ]


async def acknowledged_count(session: AsyncSession, announcement_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(
                AnnouncementRecipient.announcement_id == announcement_id,
                AnnouncementRecipient.acked_at.is_not(None),
            )
        )
        or 0
    )


# --- lists ----------------------------------------------------------------------------------------


async def recent(
    session: AsyncSession, *, sender_id: int | None, limit: int, offset: int = 0
) -> list[Announcement]:
    """Sent (or sending, scheduled, cancelled) announcements, newest first; `sender_id`
    None for every sender (national staff)."""
    query = select(Announcement).where(Announcement.status != DRAFT)
    if sender_id is not None:
        query = query.where(Announcement.sender_id == sender_id)
    rows = await session.scalars(query.order_by(Announcement.id.desc()).limit(limit).offset(offset))
    return list(rows)


async def forget_person(session: AsyncSession, telegram_id: int) -> None:
    """Erasure: the person is no longer anyone's recipient (their drafts go too)."""
    await session.execute(
        delete(AnnouncementRecipient).where(AnnouncementRecipient.chat_id == telegram_id)
    )
    await session.execute(
        delete(Announcement).where(
            Announcement.sender_id == telegram_id, Announcement.status == DRAFT
        )
    )
