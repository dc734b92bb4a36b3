"""Reminders and escalation: one digest per person per day, never one message per application.

The JobQueue runs `run_reminders` every few minutes; it is idempotent (a `reminder_log` row
per person and Tirana day, and a dedupe key on the digest), so running it again, or from
two processes, queues nothing twice. Thresholds come from the settings (48 h to remind the
chairs, 5 days to add the county coordinator, 10 days to add national staff); the rules
themselves are the pure `domain.escalation.levels_due`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.escalation import Level, Thresholds, levels_due
from domain.i18n import TIMEZONE, _, format_count, format_day, ngettext, use_language
from domain.permissions import RoleKind
from domain.places import Place
from storage import outbox
from storage.applications import copies_held, pending_older_than
from storage.models import Member, ReminderLog
from storage.roles import list_roles
from usecases.notifications import language_of
from usecases.services import Services

log = logging.getLogger(__name__)


def thresholds(services: Services) -> Thresholds:
    settings = services.settings
    return Thresholds(
        remind_chair=timedelta(hours=settings.remind_after_hours),
        to_coordinator=timedelta(hours=settings.escalate_coordinator_after_hours),
        to_admin=timedelta(hours=settings.escalate_admin_after_hours),
    )


@dataclass(frozen=True)
class Due:
    """An application in someone's digest; `escalated` when it reached them because its
    municipality's chair did not decide it in time, or there is no chair to decide it."""

    member: Member
    escalated: bool
    has_chair: bool


async def _recipients(
    session: AsyncSession, services: Services, members: list[Member], now: datetime
) -> dict[int, list[Due]]:
    """Each person to remind, with the applications they should hear about.

    Roles are read once per run (not per application), so a backlog of thousands costs
    three queries. A person who received an application's card (a coordinator or admin
    standing in for a missing chair) is reminded of it like a chair, after the first
    threshold, not on the day the card arrived. Nobody is reminded of their own application.
    """
    limits = thresholds(services)
    chairs: dict[int, set[int]] = defaultdict(set)
    coordinators: dict[int, set[int]] = defaultdict(set)
    admins: set[int] = set()
    for role in await list_roles(session):
        if role.kind == RoleKind.CHAIR.value and role.municipality_id is not None:
            chairs[role.municipality_id].add(role.telegram_id)
        elif role.kind == RoleKind.COORDINATOR.value and role.county_id is not None:
            coordinators[role.county_id].add(role.telegram_id)
        elif role.kind == RoleKind.ADMIN.value:
            admins.add(role.telegram_id)
    held = await copies_held(session, [m.id for m in members])
    digest: dict[int, list[Due]] = defaultdict(list)
    for member in members:
        county_id = services.places[member.municipality_id].county_id
        waited = now - member.submitted_at
        local_chairs = chairs[member.municipality_id] - {member.telegram_id}
        local_coordinators = coordinators[county_id] - {member.telegram_id}
        due = levels_due(
            waited,
            limits,
            has_chair=bool(local_chairs),
            has_coordinator=bool(local_coordinators),
        )
        people: set[int] = set()
        if Level.CHAIR in due:
            people |= local_chairs
        if Level.COORDINATOR in due:
            people |= local_coordinators
        if Level.ADMIN in due:
            people |= admins
        people.discard(member.telegram_id)
        if waited < limits.remind_chair:
            people = {p for p in people if (member.id, p) not in held}
        for telegram_id in people:
            digest[telegram_id].append(
                Due(member, telegram_id not in local_chairs, bool(local_chairs))
            )
    return digest


def digest_text(due: list[Due], places: dict[int, Place], now: datetime) -> str:
    """The day's digest: how many wait and since when; for what was escalated, from which
    municipalities and for how long, so a coordinator knows it is not their usual work."""
    members = [d.member for d in due]
    oldest = min(m.submitted_at for m in members)
    count = len(members)
    lines = [
        ngettext(
            "⏰ {count} application is waiting for your decision, since {date}.",
            "⏰ {count} applications are waiting for your decision, the oldest since {date}.",
            count,
        ).format(
            count=format_count(count),
            date=format_day(oldest.astimezone(ZoneInfo(TIMEZONE)).date()),
        )
    ]
    escalated: dict[int, list[Due]] = defaultdict(list)
    for item in due:
        if item.escalated:
            escalated[item.member.municipality_id].append(item)
    if escalated:
        lines.append(_("⏫ Escalated to you:"))
    for municipality_id, items in sorted(escalated.items(), key=lambda i: places[i[0]].name):
        values = {
            "municipality": places[municipality_id].name,
            "count": format_count(len(items)),
            "duration": waited_for(now - min(i.member.submitted_at for i in items)),
        }
        if items[0].has_chair:
            line = _("• {municipality}: {count}, waiting for {duration} for the branch chair")
        else:
            line = _("• {municipality} (no branch chair yet): {count}, waiting for {duration}")
        lines.append(line.format(**values))
    lines.append(_("/pending shows them with their buttons."))
    return "\n".join(lines)


def waited_for(duration: timedelta) -> str:
    """ "3 days", or "less than a day"."""
    days = duration.days
    if days < 1:
        return _("less than a day")
    return ngettext("{count} day", "{count} days", days).format(count=format_count(days))


async def run_reminders(services: Services, *, today: date | None = None) -> int:
    """Queue today's digests; returns how many were queued. Safe to run as often as wanted."""
    now = services.clock.now()
    # "One per day" is the organisation's day, in Tirana.
    day = today or now.astimezone(ZoneInfo(TIMEZONE)).date()
    queued = 0
    async with services.database.write() as session:
        # Every pending application: levels_due drops those not yet due anywhere (except
        # municipalities without a chair, which are due at once).
        candidates = await pending_older_than(session, now)
        digest = await _recipients(session, services, candidates, now)
        for telegram_id, members in sorted(digest.items()):
            try:
                async with session.begin_nested():
                    session.add(
                        ReminderLog(
                            telegram_id=telegram_id,
                            day=day,
                            application_count=len(members),
                            created_at=now,
                        )
                    )
                    await session.flush()
            except IntegrityError:
                continue  # already reminded today
            with use_language(await language_of(session, services, telegram_id)):
                text = digest_text(members, services.places, now)
            await outbox.enqueue(
                session,
                chat_id=telegram_id,
                method="sendMessage",
                payload={"text": text},
                now=now,
                ref_kind="digest",
                dedupe_key=f"digest:{telegram_id}:{day.isoformat()}",
            )
            queued += 1
    if queued:
        services.wake_outbox()
    log.info("queued %d reminder digests", queued)
    return queued
