"""Registration drafts: the member's current step and answers, one row per Telegram user.

The dialogue (domain/registration) works on `Draft` values; `load_draft` and `save_draft`
map them to and from the row, so no one else changes its columns.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from domain.privacy import NOTICE_VERSION
from domain.registration.state import Draft, parse_step
from storage.db import TURN_DRAFTS, sqlite_bind, sqlite_connection, sqlite_run
from storage.models import Consent, Member, RegistrationDraft
from storage.prepared import Prepared

#: `session.info` key: rows held for the transaction, so the identity map keeps them.
HELD_ROWS: Final = "held_rows"
_C = RegistrationDraft.__table__.c
_SQLITE_SAVE: Final = (
    "UPDATE registration_draft SET step = COALESCE(?, step), full_name = ?, birth_date = ?,"
    " phone_e164 = ?, phone_verified = ?, municipality_id = ?, editing = ?, pending = ?,"
    " updated_at = ? WHERE telegram_id = ?"
)


async def get_draft(session: AsyncSession, telegram_id: int) -> RegistrationDraft | None:
    row = await session.get(RegistrationDraft, telegram_id)
    if row is not None:
        # The identity map holds rows weakly: once the dialogue has its `Draft` value the row
        # would be collected and `save_draft` would read it again. Held for the transaction
        # (measured: one SELECT fewer on every registration step, bench/registration.py).
        session.info.setdefault(HELD_ROWS, []).append(row)
    return row


async def load_draft(session: AsyncSession, telegram_id: int) -> Draft | None:
    """The registration in progress, as the dialogue sees it.

    Usually as the turn's one read found it (storage/turn.py), without a statement.
    """
    known = session.info.get(TURN_DRAFTS)
    if known is not None and telegram_id in known:
        return known[telegram_id]  # type: ignore[no-any-return]
    row = await get_draft(session, telegram_id)
    return draft_value_of(row) if row is not None else None


def draft_value_of(row: RegistrationDraft) -> Draft:
    return draft_value(
        step=row.step,
        full_name=row.full_name,
        birth_date=row.birth_date,
        phone_e164=row.phone_e164,
        phone_verified=row.phone_verified,
        municipality_id=row.municipality_id,
        editing=row.editing,
        pending=row.pending,
    )


def draft_value(
    *,
    step: str,
    full_name: str | None,
    birth_date: date | None,
    phone_e164: str | None,
    phone_verified: object,
    municipality_id: int | None,
    editing: object,
    pending: object,
) -> Draft:
    """The row's columns as the dialogue's `Draft` (the one place that maps them)."""
    answers = pending if isinstance(pending, dict) else {}
    phone = answers.get("phone")
    offered = answers.get("offered")
    typed = answers.get("typed")
    return Draft(
        step=parse_step(step),
        full_name=full_name,
        birth_date=birth_date,
        phone_e164=phone_e164,
        phone_verified=bool(phone_verified),
        municipality_id=municipality_id,
        editing=bool(editing),
        pending_phone=str(phone) if phone else None,
        offered=tuple(int(i) for i in offered) if isinstance(offered, list) else (),
        typed_numbers=typed if isinstance(typed, int) else 0,
    )


async def save_draft(session: AsyncSession, telegram_id: int, draft: Draft, now: datetime) -> None:
    """Write the dialogue's draft into the existing row (opened by `start_draft`)."""
    raw = await sqlite_connection(session)
    if raw is not None and identity_key(RegistrationDraft, telegram_id) not in (
        session.identity_map
    ):
        # The row is not in the session (the turn read it as values): one prepared UPDATE.
        values = (
            draft.step.value if draft.step is not None else None,
            draft.full_name,
            sqlite_bind(_C.birth_date)(draft.birth_date),
            draft.phone_e164,
            sqlite_bind(_C.phone_verified)(draft.phone_verified),
            draft.municipality_id,
            sqlite_bind(_C.editing)(draft.editing),
            sqlite_bind(_C.pending)(_pending(draft)),
            sqlite_bind(_C.updated_at)(now),
            telegram_id,
        )
        if sqlite_run(raw, _SQLITE_SAVE, values).rowcount != 1:
            raise LookupError(f"no registration draft to save for {telegram_id}")
        session.info.setdefault(TURN_DRAFTS, {})[telegram_id] = draft
        return
    row = await get_draft(session, telegram_id)
    if row is None:
        raise LookupError(f"no registration draft to save for {telegram_id}")
    session.info.setdefault(TURN_DRAFTS, {})[telegram_id] = draft
    if draft.step is not None:  # an unknown stored step is kept as it was
        row.step = draft.step.value
    row.full_name = draft.full_name
    row.birth_date = draft.birth_date
    row.phone_e164 = draft.phone_e164
    row.phone_verified = draft.phone_verified
    row.municipality_id = draft.municipality_id
    row.editing = draft.editing
    row.pending = _pending(draft)
    row.updated_at = now


