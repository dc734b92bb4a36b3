"""The outbox: messages the bot decided to send, stored before anything is sent.

A handler that changes something and must tell someone (a chair about a new application, a
member about the outcome) calls `enqueue` in the same transaction as the change. Either
both are committed or neither is, so a crash between "decided" and "told" cannot lose the
message; `bot.outbox.OutboxSender` delivers the rows afterwards and records the result here.

Row life cycle: queued → sending → sent | failed | unreachable | cancelled, and sending →
queued again for a retry. Rows of one chat are delivered strictly in id order (see
`claim_due`), which is what lets an edit be queued right behind the message it edits.

Like every storage module, functions take the session first and never commit. Error texts
are kept short and never hold message text: payloads carry personal data, errors are
shown in reports and logs.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.accounts import mark_unreachable as mark_account_unreachable
from storage.models import Delivery

METHODS: Final = frozenset({"sendMessage", "editMessageText", "copyMessage"})

QUEUED: Final = "queued"
SENDING: Final = "sending"
SENT: Final = "sent"
FAILED: Final = "failed"
UNREACHABLE: Final = "unreachable"
CANCELLED: Final = "cancelled"
#: Rows that still hold up later rows of the same chat.
ACTIVE: Final = (QUEUED, SENDING)
FINAL: Final = (SENT, FAILED, UNREACHABLE, CANCELLED)

#: "As soon as the limits allow" where `delivery.not_before` cannot hold NULL. It must not be
#: the caller's `now`: that is the business clock (moved by tests and demos), while retries
#: and the sender run on the real one; the epoch is in the past on every clock.
ASAP: Final = datetime(1970, 1, 1, tzinfo=UTC)
_NOT_BEFORE_NULLABLE: Final = bool(Delivery.__table__.c.not_before.nullable)

#: The width of `delivery.error`.
ERROR_MAX: Final = 255


def short_error(error: str) -> str:
    """Fit an error into its column (one line, at most 255 characters)."""
    flat = " ".join(error.split())
    return flat if len(flat) <= ERROR_MAX else flat[: ERROR_MAX - 1] + "…"


def _insert_for(session: AsyncSession) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT DO NOTHING (SQLite and PostgreSQL)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"the outbox supports SQLite and PostgreSQL, not {name}")


async def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    method: str,
    payload: dict[str, Any],
    now: datetime,
    ref_kind: str | None = None,
    ref_id: int | None = None,
    dedupe_key: str | None = None,
    priority: int = 0,
    not_before: datetime | None = None,
) -> Delivery | None:
    """Queue one Bot API call to `chat_id`; None when `dedupe_key` was queued before.

    `payload` is the call's parameters except chat_id, JSON only (reply_markup as
    `InlineKeyboardMarkup.to_dict()`). The dedupe key makes enqueueing idempotent (a job
    that runs twice queues one reminder): INSERT … ON CONFLICT DO NOTHING, so a duplicate
    neither raises nor aborts the caller's transaction, on either backend.

    `now` (the caller's clock) only goes into created_at. Leave `not_before` None for "as
    soon as the limits allow": stored as NULL, or as `ASAP` while the column is NOT NULL,
    never as `now`, which may be a business clock ahead of the sender's real one.
    """
    if method not in METHODS:
        raise ValueError(f"unsupported method {method!r}; expected one of {sorted(METHODS)}")
    if "chat_id" in payload:
        raise ValueError("chat_id is a column of its own, not part of the payload")
    if not_before is None and not _NOT_BEFORE_NULLABLE:
        not_before = ASAP
    insert = _insert_for(session)
    statement = (
        insert(Delivery)
        .values(
            chat_id=chat_id,
            method=method,
            payload=payload,
            ref_kind=ref_kind,
            ref_id=ref_id,
            dedupe_key=dedupe_key,
            priority=priority,
            status=QUEUED,
            attempts=0,
            not_before=not_before,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=[Delivery.dedupe_key])
        .returning(Delivery.id)
    )
    new_id = (await session.execute(statement)).scalar_one_or_none()
    if new_id is None:
        return None
    return await session.get(Delivery, new_id)


async def _locked(session: AsyncSession, delivery_id: int) -> Delivery | None:
    """The row as it is now, locked on PostgreSQL until the transaction ends.

    populate_existing: an object already in the session would otherwise keep stale values.
    SQLite ignores FOR UPDATE; its write transaction (BEGIN IMMEDIATE) is exclusive anyway.
    """
    statement = (
        select(Delivery)
        .where(Delivery.id == delivery_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def enqueue_edit(
    session: AsyncSession, *, original_id: int, payload: dict[str, Any], now: datetime
) -> Delivery | None:
    """Change the text (and buttons) of the message delivery `original_id` sends or sent.

    Returns the editMessageText row that will carry the change, or None when no row is
    needed: the original is still queued (its payload is rewritten, so the person gets one
    message with the final text and no edit call is spent), or it will never be sent
    (failed, unreachable, cancelled: there is nothing to edit). Only the latest edit
    matters, so a still-queued edit of the same original is overwritten rather than
    followed by a second one. The edit waits behind its original by the per-chat order.
    """
    if "chat_id" in payload or "message_id" in payload:
        raise ValueError("chat_id and message_id come from the original delivery")
    original = await _locked(session, original_id)
    if original is None:
        raise LookupError(f"no delivery {original_id}")
    # An edit of an edit changes the same message: edit the root.
    while original.method == "editMessageText" and original.edits_delivery_id is not None:
        original = await _locked(session, original.edits_delivery_id)
        if original is None:
            raise LookupError(f"delivery {original_id} edits a missing delivery")

    if original.status == QUEUED and original.method == "sendMessage":
        # Not sent yet: send the final version instead. Buttons follow the edit (an edit
        # without reply_markup removes them, as editMessageText would).
        rewritten = {k: v for k, v in original.payload.items() if k != "reply_markup"}
        rewritten.update(payload)
        result = await session.execute(
            update(Delivery)
            .where(Delivery.id == original.id, Delivery.status == QUEUED)
            .values(payload=rewritten)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return None
        # Claimed in between (PostgreSQL only): queue a real edit below.
        original = await _locked(session, original.id)
        assert original is not None
    if original.status in (FAILED, UNREACHABLE, CANCELLED):
        return None

    # Sending or sent (or a queued copyMessage, whose text cannot be rewritten): edit it.
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.edits_delivery_id == original.id,
            Delivery.method == "editMessageText",
            Delivery.status == QUEUED,
        )
        .values(payload=payload)
        .returning(Delivery.id)
    )
    pending = result.scalars().first()
    if pending is not None:
        return await session.get(Delivery, pending, populate_existing=True)
    edit = Delivery(
        chat_id=original.chat_id,
        method="editMessageText",
        payload=payload,
        edits_delivery_id=original.id,
        ref_kind=original.ref_kind,
        ref_id=original.ref_id,
        priority=original.priority,
        status=QUEUED,
        attempts=0,
        not_before=None if _NOT_BEFORE_NULLABLE else ASAP,
        created_at=now,
    )
    session.add(edit)
    await session.flush()
    return edit


async def deliveries_for(session: AsyncSession, ref_kind: str, ref_id: int) -> list[Delivery]:
    """Every delivery about one thing (e.g. each chair's copy of an application), oldest first."""
    statement = (
        select(Delivery)
        .where(Delivery.ref_kind == ref_kind, Delivery.ref_id == ref_id)
        .order_by(Delivery.id)
    )
    return list((await session.execute(statement)).scalars())


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    limit: int,
    lease_seconds: float,
    exclude_chat_ids: Collection[int] = (),
) -> list[Delivery]:
    """Take up to `limit` rows to send now and mark them 'sending' (attempts + 1).

    Due rows are queued ones whose not_before has come, plus rows left 'sending' longer
    than the lease by a sender that crashed. A row is only taken when no earlier row of its
    chat is still queued or sending, so a chat's messages arrive in the order they were
    queued and an edit never overtakes its original; as a consequence at most one row per
    chat is taken. `exclude_chat_ids` lets the sender skip chats it is pacing.

    On PostgreSQL, FOR UPDATE SKIP LOCKED keeps two senders from taking the same row; on
    SQLite the write transaction (BEGIN IMMEDIATE) already admits one claimer at a time.
    """
    if limit <= 0:
        return []
    stale_before = now - timedelta(seconds=lease_seconds)
    earlier = aliased(Delivery)
    blocked = (
        select(earlier.id)
        .where(
            earlier.chat_id == Delivery.chat_id,
            earlier.id < Delivery.id,
            earlier.status.in_(ACTIVE),
        )
        .exists()
    )
    due = or_(
        and_(
            Delivery.status == QUEUED,
            or_(Delivery.not_before.is_(None), Delivery.not_before <= now),
        ),
        and_(Delivery.status == SENDING, Delivery.claimed_at < stale_before),
    )
    statement = select(Delivery).where(due, ~blocked)
    if exclude_chat_ids:
        statement = statement.where(Delivery.chat_id.not_in(list(exclude_chat_ids)))
    statement = (
        statement.order_by(Delivery.priority.desc(), Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Delivery)
        .execution_options(populate_existing=True)
    )
    rows = list((await session.execute(statement)).scalars())
    for row in rows:
        row.status = SENDING
        row.claimed_at = now
        row.attempts += 1
    await session.flush()
    return rows


async def originals_message_ids(
    session: AsyncSession, delivery_ids: Collection[int]
) -> dict[int, tuple[str, int | None]]:
    """Status and sent message id of the deliveries that edits refer to."""
    if not delivery_ids:
        return {}
    statement = select(Delivery.id, Delivery.status, Delivery.message_id).where(
        Delivery.id.in_(list(delivery_ids))
    )
    return {row.id: (row.status, row.message_id) for row in await session.execute(statement)}


async def mark_sent(
    session: AsyncSession, delivery_id: int, *, message_id: int | None, now: datetime
) -> None:
    """Telegram accepted the call; keep the message id so the message can be edited later."""
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status != SENT)
        .values(status=SENT, message_id=message_id, sent_at=now, error=None)
    )


