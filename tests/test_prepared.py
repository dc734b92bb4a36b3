"""storage.prepared.Prepared on SQLite and PostgreSQL: the same statement, the same effect.

On SQLite it runs as prepared SQL on the transaction's connection, so what the session's
execution did on the way is done by hand: the columns' Python defaults, the types'
conversions both ways, the autoflush before, and the turn's cache forgotten after a write.
These tests hold each of those to what the session does on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, delete, insert, select, update

from storage.db import Database
from storage.models import Account, Consent, RegistrationDraft
from storage.prepared import Prepared
from storage.turn import read_turn

NOW = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)

_CONSENT = Prepared(
    insert(Consent)
    .values(
        telegram_id=bindparam("telegram_id"),
        notice_version="v-test",  # written into the statement: its default
        language=bindparam("language"),
        given_at=bindparam("now"),
    )
    .returning(Consent.id, Consent.given_at)
)
_DRAFT = Prepared(
    insert(RegistrationDraft).values(
        telegram_id=bindparam("telegram_id"),
        step="name",
        consent_id=bindparam("consent_id"),
        created_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
)
_GIVEN = Prepared(
    select(Consent.given_at, Consent.notice_version).where(Consent.id == bindparam("id"))
)
_RENAME = Prepared(
    update(Account).where(Account.telegram_id == bindparam("account")).values(language="en")
)


async def test_values_defaults_and_types_go_in_and_come_back_as_the_session_would(
    db: Database,
) -> None:
    async with db.write() as session:
        consent_id, given_at = await _CONSENT.first(session, telegram_id=7, language="sq", now=NOW)
        await _DRAFT.run(session, telegram_id=7, consent_id=consent_id, now=NOW)
    assert given_at == NOW  # an aware UTC datetime back, as the column's type gives it
    async with db.read() as session:
        draft = await session.get(RegistrationDraft, 7)
        assert draft is not None
        # Left out of the INSERT: the columns' Python defaults, filled as SQLAlchemy does.
        assert draft.editing is False and draft.phone_verified is False
        assert draft.step == "name" and draft.consent_id == consent_id
        assert await _GIVEN.first(session, id=consent_id) == (NOW, "v-test")
        assert await _GIVEN.first(session, id=consent_id + 1000) is None


async def test_a_missing_value_is_an_error_not_a_null(db: Database) -> None:
    async with db.write() as session:
        with pytest.raises(KeyError, match="language"):
            await _CONSENT.first(session, telegram_id=7, now=NOW)


async def test_pending_changes_are_flushed_before_and_the_turn_forgets_what_it_wrote(
    db: Database,
) -> None:
    async with db.write() as session:
        turn = await read_turn(session, 8)
        assert turn.language is None  # the turn now knows there is no account 8
        session.add(Account(telegram_id=8, language="sq", created_at=NOW))  # pending, unflushed
        await _RENAME.run(session, account=8)  # sees the pending row: autoflush
        account = await session.get(Account, 8, populate_existing=True)
        assert account is not None and account.language == "en"
    async with db.write() as session:
        await read_turn(session, 9)  # no account 9, as far as this turn knows
        await Prepared(
            insert(Account).values(telegram_id=9, language="sq", created_at=bindparam("now"))
        ).run(session, now=NOW)
        # The INSERT went past the session: the turn's "missing" must not hide the row.
        found = await session.get(Account, 9)
        assert found is not None and found.language == "sq"


async def test_an_object_the_session_holds_is_kept_up_to_date_by_an_update(
    db: Database,
) -> None:
    async with db.write() as session:
        session.add(Account(telegram_id=10, language="sq", created_at=NOW))
    async with db.write() as session:
        held = await session.get(Account, 10)
        assert held is not None and held.language == "sq"
        assert await _RENAME.count(session, account=10) == 1
        assert held.language == "en"  # not a stale "sq" from before the UPDATE
        assert await _RENAME.count(session, account=11) == 0
    async with db.write() as session:
        held = await session.get(Account, 10)
        assert held is not None
        await Prepared(delete(Account).where(Account.telegram_id == bindparam("gone"))).run(
            session, gone=10
        )
        assert held not in session  # its row is gone: no longer held as if it were there
        assert await session.get(Account, 10) is None


def test_a_statement_whose_sql_depends_on_its_values_is_refused() -> None:
    with pytest.raises(ValueError, match="depend"):
        Prepared(
            select(Account.telegram_id).where(
                Account.telegram_id.in_(bindparam("ids", expanding=True))
            )
        )
