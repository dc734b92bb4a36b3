"""The outbox: messages the bot decided to send, stored before anything is sent.

A handler that changes something and must tell someone (a chair about a new application, a
member about the outcome) calls `enqueue` in the same transaction as the change. Either
both are committed or neither is, so a crash between "decided" and "told" cannot lose the
message; `bot.sending.outbox_sender.OutboxSender` delivers the rows afterwards and records
the result here.

Row life cycle: queued → sending → sent | failed | unreachable | cancelled, and sending →
queued again for a retry. Rows of one chat are delivered strictly in id order (see
`claim_due`), which is what lets an edit be queued right behind the message it edits.

Like every storage module, functions take the session first and never commit. Error texts
are kept short and never hold message text: payloads carry personal data, errors are
shown in reports and logs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final, NamedTuple

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery
from storage.prepared import Prepared

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


#: Set in `session.info` by a session that queued (or changed) an outgoing message.
QUEUED_MESSAGES = "queued_messages"


_ENQUEUED_COLUMNS: Final = (
    "chat_id", "method", "payload", "ref_kind", "ref_id", "dedupe_key", "priority", "status",
    "attempts", "not_before", "created_at",
)  # fmt: skip


def _enqueueing(insert: Any) -> Any:
    """A dialect's INSERT of a delivery, built once with bind parameters (every card,
    outcome and reply queued durably runs it; building it cost more than running it)."""
    return (
        insert(Delivery)
        .values({column: bindparam(column) for column in _ENQUEUED_COLUMNS})
        .on_conflict_do_nothing(index_elements=[Delivery.dedupe_key])
        .returning(Delivery.id)
    )


_ENQUEUE: Final = Prepared.per_dialect(_enqueueing)


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
) -> int | None:
    """Queue one Bot API call to `chat_id`; its row's id, None when `dedupe_key` was queued
    before. One statement (no row object is loaded: no caller needs one).

    The session notes that it queued something (`queued_messages`): the update's turn wakes
    the outbox sender after its commit only then, not after every write.

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
    values = {
        "chat_id": chat_id,
        "method": method,
        "payload": payload,
        "ref_kind": ref_kind,
        "ref_id": ref_id,
        "dedupe_key": dedupe_key,
        "priority": priority,
        "status": QUEUED,
        "attempts": 0,
        "not_before": not_before,
        "created_at": now,
    }
    new_id = await _ENQUEUE.scalar(session, **values)
    if new_id is not None:
        session.info[QUEUED_MESSAGES] = True
    return new_id


class _Original(NamedTuple):
    """What an edit needs of the row it edits."""

    id: int
    chat_id: int
    method: str
    payload: dict[str, Any]
    edits_delivery_id: int | None
    ref_kind: str | None
    ref_id: int | None
    priority: int
    status: str


#: That row, locked (built once: bench/registration.py).
_LOCKED: Final = Prepared(
    select(*(getattr(Delivery, field) for field in _Original._fields))
    .where(Delivery.id == bindparam("delivery_id"))
    .with_for_update()
)
#: The payload of a message not sent yet, rewritten (if it is still queued).
_REWRITE: Final = Prepared(
    update(Delivery)
    .where(Delivery.id == bindparam("delivery_id"), Delivery.status == QUEUED)
    .values(payload=bindparam("new_payload", type_=Delivery.__table__.c.payload.type))
)
#: A queued edit of the message, overwritten by the newer one (only the latest matters).
_OVERWRITE_EDIT: Final = Prepared(
    update(Delivery)
    .where(
        Delivery.edits_delivery_id == bindparam("original"),
        Delivery.method == "editMessageText",
        Delivery.status == QUEUED,
    )
    .values(payload=bindparam("new_payload", type_=Delivery.__table__.c.payload.type))
    .returning(Delivery.id)
)
_EDIT: Final = Prepared(
    insert(Delivery)
    .values(
        {
            "method": "editMessageText",
            "status": QUEUED,
            "attempts": 0,
            **{
                column: bindparam(f"v_{column}")
                for column in (
                    "chat_id", "payload", "edits_delivery_id", "ref_kind", "ref_id",
                    "priority", "not_before", "created_at",
                )
            },
        }
    )
    .returning(Delivery.id)
)  # fmt: skip


async def _locked(session: AsyncSession, delivery_id: int) -> _Original | None:
    """The row as it is now (columns, not an object: nothing stale from the session, no
    object to load), locked on PostgreSQL until the transaction ends. SQLite ignores FOR
    UPDATE; its write transaction (BEGIN IMMEDIATE) is exclusive anyway.
    """
    row = await _LOCKED.first(session, delivery_id=delivery_id)
    return _Original(*row) if row is not None else None


