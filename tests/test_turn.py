"""The turn's one read (storage/turn.py) and the prepared statements of the hot path: on
SQLite they run as SQL on the transaction's connection, elsewhere through the ORM; either
way rows read and written must be the same."""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain.registration.state import Draft, Step
from storage import inbox
from storage.accounts import ensure_account, open_account
from storage.db import Database
from storage.drafts import load_draft, save_draft, start_draft
from storage.models import Account, InboxUpdate, RegistrationDraft
from storage.turn import read_turn

NOW = datetime(2026, 11, 20, 9, 30, 15, 123456, tzinfo=UTC)


async def test_a_newcomer_has_nothing_and_what_is_added_is_found(db: Database) -> None:
    async with db.write() as session:
        turn = await read_turn(session, 501)
        assert (turn.language, turn.draft, turn.waits_for_reason) == (None, None, False)
        assert await session.get(Account, 501) is None
        assert await session.get(RegistrationDraft, 501) is None
        assert await load_draft(session, 501) is None
        await ensure_account(session, 501, "en", NOW)
        # Added after the read: found, not remembered as missing.
        assert await session.get(Account, 501) is not None
        await start_draft(session, 501, "en", Step.NAME.value, NOW)
        draft = await load_draft(session, 501)
        assert draft is not None and draft.step is Step.NAME


async def test_a_draft_saved_reads_back_the_same_through_either_path(db: Database) -> None:
    async with db.write() as session:
        await ensure_account(session, 502, "sq", NOW)
        await start_draft(session, 502, "sq", Step.NAME.value, NOW)
    saved = Draft(
        step=Step.MUNICIPALITY,
        full_name="Arbën Hoxha",
        birth_date=date(1980, 3, 5),
        phone_e164="+355692000000",
        phone_verified=True,
        municipality_id=None,
        editing=True,
        pending_phone=None,
        offered=(3, 7),
    )
    async with db.write() as session:
        turn = await read_turn(session, 502)
        assert turn.language == "sq" and turn.draft is not None
        assert turn.draft.step is Step.NAME
        await save_draft(session, 502, saved, NOW)
        assert await load_draft(session, 502) == saved  # the turn's value kept in step
    async with db.read() as session:
        assert (await read_turn(session, 502)).draft == saved
    async with db.read() as session:
        # The ORM sees what the prepared statement wrote, types included.
        row = await session.get(RegistrationDraft, 502)
        assert row is not None
        assert (row.step, row.full_name, row.birth_date, row.phone_verified, row.editing) == (
            "municipality",
            "Arbën Hoxha",
            date(1980, 3, 5),
            True,
            True,
        )
        assert row.pending == {"offered": [3, 7]}
        assert row.updated_at == NOW
        assert await load_draft(session, 502) == saved


async def test_the_inbox_stores_once_and_marks_on_either_path(db: Database) -> None:
    async with db.write() as session:
        fresh = await inbox.store_new(session, [(11, 5, {"a": 1}), (12, 5, {"b": 2})], NOW)
    assert fresh == {11, 12}
    async with db.write() as session:
        fresh = await inbox.store_new(session, [(12, 5, {"b": 2}), (13, None, {})], NOW)
        await inbox.mark_processed(session, [11, 13], NOW)
    assert fresh == {13}
    async with db.read() as session:
        rows = {r.update_id: r for r in await inbox.unprocessed(session)}
        assert set(rows) == {12} and rows[12].payload == {"b": 2}
        marked = await session.get(InboxUpdate, 11)
        assert marked is not None and marked.payload == {} and marked.processed_at == NOW


async def test_rows_written_by_statements_are_not_taken_for_missing(db: Database) -> None:
    """Consent writes the account, the consent and the draft as INSERT statements, not as
    objects: what the turn found missing must be asked again, not answered from memory."""
    async with db.write() as session:
        await read_turn(session, 503)
        assert await session.get(Account, 503) is None
        await open_account(session, 503, "sq", NOW)
        account = await session.get(Account, 503)
        assert account is not None and account.language == "sq"
        await open_account(session, 503, "en", NOW)  # a second press changes nothing
        consent_id = await start_draft(session, 503, "sq", Step.NAME.value, NOW)
        assert await start_draft(session, 503, "sq", Step.NAME.value, NOW) == consent_id
        draft = await load_draft(session, 503)
        assert draft is not None and draft.step is Step.NAME
    async with db.read() as session:
        turn = await read_turn(session, 503)
        assert turn.language == "sq" and turn.draft is not None
