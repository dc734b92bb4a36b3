"""The retention sweep (design §8, issue 14): run daily by the bot, or once by the CLI.

- Rejected and withdrawn applications: erased `retention_decided_days` after the decision.
- Unfinished registrations: erased `retention_draft_days` after their last answer.
- Finished outbox messages (every chair's card and its edits hold name, birth date and
  phone): their stored text is dropped as soon as they are final.
Everything else — pending and confirmed entries, consent of active members — stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from storage import audit
from storage.drafts import discard_draft
from storage.erasure import erase_entry
from storage.retention import (
    blank_finished_deliveries,
    closed_entries_before,
    drafts_untouched_since,
)
from storage.search import forget_searches_before
from usecases.services import Services


@dataclass(frozen=True)
class Swept:
    entries: int
    drafts: int
    deliveries: int


async def sweep(services: Services) -> Swept:
    settings = services.settings
    now = services.clock.now()
    async with services.database.write() as session:
        entries = await closed_entries_before(
            session, now - timedelta(days=settings.retention_decided_days)
        )
        for entry in entries:
            await audit.record(
                session,
                at=now,
                actor_id=None,
                action="retention.entry_erased",
                subject_kind="member",
                subject_id=entry.id,
                detail={"status": entry.status},
            )
            await erase_entry(session, entry)
        drafts = await drafts_untouched_since(
            session, now - timedelta(days=settings.retention_draft_days)
        )
        for telegram_id in drafts:
            await discard_draft(session, telegram_id)
        if drafts:
            await audit.record(
                session,
                at=now,
                actor_id=None,
                action="retention.drafts_erased",
                detail={"count": len(drafts)},
            )
        blanked = await blank_finished_deliveries(session)
        # What officers typed into /kerko (often names) is kept a day, for its pages.
        await forget_searches_before(session, now - timedelta(days=1))
    if entries or drafts or blanked:
        await services.database.checkpoint()
    return Swept(len(entries), len(drafts), blanked)