async def enqueue_edit(
    session: AsyncSession,
    *,
    original_id: int,
    payload: dict[str, Any],
    now: datetime,
    not_before: datetime | None = None,
) -> int | None:
    """Change the text (and buttons) of the message delivery `original_id` sends or sent.

    Returns the id of the editMessageText row that will carry the change, or None when no row is
    needed: the original is still queued (its payload is rewritten, so the person gets one
    message with the final text and no edit call is spent), or it will never be sent
    (failed, unreachable, cancelled: there is nothing to edit). Only the latest edit
    matters, so a still-queued edit of the same original is overwritten rather than
    followed by a second one. The edit waits behind its original by the per-chat order.

    `not_before` (on the sender's real clock, like every not_before) holds a new edit back
    so later changes fold into it; an edit already queued keeps its own time.
    """
    if "chat_id" in payload or "message_id" in payload:
        raise ValueError("chat_id and message_id come from the original delivery")
    session.info[QUEUED_MESSAGES] = True  # see enqueue
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
        if await _REWRITE.count(session, delivery_id=original.id, new_payload=rewritten) == 1:
            return None
        # Claimed in between (PostgreSQL only): queue a real edit below.
        original = await _locked(session, original.id)
        assert original is not None
    if original.status in (FAILED, UNREACHABLE, CANCELLED):
        return None

    # Sending or sent (or a queued copyMessage, whose text cannot be rewritten): edit it.
    pending = await _OVERWRITE_EDIT.scalar(session, original=original.id, new_payload=payload)
    if pending is not None:
        return int(pending)
    edit_id = await _EDIT.scalar(
        session,
        v_chat_id=original.chat_id,
        v_payload=payload,
        v_edits_delivery_id=original.id,
        v_ref_kind=original.ref_kind,
        v_ref_id=original.ref_id,
        v_priority=original.priority,
        v_not_before=not_before or (None if _NOT_BEFORE_NULLABLE else ASAP),
        v_created_at=now,
    )
    return int(edit_id)


async def deliveries_for(session: AsyncSession, ref_kind: str, ref_id: int) -> list[Delivery]:
    """Every delivery about one thing (e.g. each chair's copy of an application), oldest first."""
    statement = (
        select(Delivery)
        .where(Delivery.ref_kind == ref_kind, Delivery.ref_id == ref_id)
        .order_by(Delivery.id)
    )
    return list((await session.execute(statement)).scalars())


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


async def queued_refs_to(
    session: AsyncSession, chat_id: int, ref_kind: str
) -> list[tuple[int, int]]:
    """One chat's queued rows of one kind, as (delivery id, ref id)."""
    rows = await session.execute(
        select(Delivery.id, Delivery.ref_id).where(
            Delivery.chat_id == chat_id,
            Delivery.ref_kind == ref_kind,
            Delivery.status == QUEUED,
            Delivery.ref_id.is_not(None),
        )
    )
    return [(int(delivery_id), int(ref_id)) for delivery_id, ref_id in rows.all()]


async def cancel_ids(session: AsyncSession, delivery_ids: list[int], reason: str) -> int:
    """Cancel these rows while still queued, and their queued edits."""
    if not delivery_ids:
        return 0
    result = await session.execute(
        update(Delivery)
        .where(
            or_(Delivery.id.in_(delivery_ids), Delivery.edits_delivery_id.in_(delivery_ids)),
            Delivery.status == QUEUED,
        )
        .values(status=CANCELLED, error=reason)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


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


async def sent_to(
    session: AsyncSession, chat_id: int, ref_kinds: tuple[str, ...]
) -> list[Delivery]:
    """Messages of these kinds sent (or being sent) to a chat: what it may still show."""
    query = select(Delivery).where(
        Delivery.chat_id == chat_id,
        Delivery.method == "sendMessage",
        Delivery.ref_kind.in_(ref_kinds),
        Delivery.status.in_((SENDING, SENT)),
    )
    return list((await session.scalars(query.order_by(Delivery.id))).all())


async def record_shown(
    session: AsyncSession,
    *,
    chat_id: int,
    message_id: int,
    ref_kind: str,
    now: datetime,
    ref_id: int | None = None,
) -> Delivery:
    """Note a message sent directly (not through the outbox) that shows personal data, as
    a sent row without text, so it can be found and edited later like an outbox message."""
    shown = Delivery(
        chat_id=chat_id,
        method="sendMessage",
        payload={},
        ref_kind=ref_kind,
        ref_id=ref_id,
        status=SENT,
        attempts=1,
        not_before=None if _NOT_BEFORE_NULLABLE else ASAP,
        created_at=now,
        sent_at=now,
        message_id=message_id,
    )
    session.add(shown)
    await session.flush()
    return shown