def _pending(draft: Draft) -> dict[str, Any] | None:
    """What waits for a yes/no, and the count of typed numbers, in the row's JSON (its
    shape predates `Draft`)."""
    pending: dict[str, Any] = {"typed": draft.typed_numbers} if draft.typed_numbers else {}
    if draft.pending_phone:
        pending["phone"] = draft.pending_phone
    elif draft.offered:
        pending["offered"] = list(draft.offered)
    return pending or None


async def start_draft(
    session: AsyncSession,
    telegram_id: int,
    language: str,
    first_step: str,
    now: datetime,
    *,
    municipality_id: int | None = None,
) -> int | None:
    """Record consent and open a draft; the consent's id. An existing draft is kept
    (consent pressed twice): its consent's id.

    `municipality_id` is an enrolment link's municipality, already answered. Two INSERTs,
    not the unit of work's flushes (measured: they were most of a consent's CPU).
    """
    draft = await session.get(RegistrationDraft, telegram_id)  # the turn knows: no query
    if draft is not None:
        return draft.consent_id
    consent_id = await _CONSENT.scalar(
        session,
        telegram_id=telegram_id,
        notice_version=NOTICE_VERSION,
        language=language,
        now=now,
    )
    await _OPEN_DRAFT.run(
        session,
        telegram_id=telegram_id,
        step=first_step,
        consent_id=consent_id,
        municipality_id=municipality_id,
        now=now,
    )
    return int(consent_id)


_CONSENT = Prepared(
    insert(Consent)
    .values(
        telegram_id=bindparam("telegram_id"),
        notice_version=bindparam("notice_version"),
        language=bindparam("language"),
        given_at=bindparam("now"),
    )
    .returning(Consent.id)
)
_OPEN_DRAFT = Prepared(
    insert(RegistrationDraft).values(
        telegram_id=bindparam("telegram_id"),
        step=bindparam("step"),
        consent_id=bindparam("consent_id"),
        municipality_id=bindparam("municipality_id"),
        created_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
)


#: Set in `session.info` by a session that erased personal data: once committed, the
#: database's write-ahead log is emptied too (`Database.checkpoint`).
ERASED_PERSONAL_DATA = "erased_personal_data"


async def drop_submitted_draft(session: AsyncSession, telegram_id: int) -> None:
    """Delete the draft that just became an entry (its consent stays: the entry rests on it).

    One DELETE; the session forgets the row, and the turn's read knows it is gone.
    """
    await _DROP_DRAFT.run(session, telegram_id=telegram_id)
    session.info.setdefault(TURN_DRAFTS, {})[telegram_id] = None


_DROP_DRAFT = Prepared(
    delete(RegistrationDraft).where(RegistrationDraft.telegram_id == bindparam("telegram_id"))
)


async def discard_draft(session: AsyncSession, telegram_id: int) -> bool:
    """Delete the draft and the consent it rested on (nothing of the person remains).

    A consent that an entry of the register still refers to is kept.
    """
    draft = await session.get(RegistrationDraft, telegram_id)
    if draft is None:
        return False
    consent_id = draft.consent_id
    session.info[ERASED_PERSONAL_DATA] = True  # the turn checkpoints after its commit
    await session.delete(draft)
    await session.flush()
    if consent_id is not None:
        used = await session.scalar(
            select(Member.id).where(Member.consent_id == consent_id).limit(1)
        )
        if used is None:
            await session.execute(delete(Consent).where(Consent.id == consent_id))
    return True