async def mark_retry(
    session: AsyncSession,
    delivery_id: int,
    *,
    not_before: datetime,
    error: str,
    refund_attempt: bool = False,
) -> None:
    """Back to queued until `not_before` (a transient error, or flood control).

    `refund_attempt` takes back the attempt the claim counted: a 429, or a row the sender
    handed back unsent, says nothing about the message, so it must not use up its
    max_attempts. Only a row still 'sending' is touched: a late answer never revives a row
    that another sender (after the lease) already finished.
    """
    values: dict[str, Any] = {
        "status": QUEUED,
        "not_before": not_before,
        "claimed_at": None,
        "error": short_error(error),
    }
    if refund_attempt:
        values["attempts"] = func.max(Delivery.attempts - 1, 0)
        if session.get_bind().dialect.name == "postgresql":
            values["attempts"] = func.greatest(Delivery.attempts - 1, 0)
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == SENDING)
        .values(**values)
    )


async def mark_failed(
    session: AsyncSession, delivery_id: int, *, error: str, now: datetime
) -> None:
    """Given up: a permanent error, or too many transient ones.

    `now` is accepted for symmetry with the other outcomes; the table has no column for
    when a row ended other than sent_at, which is reserved for real deliveries.
    """
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status.in_(ACTIVE))
        .values(status=FAILED, error=short_error(error))
    )


