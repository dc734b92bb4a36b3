"""Bursts: after a rally, applications can reach one chair faster than Telegram delivers to
one chat (about one message a second: 3 000 in Tirana would take 50 minutes as cards).

While a decider's cards queue up, they get one summary message instead, edited as the count
grows, with a button to the pending list (design §3). Once things are quiet for a while
(`QUIET`), each new application comes as its own card again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.callbacks import pack
from domain.i18n import _, format_count, ngettext, use_language
from domain.permissions import scope_of
from storage import outbox
from storage.applications import APPLICATION_REF, pending_in_scope
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


async def folding(session: AsyncSession, recipient_id: int, now: datetime) -> bool:
    """Whether a new application for this decider joins a summary instead of a card:
    a card is still waiting for its turn, or a summary went out recently."""
    if await outbox.has_queued_to(session, recipient_id, APPLICATION_REF):
        return True
    recent = await outbox.latest_to(session, recipient_id, SUMMARY_REF, since=now - QUIET)
    return recent is not None


def summary_text(count: int) -> str:
    return ngettext(
        "📥 {count} application is waiting for your decision.",
        "📥 {count} applications are waiting for your decision. New ones are arriving quickly, "
        "so they are gathered here instead of one message each.",
        count,
    ).format(count=format_count(count))


async def _payload(session: AsyncSession, recipient_id: int, language: str) -> dict[str, object]:
    scope = scope_of(await active_grants(session, recipient_id))
    _page, total = await pending_in_scope(session, scope, limit=0)
    with use_language(language):
        return {
            "text": summary_text(total),
            "reply_markup": inline([[(_("Show them"), pack("app", "list"))]]).to_dict(),
        }


async def refresh_summary(
    session: AsyncSession, services: Services, recipient_id: int, language: str, now: datetime
) -> None:
    """Fold the decider's queued cards into the summary and bring its count up to date."""
    await outbox.cancel_queued_to(session, recipient_id, APPLICATION_REF)
    payload = await _payload(session, recipient_id, language)
    current = await outbox.latest_to(session, recipient_id, SUMMARY_REF, since=now - QUIET)
    if current is not None:
        await outbox.enqueue_edit(
            session, original_id=current.id, payload=payload, now=now, not_before=_settled(services)
        )
        return
    await outbox.enqueue(
        session,
        chat_id=recipient_id,
        method="sendMessage",
        payload=payload,
        now=now,
        ref_kind=SUMMARY_REF,
        ref_id=recipient_id,
        priority=1,
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
            payload = await _payload(session, recipient_id, languages[recipient_id])
            await outbox.enqueue_edit(
                session,
                original_id=current.id,
                payload=payload,
                now=now,
                not_before=_settled(services),
            )
