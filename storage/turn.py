"""What one update needs to know about the person it comes from, read in one query.

Every update read the person's account (their language), then, depending on the handler,
the wait for a rejection's reason and the registration draft: one statement each, three
round trips through the driver and the ORM before anything happened (bench/registration.py:
a registration step was 6 statements in its turn). `read_turn` reads the three rows in one
statement (LEFT JOINs from the actor's id) and leaves what it found in the session, so the
storage functions that ask later are answered without a statement:

- the status of the person's latest entry (`storage.members.standing` answers from it);
- the draft, as the dialogue's `Draft` value (`storage.drafts.load_draft` takes it from
  there, `save_draft` keeps it in step);
- a row that does not exist is remembered as missing (`storage.db.TurnSession`), until the
  session adds or deletes something, after which a lookup asks the database again.

On SQLite it is a prepared SQL string on the transaction's own connection (no ORM loading:
that cost most of a millisecond per update, bench/registration.py --profile); on another
backend the same read goes through the ORM, which also puts the rows in the identity map.

Nothing is kept beyond the transaction: the next update reads again, so another process's
writes (and a draft or a wait changed by another update) are always seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import BigInteger, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.registration.state import Draft
from storage.db import (
    MISSING_ROWS,
    TURN_DRAFTS,
    TURN_STANDINGS,
    sqlite_connection,
    sqlite_result,
    sqlite_run,
)
from storage.drafts import HELD_ROWS, draft_value, draft_value_of
from storage.models import Account, DecisionDraft, Member, RegistrationDraft

_ACTOR = select(bindparam("actor", type_=BigInteger).label("id")).subquery("actor")
_LATEST_STATUS = (
    select(Member.status)
    .where(Member.telegram_id == _ACTOR.c.id)
    .order_by(Member.submitted_at.desc(), Member.id.desc())
    .limit(1)
    .scalar_subquery()
)
_TURN = (
    select(Account, RegistrationDraft, DecisionDraft, _LATEST_STATUS)
    .select_from(_ACTOR)
    .outerjoin(Account, Account.telegram_id == _ACTOR.c.id)
    .outerjoin(RegistrationDraft, RegistrationDraft.telegram_id == _ACTOR.c.id)
    .outerjoin(DecisionDraft, DecisionDraft.telegram_id == _ACTOR.c.id)
)

_SQLITE_TURN: Final = (
    "SELECT a.telegram_id, a.language, a.unreachable_at, a.correcting,"
    " d.telegram_id, d.step, d.full_name, d.birth_date, d.phone_e164, d.phone_verified,"
    " d.municipality_id, d.editing, d.pending, w.telegram_id,"
    " (SELECT m.status FROM member AS m WHERE m.telegram_id = me.id"
    "  ORDER BY m.submitted_at DESC, m.id DESC LIMIT 1)"
    " FROM (SELECT ? AS id) AS me"
    " LEFT JOIN account AS a ON a.telegram_id = me.id"
    " LEFT JOIN registration_draft AS d ON d.telegram_id = me.id"
    " LEFT JOIN decision_draft AS w ON w.telegram_id = me.id"
)
_DRAFT = RegistrationDraft.__table__.c
_BIRTH_DATE = sqlite_result(_DRAFT.birth_date)
_PENDING = sqlite_result(_DRAFT.pending)
_UNREACHABLE = sqlite_result(Account.__table__.c.unreachable_at)


@dataclass(frozen=True)
class Turn:
    """The actor's rows at the start of the update's transaction."""

    language: str | None  # None: no account yet
    unreachable_since: datetime | None
    draft: Draft | None
    waits_for_reason: bool


async def read_turn(session: AsyncSession, telegram_id: int) -> Turn:
    """The actor's account, registration draft and wait for a reason, in one statement."""
    raw = await sqlite_connection(session)
    if raw is None:
        return await _read_turn_orm(session, telegram_id)
    row = sqlite_run(raw, _SQLITE_TURN, (telegram_id,)).fetchone()
    (account_id, language, unreachable, correcting, draft_id, step, full_name, birth_date,
     phone, verified, municipality_id, editing, pending, wait_id, latest) = row  # fmt: skip
    draft = None
    if draft_id is not None:
        draft = draft_value(
            step=step,
            full_name=full_name,
            birth_date=_BIRTH_DATE(birth_date),
            phone_e164=phone,
            phone_verified=verified,
            municipality_id=municipality_id,
            editing=editing,
            pending=_PENDING(pending),
        )
    _remember(session, telegram_id, account_id is None, draft, draft_id is None, wait_id is None)
    session.info.setdefault(TURN_CORRECTING, {})[telegram_id] = correcting
    session.info.setdefault(TURN_STANDINGS, {})[telegram_id] = latest or ""
    return Turn(
        language if account_id is not None else None,
        _UNREACHABLE(unreachable),
        draft,
        wait_id is not None,
    )


async def _read_turn_orm(session: AsyncSession, telegram_id: int) -> Turn:
    account, row, waiting, latest = (await session.execute(_TURN, {"actor": telegram_id})).one()
    # The identity map holds rows weakly: held for the transaction, so lookups find them.
    session.info.setdefault(HELD_ROWS, []).extend(r for r in (account, row, waiting) if r)
    draft = draft_value_of(row) if row is not None else None
    _remember(session, telegram_id, account is None, draft, row is None, waiting is None)
    correcting = account.correcting if account is not None else None
    session.info.setdefault(TURN_CORRECTING, {})[telegram_id] = correcting
    session.info.setdefault(TURN_STANDINGS, {})[telegram_id] = latest or ""
    return Turn(
        account.language if account is not None else None,
        account.unreachable_at if account is not None else None,
        draft,
        waiting is not None,
    )


#: `session.info` key: the field each actor was correcting as the turn began (its read has
#: the account row anyway), so a message with no correction waiting costs no statement.
TURN_CORRECTING: Final = "turn_correcting"


def correcting_at_turn(session: AsyncSession, telegram_id: int) -> tuple[bool, str | None]:
    """(known, field): what the turn's read found, if this transaction read it."""
    known = session.info.get(TURN_CORRECTING)
    if known is None or telegram_id not in known:
        return False, None
    return True, known[telegram_id]


def _remember(
    session: AsyncSession,
    telegram_id: int,
    no_account: bool,
    draft: Draft | None,
    no_draft: bool,
    no_wait: bool,
) -> None:
    missing = session.info.setdefault(MISSING_ROWS, set())
    for kind, absent in (
        (Account, no_account),
        (RegistrationDraft, no_draft),
        (DecisionDraft, no_wait),
    ):
        if absent:
            missing.add((kind, telegram_id))
    session.info.setdefault(TURN_DRAFTS, {})[telegram_id] = draft
