"""Announcements from Send to the report (design §4): launching, the progress message, the
report, stopping, and the recipients' «E lexova».

Delivery itself is the outbox's: on launch every recipient gets one queued copyMessage row
(priority below every reply and card), and the sender loop delivers them at Telegram's
limits, marks the blocked unreachable, retries the rest and survives restarts. What is
here is driven by the database only, by a job every few seconds (`tick`), so a restart or a
second process continues any announcement where it stood.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.announcements import PROGRESS_EVERY, Target, read_target
from domain.callbacks import pack
from domain.i18n import _, format_moment, use_language
from storage import announcements as store
from storage import audit, outbox
from storage.accounts import language_of
from storage.models import Announcement
from usecases import announcement_texts as texts
from usecases.keyboards import inline
from usecases.services import Services

log = logging.getLogger(__name__)

PREFIX = "ann"
PROGRESS_REF = "announcement_progress"
REPORT_REF = "announcement_report"
LANGUAGES = ("sq", "en")


def real_now() -> datetime:
    """Rates and durations are about Telegram's real pace, not the business clock."""
    return datetime.now(UTC)


def target_of(announcement: Announcement) -> Target | None:
    return read_target(announcement.target_kind, announcement.target_id)


def copy_payloads(announcement: Announcement, services: Services) -> dict[str, dict[str, Any]]:
    """The copyMessage parameters per recipient language (only the button's label differs)."""
    payloads = {}
    for language in LANGUAGES:
        if announcement.source_chat_id is not None:
            payload: dict[str, Any] = {
                "from_chat_id": announcement.source_chat_id,
                "message_id": announcement.source_message_id,
            }
        else:
            payload = {}
        if announcement.ask_ack:
            with use_language(language):
                payload["reply_markup"] = inline(
                    [[(_("✅ I've read it"), pack(PREFIX, "read", announcement.id))]]
                ).to_dict()
        if services.settings.allow_paid_broadcast:
            payload["allow_paid_broadcast"] = True
        payloads[language] = payload
    return payloads


async def launch(
    session: AsyncSession,
    services: Services,
    announcement: Announcement,
    *,
    payloads: dict[str, dict[str, Any]] | None = None,
    text: str | None = None,
    parse_mode: str | None = None,
) -> int:
    """Queue one copy per recipient now, in this transaction; returns how many.

    `text`: a message typed on the server (`regjistri announce`), sent as sendMessage
    rather than copied from a chat.
    """
    target = target_of(announcement)
    assert target is not None, "a launched announcement has a target"
    now = services.clock.now()
    bodies = payloads or copy_payloads(announcement, services)
    if text is not None:
        extra = {"text": text} | ({"parse_mode": parse_mode} if parse_mode else {})
        bodies = {language: body | extra for language, body in bodies.items()}
    total = await store.launch(
        session,
        announcement,
        target,
        bodies,
        default_language=services.settings.default_language,
        now=now,
        not_before=None,
        method="copyMessage" if text is None else "sendMessage",
    )
    announcement.status = store.SENDING_STATUS
    announcement.started_at = real_now()
    await audit.record(
        session,
        at=now,
        actor_id=announcement.sender_id,
        action="announcement.launched",
        subject_kind="announcement",
        subject_id=announcement.id,
        detail={"target": str(target), "recipients": total, "ack": announcement.ask_ack},
    )
    return total


async def send_or_schedule(
    session: AsyncSession, services: Services, announcement: Announcement, actor_id: int
) -> int | None:
    """Send pressed: launch now, or keep it for its time (the job launches it then).

    Returns the recipients queued now, None when it was scheduled.
    """
    now = services.clock.now()
    await record_sent(session, announcement, actor_id, now)
    announcement.step = "sent"
    if announcement.send_at is not None and announcement.send_at > now:
        announcement.status = store.SCHEDULED
        return None
    return await launch(session, services, announcement)


async def record_sent(
    session: AsyncSession,
    announcement: Announcement,
    actor_id: int | None,
    now: datetime,
    via: str | None = None,
) -> None:
    """Who sent what to whom, in the audit (ids and the target only, never the text)."""
    detail: dict[str, Any] = {"target": str(target_of(announcement)), "ack": announcement.ask_ack}
    if via is not None:
        detail["via"] = via
    await audit.record(
        session,
        at=now,
        actor_id=actor_id,
        action="announcement.sent" if announcement.send_at is None else "announcement.scheduled",
        subject_kind="announcement",
        subject_id=announcement.id,
        detail=detail,
    )


def progress_markup(announcement_id: int) -> dict[str, Any]:
    return inline([[(_("⏹ Stop sending"), pack(PREFIX, "stop", announcement_id))]]).to_dict()


async def show_progress(
    session: AsyncSession, services: Services, announcement: Announcement, message_id: int
) -> None:
    """Remember the message the sender watches (edited by `tick`, through the outbox)."""
    assert announcement.sender_id is not None
    shown = await outbox.record_shown(
        session,
        chat_id=announcement.sender_id,
        message_id=message_id,
        ref_kind=PROGRESS_REF,
        ref_id=announcement.id,
        now=services.clock.now(),
    )
    announcement.progress_delivery_id = shown.id
    announcement.progress_shown_at = real_now()


