"""Bursts: after a rally, applications can reach one chair faster than Telegram delivers to
one chat (about one message a second: 3 000 in Tirana would take 50 minutes as cards).

While a decider's cards queue up, they get one summary message instead, edited as the count
grows, with a button to the pending list (design §3). Once things are quiet for a while
(`QUIET`), each new application comes as its own card again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.callbacks import pack
from domain.i18n import _, format_count, ngettext, use_language
from domain.permissions import Grant, scope_of
from storage import outbox
from storage.applications import APPLICATION_REF, count_pending_in_scope
from storage.deciders import Decider
from storage.roles import active_grants
from usecases.keyboards import inline
from usecases.services import Services

SUMMARY_REF = "burst"
QUIET = timedelta(minutes=30)


def _settled(services: Services) -> datetime:
    """When a new edit of a summary may go: its count is brought up to date at most every
    BURST_SUMMARY_EDIT_SECONDS. Every edit costs one of the bot's ~30 messages a second, and
    at a rally a count edited per application costs nearly a message per registration
    (bench/peak.py). Real time: not_before is on the sender's clock (storage.outbox)."""
    return datetime.now(UTC) + timedelta(seconds=services.settings.burst_summary_edit_seconds)


def summary_text(count: int) -> str:
    return ngettext(
        "📥 {count} application is waiting for your decision.",
        "📥 {count} applications are waiting for your decision. New ones are arriving quickly, "
        "so they are gathered here instead of one message each.",
        count,
    ).format(count=format_count(count))


def _payload(total: int, language: str) -> dict[str, object]:
    with use_language(language):
        return {
            "text": summary_text(total),
            "reply_markup": inline([[(_("Show them"), pack("app", "list"))]]).to_dict(),
        }


async def _pending_for(session: AsyncSession, grants: Sequence[Grant]) -> int:
    return await count_pending_in_scope(session, scope_of(list(grants)))


async def refresh_summary(
    session: AsyncSession, services: Services, decider: Decider, language: str, now: datetime
) -> None:
    """Fold the decider's queued cards into the summary and bring its count up to date.

    What the decider's row says (storage.deciders) spares a statement each: no cards to
    fold when none is queued, and the summary to edit is known.
    """
    if decider.card_queued:
        await outbox.cancel_queued_to(session, decider.telegram_id, APPLICATION_REF)
    payload = _payload(await _pending_for(session, decider.grants), language)
    if decider.summary_id is not None:
        await _edit_summary(session, services, decider.summary_id, payload, now)
        return
    await outbox.enqueue(
        session,
        chat_id=decider.telegram_id,
        method="sendMessage",
        payload=payload,
        now=now,
        ref_kind=SUMMARY_REF,
        ref_id=decider.telegram_id,
        priority=1,
    )


async def _edit_summary(
    session: AsyncSession,
    services: Services,
    summary_id: int,
    payload: dict[str, object],
    now: datetime,
) -> None:
    """The summary shows the new count, in an edit held back so later changes fold in."""
    await outbox.enqueue_edit(
        session, original_id=summary_id, payload=payload, now=now, not_before=_settled(services)
    )


async def recount(
    session: AsyncSession,
    services: Services,
    recipient_ids: set[int],
    languages: dict[int, str],
    now: datetime,
) -> None:
    """After a decision: the summaries these deciders hold show the new count."""
    for recipient_id in sorted(recipient_ids):
        current = await outbox.latest_to(session, recipient_id, SUMMARY_REF, since=now - QUIET)
        if current is not None:
            grants = await active_grants(session, recipient_id)
            payload = _payload(await _pending_for(session, grants), languages[recipient_id])
            await _edit_summary(session, services, current.id, payload, now)
