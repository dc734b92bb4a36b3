"""What one update needs to know about the person it comes from, read in one query.

Every update read the person's account (their language), then, depending on the handler,
the wait for a rejection's reason and the registration draft: one statement each, three
round trips through the driver and the ORM before anything happened (bench/registration.py:
a registration step was 8 statements). `read_turn` reads the three rows in one statement
(LEFT JOINs from the actor's id) and leaves them in the session, so the storage functions
that ask for them later (`session.get`) are answered without a statement:

- a row that exists is in the session's identity map, held for the transaction (the map
  holds rows weakly);
- a row that does not is remembered as missing (`TurnSession`), until the session adds an
  object, after which a lookup asks the database again.

Nothing is kept beyond the transaction: the next update reads again, so another process's
writes (and a role or a draft changed by another update) are always seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import BigInteger, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.models import Account, DecisionDraft, RegistrationDraft

#: `session.info` key: the (class, primary key) pairs known to be missing in this transaction.
MISSING_ROWS: Final = "missing_rows"
#: `session.info` key: rows read for the transaction, held so the identity map keeps them.
HELD_ROWS: Final = "held_rows"

_ACTOR = select(bindparam("actor", type_=BigInteger).label("id")).subquery("actor")
_TURN = (
    select(Account, RegistrationDraft, DecisionDraft)
    .select_from(_ACTOR)
    .outerjoin(Account, Account.telegram_id == _ACTOR.c.id)
    .outerjoin(RegistrationDraft, RegistrationDraft.telegram_id == _ACTOR.c.id)
    .outerjoin(DecisionDraft, DecisionDraft.telegram_id == _ACTOR.c.id)
)


@dataclass(frozen=True)
class Turn:
    """The actor's rows at the start of the update's transaction (None: there is none)."""

    account: Account | None
    draft: RegistrationDraft | None
    reason_wait: DecisionDraft | None


class TurnSession(Session):
    """A session that answers `get` for rows `read_turn` found missing without a query."""

    def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        missing = self.info.get(MISSING_ROWS)
        if (
            missing
            and (entity, ident) in missing
            # A plain lookup (AsyncSession.get passes its defaults along): not a lock or a
            # refresh, which must ask the database.
            and kwargs.get("with_for_update") is None
            and not kwargs.get("populate_existing")
            and not kwargs.get("options")
        ):
            return None
        return super().get(entity, ident, **kwargs)

    def add(self, instance: object, _warn: bool = True) -> None:
        # A row added may be one found missing: from now on, ask the database.
        self.info.pop(MISSING_ROWS, None)
        super().add(instance, _warn=_warn)

    def merge(self, instance: Any, **kwargs: Any) -> Any:
        self.info.pop(MISSING_ROWS, None)
        return super().merge(instance, **kwargs)


async def read_turn(session: AsyncSession, telegram_id: int) -> Turn:
    """The actor's account, registration draft and wait for a reason, in one statement."""
    row = (await session.execute(_TURN, {"actor": telegram_id})).one()
    account, draft, waiting = row
    held = session.info.setdefault(HELD_ROWS, [])
    missing = session.info.setdefault(MISSING_ROWS, set())
    for kind, found in ((Account, account), (RegistrationDraft, draft), (DecisionDraft, waiting)):
        if found is None:
            missing.add((kind, telegram_id))
        else:
            held.append(found)
    return Turn(account, draft, waiting)
