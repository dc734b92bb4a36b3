"""Alerts to national admins (design §8, issue 15): the 2021 leak was a bulk copy nobody
noticed, so reading many records, or being refused again and again (forged buttons,
refused invitations), is told to the admins while it happens.

A periodic check over the audit rather than a test on every read: the per-update path
stays as it is, and any process may run it — the dedupe key (actor, kind, window) lets
one alert through per window however many processes check.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.i18n import _, format_count, use_language
from domain.permissions import RoleKind
from storage import audit, outbox
from storage.accounts import language_of
from storage.audit_queries import heavy_readers, refused_bursts
from storage.roles import holder_name_of, holders
from usecases.services import Services


async def check(services: Services) -> int:
    """Queue the alerts due now; returns how many offenders were found."""
    settings = services.settings
    now = services.clock.now()
    window = timedelta(minutes=settings.alert_window_minutes)
    bucket = int(now.timestamp() // window.total_seconds())
    found = 0
    async with services.database.write() as session:
        readers = await heavy_readers(session, now - window, settings.alert_reads_threshold)
        refused = await refused_bursts(session, now - window, settings.alert_refused_threshold)
        for kind, offenders in (("reads", readers), ("refused", refused)):
            for actor_id, count in offenders:
                found += 1
                await _alert(session, services, kind, actor_id, count, bucket)
    return found


async def _alert(
    session: AsyncSession, services: Services, kind: str, actor_id: int, count: int, bucket: int
) -> None:
    settings = services.settings
    now = services.clock.now()
    who = await holder_name_of(session, actor_id) or _("Telegram user")
    minutes = format_count(int(settings.alert_window_minutes))
    sent = 0
    for admin in sorted({r.telegram_id for r in await holders(session, RoleKind.ADMIN)}):
        if admin == actor_id:
            continue  # an admin is not alerted about themselves; the others are
        with use_language(await language_of(session, admin, settings.default_language)):
            if kind == "reads":
                text = _(
                    "⚠️ {who} (id {id}) has read {count} member records in the last {minutes} "
                    "minutes. If that is not expected, look with /auditimi and consider "
                    "ending the role."
                )
            else:
                text = _(
                    "⚠️ {who} (id {id}) was refused {count} times in the last {minutes} "
                    "minutes (forged buttons, refused invitations or commands). Look with "
                    "/auditimi."
                )
            text = text.format(who=who, id=actor_id, count=format_count(count), minutes=minutes)
        queued = await outbox.enqueue(
            session,
            chat_id=admin,
            method="sendMessage",
            payload={"text": text},
            now=now,
            ref_kind="alert",
            dedupe_key=f"alert:{kind}:{actor_id}:{bucket}:to:{admin}",
            priority=2,
        )
        sent += queued is not None
    if sent:
        await audit.record(
            session,
            at=now,
            actor_id=None,
            action="alert.sent",
            subject_kind="actor",
            subject_id=actor_id,
            detail={"kind": kind, "count": count},
        )
