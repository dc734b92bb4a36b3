"""Erasing a person's personal data from every table (design §8, Law 124/2024).

What stays is what the audit needs, without personal data: audit rows (ids only), the
membership counter, and rows about other people. Deleted rows leave no residue in the
file: `secure_delete` is on (storage/db.py) and the turn checkpoints the write-ahead log
after a session that set `ERASED_PERSONAL_DATA` (storage/drafts.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import announcements
from storage.drafts import ERASED_PERSONAL_DATA, discard_draft
from storage.models import (
    Account,
    Consent,
    DecisionDraft,
    Delivery,
    InboxUpdate,
    Member,
    RegistrationDraft,
    ReminderLog,
    Role,
    SavedSearch,
)
from storage.outbox import CANCELLED, QUEUED, SENDING

#: What an erased delivery row keeps of its call: nothing.
ERASED_PAYLOAD: dict[str, object] = {}

#: The outbox ref_kinds whose rows are about one entry of the register (ref_id: member id).
ENTRY_REFS = ("application", "outcome")


async def blank_entry_deliveries(session: AsyncSession, member_id: int) -> None:
    """Queued messages about the entry are cancelled; every finished one loses its text.

    A row being sent right now keeps its payload until it finishes (the sender needs it);
    the daily retention sweep blanks it then.
    """
    await session.execute(
        update(Delivery)
        .where(
            Delivery.ref_kind.in_(ENTRY_REFS),
            Delivery.ref_id == member_id,
            Delivery.status == QUEUED,
        )
        .values(status=CANCELLED, error="erased")
    )
    await session.execute(
        update(Delivery)
        .where(
            Delivery.ref_kind.in_(ENTRY_REFS),
            Delivery.ref_id == member_id,
            Delivery.status != SENDING,
        )
        .values(payload=ERASED_PAYLOAD)
    )


async def erase_entry(session: AsyncSession, member: Member) -> None:
    """Delete one entry of the register and every message about it.

    Its consent goes too unless a draft or another entry still rests on it.
    """
    session.info[ERASED_PERSONAL_DATA] = True
    await blank_entry_deliveries(session, member.id)
    await session.execute(delete(DecisionDraft).where(DecisionDraft.member_id == member.id))
    consent_id = member.consent_id
    await session.delete(member)
    await session.flush()
    if consent_id is not None:
        await _drop_unused_consent(session, consent_id)


async def _drop_unused_consent(session: AsyncSession, consent_id: int) -> None:
    still_member = await session.scalar(
        select(Member.id).where(Member.consent_id == consent_id).limit(1)
    )
    still_draft = await session.scalar(
        select(RegistrationDraft.telegram_id)
        .where(RegistrationDraft.consent_id == consent_id)
        .limit(1)
    )
    if still_member is None and still_draft is None:
        await session.execute(delete(Consent).where(Consent.id == consent_id))


async def erase_account(session: AsyncSession, telegram_id: int, now: datetime) -> None:
    """Everything the register holds about this Telegram account, in every table.

    The caller makes sure the person holds no active role (an officer's grants are
    governance records, revoked first). Revoked grants keep their ids for the audit but
    lose the holder's name.
    """
    session.info[ERASED_PERSONAL_DATA] = True
    entries = (await session.scalars(select(Member).where(Member.telegram_id == telegram_id))).all()
    for entry in entries:
        await erase_entry(session, entry)
    await discard_draft(session, telegram_id)
    await session.execute(delete(Consent).where(Consent.telegram_id == telegram_id))
    # Messages to the person: edits first (they point at the message they change).
    await session.execute(
        delete(Delivery).where(
            Delivery.chat_id == telegram_id, Delivery.edits_delivery_id.is_not(None)
        )
    )
    await session.execute(delete(Delivery).where(Delivery.chat_id == telegram_id))
    # Handled updates keep their id for de-duplication, not whose chat they came from.
    await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.chat_id == telegram_id)
        .values(chat_id=None, payload={})
    )
    await session.execute(delete(ReminderLog).where(ReminderLog.telegram_id == telegram_id))
    await session.execute(delete(SavedSearch).where(SavedSearch.actor_id == telegram_id))
    await announcements.forget_person(session, telegram_id)
    await session.execute(delete(DecisionDraft).where(DecisionDraft.telegram_id == telegram_id))
    await session.execute(
        update(Role)
        .where(Role.telegram_id == telegram_id, Role.revoked_at.is_not(None))
        .values(holder_name=None)
    )
    await session.execute(delete(Account).where(Account.telegram_id == telegram_id))
    await session.flush()
