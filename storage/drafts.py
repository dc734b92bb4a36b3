"""Registration drafts: the member's current step and answers, one row per Telegram user."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Consent, Member, RegistrationDraft

NOTICE_VERSION = "2026-11"


async def get_draft(session: AsyncSession, telegram_id: int) -> RegistrationDraft | None:
    return await session.get(RegistrationDraft, telegram_id)


async def start_draft(
    session: AsyncSession,
    telegram_id: int,
    language: str,
    first_step: str,
    now: datetime,
    *,
    municipality_id: int | None = None,
) -> RegistrationDraft:
    """Record consent and open a draft; an existing draft is kept (consent pressed twice).

    `municipality_id` is an enrolment link's municipality, already answered.
    """
    draft = await session.get(RegistrationDraft, telegram_id)
    if draft is not None:
        return draft
    consent = Consent(
        telegram_id=telegram_id, notice_version=NOTICE_VERSION, language=language, given_at=now
    )
    session.add(consent)
    await session.flush()
    draft = RegistrationDraft(
        telegram_id=telegram_id,
        step=first_step,
        consent_id=consent.id,
        municipality_id=municipality_id,
        created_at=now,
        updated_at=now,
    )
    session.add(draft)
    await session.flush()
    return draft


async def discard_draft(session: AsyncSession, telegram_id: int) -> bool:
    """Delete the draft and the consent it rested on (nothing of the person remains).

    A consent that an entry of the register still refers to is kept.
    """
    draft = await session.get(RegistrationDraft, telegram_id)
    if draft is None:
        return False
    consent_id = draft.consent_id
    await session.delete(draft)
    await session.flush()
    if consent_id is not None:
        used = await session.scalar(
            select(Member.id).where(Member.consent_id == consent_id).limit(1)
        )
        if used is None:
            await session.execute(delete(Consent).where(Consent.id == consent_id))
    return True