async def mark_unreachable(
    session: AsyncSession, delivery_id: int, *, error: str, now: datetime
) -> None:
    """Telegram refused the chat (403: blocked, deactivated): stop writing to it.

    The person's account is marked unreachable, and the chat's other queued rows end too:
    each of them would only collect the same 403. Rows already in flight are left to
    their own answer.
    """
    delivery = await session.get(Delivery, delivery_id, populate_existing=True)
    if delivery is None:
        return
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status.in_(ACTIVE))
        .values(status=UNREACHABLE, error=short_error(error))
    )
    await session.execute(
        update(Delivery)
        .where(Delivery.chat_id == delivery.chat_id, Delivery.status == QUEUED)
        .values(status=UNREACHABLE, error=short_error(f"chat unreachable (delivery {delivery_id})"))
    )
    await mark_account_unreachable(session, delivery.chat_id, now)
    await session.refresh(delivery)


async def cancel_for_ref(
    session: AsyncSession, ref_kind: str, ref_id: int, *, now: datetime
) -> int:
    """Drop queued rows about something that no longer matters (e.g. an application decided
    by another chair before the reminder went out). Returns how many were cancelled.

    Rows already sending or sent are not touched: what was said stays said (edit it with
    `enqueue_edit` instead). Queued edits of the cancelled rows go too.
    """
    cancelled = await session.execute(
        update(Delivery)
        .where(Delivery.ref_kind == ref_kind, Delivery.ref_id == ref_id, Delivery.status == QUEUED)
        .values(status=CANCELLED, error="cancelled")
        .returning(Delivery.id)
    )
    ids = list(cancelled.scalars())
    if ids:
        await session.execute(
            update(Delivery)
            .where(Delivery.edits_delivery_id.in_(ids), Delivery.status == QUEUED)
            .values(status=CANCELLED, error="cancelled")
        )
    return len(ids)


async def counts(session: AsyncSession) -> dict[str, int]:
    """Rows per status, for progress reports and tests."""
    statement = select(Delivery.status, func.count()).group_by(Delivery.status)
    return {status: n for status, n in await session.execute(statement)}


async def cancel_queued_to(session: AsyncSession, chat_id: int, ref_kind: str) -> int:
    """Cancel one chat's queued rows of one kind (cards overtaken by a summary)."""
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.chat_id == chat_id,
            Delivery.ref_kind == ref_kind,
            Delivery.status == QUEUED,
        )
        .values(status=CANCELLED, error="folded into a summary")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def has_queued_to(session: AsyncSession, chat_id: int, ref_kind: str) -> bool:
    found = await session.scalar(
        select(Delivery.id)
        .where(
            Delivery.chat_id == chat_id,
            Delivery.ref_kind == ref_kind,
            Delivery.status == QUEUED,
        )
        .limit(1)
    )
    return found is not None


async def latest_to(
    session: AsyncSession, chat_id: int, ref_kind: str, *, since: datetime
) -> Delivery | None:
    """The newest live (queued, sending or sent) row of a kind to a chat, created since."""
    return await session.scalar(
        select(Delivery)
        .where(
            Delivery.chat_id == chat_id,
            Delivery.ref_kind == ref_kind,
            Delivery.status.in_((QUEUED, SENDING, SENT)),
            Delivery.created_at >= since,
        )
        .order_by(Delivery.id.desc())
        .limit(1)
    )