async def stop(
    session: AsyncSession, services: Services, announcement: Announcement, actor_id: int
) -> int:
    """Stop what is not sent yet; the report follows once the copies in flight are done."""
    dropped = await store.cancel_rest(session, announcement, actor_id)
    await audit.record(
        session,
        at=services.clock.now(),
        actor_id=actor_id,
        action="announcement.stopped",
        subject_kind="announcement",
        subject_id=announcement.id,
        detail={"not_sent": dropped},
    )
    return dropped


# --- the job ----------------------------------------------------------------------------------


async def tick(services: Services) -> int:
    """Launch what is due, edit progress messages, finish and report; returns the number of
    announcements still live. Each announcement in its own short transaction."""
    async with services.database.read() as session:
        ids = [a.id for a in await store.live(session)]
    still = 0
    for announcement_id in ids:
        async with services.database.write() as session:
            announcement = await store.get(session, announcement_id)
            if announcement is None:
                continue
            if await _advance(session, services, announcement):
                still += 1
            queued = bool(session.info.get(outbox.QUEUED_MESSAGES))
        if queued:
            services.wake_outbox()
    return still


async def _advance(session: AsyncSession, services: Services, announcement: Announcement) -> bool:
    """One announcement one step on; False once it is finished and reported."""
    now = real_now()
    if announcement.status == store.SCHEDULED:
        send_at = announcement.send_at
        if send_at is not None and send_at > services.clock.now():
            return True
        await launch(session, services, announcement)
        await _edit_progress(session, services, announcement, now, force=True)
        return True
    progress = await store.progress(session, announcement, now)
    if not progress.done:
        # Still sending; or stopped with copies on their way: report once they land.
        if announcement.status == store.SENDING_STATUS:
            await _edit_progress(session, services, announcement, now)
        return True
    await _finish(session, services, announcement, now)
    return False


async def _sender_language(session: AsyncSession, services: Services, sender: int) -> str:
    return await language_of(session, sender, services.settings.default_language)


async def _edit_progress(
    session: AsyncSession,
    services: Services,
    announcement: Announcement,
    now: datetime,
    *,
    force: bool = False,
) -> None:
    """Edit the sender's progress message, at most every PROGRESS_EVERY: each edit counts
    toward Telegram's limits like a message."""
    if announcement.progress_delivery_id is None or announcement.sender_id is None:
        return
    shown = announcement.progress_shown_at
    if not force and shown is not None and now - shown < PROGRESS_EVERY:
        return
    target = target_of(announcement)
    if target is None:
        return
    progress = await store.progress(session, announcement, now)
    language = await _sender_language(session, services, announcement.sender_id)
    with use_language(language):
        label = texts.target_label(target, services.places)
        payload = {
            "text": texts.progress_text(announcement.id, label, progress),
            "reply_markup": progress_markup(announcement.id),
        }
    await outbox.enqueue_edit(
        session, original_id=announcement.progress_delivery_id, payload=payload, now=now
    )
    announcement.progress_shown_at = now


async def report(
    session: AsyncSession, services: Services, announcement: Announcement, now: datetime
) -> str:
    """The report in the current language (the caller picks it)."""
    target = target_of(announcement)
    progress = await store.progress(session, announcement, announcement.finished_at or now)
    label = texts.target_label(target, services.places) if target else "?"
    acknowledged = (
        await store.acknowledged_count(session, announcement.id) if announcement.ask_ack else None
    )
    text = texts.report_text(
        announcement.id,
        label,
        progress,
        cancelled=announcement.status == store.CANCELLED_STATUS,
        reasons=await store.failure_reasons(session, announcement.id),
        acknowledged=acknowledged,
        left_out=announcement.unreachable,
    )
    if announcement.ask_ack:
        figures = await store.figures_by_place(session, announcement.id)
        text += "\n\n" + texts.acknowledgements_text(figures, services.places)
    return text


async def _finish(
    session: AsyncSession, services: Services, announcement: Announcement, now: datetime
) -> None:
    if announcement.status == store.SENDING_STATUS:
        announcement.status = store.DONE
    announcement.finished_at = now
    progress = await store.progress(session, announcement, now)
    await audit.record(
        session,
        at=services.clock.now(),
        actor_id=announcement.sender_id,
        action="announcement.finished",
        subject_kind="announcement",
        subject_id=announcement.id,
        detail={
            "delivered": progress.sent,
            "unreachable": progress.unreachable,
            "failed": progress.failed,
            "not_sent": progress.cancelled,
        },
    )
    sender = announcement.sender_id
    if sender is None:
        return  # the CLI prints its own report
    language = await _sender_language(session, services, sender)
    with use_language(language):
        target = target_of(announcement)
        label = texts.target_label(target, services.places) if target else "?"
        final = texts.progress_text(announcement.id, label, progress)
        text = await report(session, services, announcement, now)
    if announcement.progress_delivery_id is not None:
        await outbox.enqueue_edit(
            session,
            original_id=announcement.progress_delivery_id,
            payload={"text": final},
            now=now,
        )
    await outbox.enqueue(
        session,
        chat_id=sender,
        method="sendMessage",
        payload={"text": text},
        now=services.clock.now(),
        ref_kind=REPORT_REF,
        ref_id=announcement.id,
        dedupe_key=f"announcement-report:{announcement.id}",
        priority=1,
    )


def scheduled_for(announcement: Announcement) -> str:
    assert announcement.send_at is not None
    return format_moment(announcement.send_at)


def draft_is_stale(announcement: Announcement, now: datetime, lifetime: timedelta) -> bool:
    return announcement.created_at < now - lifetime
