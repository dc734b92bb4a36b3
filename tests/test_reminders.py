"""Reminders and escalation at their thresholds, moving the ManualClock (never sleeping).

`run_reminders` is what the JobQueue job calls; the tests remove the job and call it
themselves right after moving the clock, so nothing fires behind their back.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from domain.i18n import format_day, ngettext, use_language
from emulator import EmulatedUser
from storage.models import Delivery, Member, ReminderLog, Role
from storage.roles import revoke_role
from tests.harness import ADMIN_ID, BotHarness, said
from tests.test_chair_flow import apply, card, make_officer, stored_applications
from usecases.reminders import run_reminders


def _manual(harness: BotHarness) -> None:
    """Take the periodic job out: the test runs the reminders itself."""
    assert harness.runner is not None and harness.runner.application is not None
    queue = harness.runner.application.job_queue
    assert queue is not None
    (job,) = queue.get_jobs_by_name("reminders")
    assert job.job.trigger.interval == timedelta(minutes=30)  # type: ignore[attr-defined]
    job.schedule_removal()


async def _run(harness: BotHarness) -> int:
    assert harness.runner is not None and harness.runner.application is not None
    queued = await run_reminders(harness.runner.application.services)
    await harness.drain_outbox()
    return queued


def _expected(count: int) -> str:
    """The digest as the catalog renders it in Albanian (all applications of 2 Nov 2026)."""
    with use_language("sq"):
        first = ngettext(
            "⏰ {count} application is waiting for your decision, since {date}.",
            "⏰ {count} applications are waiting for your decision, the oldest since {date}.",
            count,
        ).format(count=count, date=format_day(date(2026, 11, 2)))
    return first + "\n" + said("/pending shows them with their buttons.")


def _digests(user: EmulatedUser) -> list[str]:
    marker = said("/pending shows them with their buttons.")
    return [m.text or "" for m in user.messages if marker in (m.text or "")]


async def _digest_rows(harness: BotHarness) -> list[tuple[int, int]]:
    async with harness.database.read() as session:
        rows = await session.execute(
            select(ReminderLog.telegram_id, ReminderLog.application_count).order_by(ReminderLog.id)
        )
        return [(r.telegram_id, r.application_count) for r in rows]


async def test_chair_then_coordinator_then_admins(harness: BotHarness) -> None:
    _manual(harness)
    admin = harness.user(ADMIN_ID, "Admin")
    chair = await make_officer(harness, 5001, "Besa Kola")
    coordinator = await make_officer(harness, 6001, "Ilir Dervishi", kind="coordinator")
    _, member_id = await apply(harness, 1001)
    copy = await card(chair, member_id)
    start = harness.clock.now()

    def at(hours: float) -> None:
        harness.clock.advance(
            seconds=(start + timedelta(hours=hours) - harness.clock.now()).total_seconds()
        )

    at(47)
    assert await _run(harness) == 0
    at(48.5)  # 48 h: the chairs, once that day
    assert await _run(harness) == 1
    at(49.5)
    assert await _run(harness) == 0
    assert len(_digests(chair)) == 1 and not _digests(coordinator) and not _digests(admin)
    assert _digests(chair) == [_expected(1)]
    at(72.5)  # the next day: again
    assert await _run(harness) == 1
    at(5 * 24 + 1)  # 5 days: the county coordinator joins
    assert await _run(harness) == 2
    assert len(_digests(coordinator)) == 1 and not _digests(admin)
    at(10 * 24 + 1)  # 10 days: national staff join
    assert await _run(harness) == 3
    assert [len(_digests(u)) for u in (chair, coordinator, admin)] == [4, 2, 1]
    rows = await _digest_rows(harness)
    assert sorted(rows[-3:]) == [(5001, 1), (6001, 1), (ADMIN_ID, 1)]

    # Decided: nobody is reminded any more.
    await chair.press(f"app:v1:approve:{member_id}")
    await chair.wait_edit(copy)
    at(11 * 24 + 1)
    assert await _run(harness) == 0


async def test_one_digest_counts_every_waiting_application(harness: BotHarness) -> None:
    _manual(harness)
    chair = await make_officer(harness, 5001, "Besa Kola")
    await stored_applications(harness, 3)
    harness.clock.advance(hours=49)
    assert await _run(harness) == 1
    (digest,) = _digests(chair)
    assert digest == _expected(3)
    assert await _digest_rows(harness) == [(5001, 3)]
    assert await _run(harness) == 0


async def test_no_chair_means_the_card_at_once_and_reminders_after_48_hours(
    harness: BotHarness,
) -> None:
    _manual(harness)
    admin = harness.user(ADMIN_ID, "Admin")
    _, member_id = await apply(harness, 1001, municipality="Pustec")
    await card(admin, member_id)
    # The admin holds the card already: no digest on the same day.
    assert await _run(harness) == 0
    harness.clock.advance(hours=49)
    assert await _run(harness) == 1
    assert len(_digests(admin)) == 1


async def test_a_chair_revoked_after_submission_escalates_at_once(harness: BotHarness) -> None:
    _manual(harness)
    chair = await make_officer(harness, 5001, "Besa Kola")
    coordinator = await make_officer(harness, 6001, "Ilir Dervishi", kind="coordinator")
    _, member_id = await apply(harness, 1001)
    await card(chair, member_id)
    async with harness.database.write() as session:
        role_id = await session.scalar(select(Role.id).where(Role.telegram_id == 5001))
        assert role_id is not None
        await revoke_role(session, role_id, revoked_by=ADMIN_ID, now=harness.clock.now())
    harness.clock.advance(hours=1)
    # Korçë has no chair now: its coordinator, who never got the card, hears at once.
    assert await _run(harness) == 1
    assert len(_digests(coordinator)) == 1 and not _digests(chair)


async def test_nobody_is_reminded_of_their_own_application(harness: BotHarness) -> None:
    _manual(harness)
    harness.user(ADMIN_ID, "Admin")
    chair = await make_officer(harness, 5001, "Besa Kola")
    await apply(harness, 5001, name="Besa Kola")
    harness.clock.advance(days=11)
    assert await _run(harness) == 1  # the admin only
    assert not _digests(chair)
    async with harness.database.read() as session:
        digests = list(
            (await session.scalars(select(Delivery).where(Delivery.ref_kind == "digest"))).all()
        )
        pending = await session.scalar(select(Member.status).where(Member.telegram_id == 5001))
    assert [d.chat_id for d in digests] == [ADMIN_ID] and pending == "pending"


async def test_an_escalated_digest_says_from_where_and_for_how_long(harness: BotHarness) -> None:
    _manual(harness)
    await make_officer(harness, 5001, "Besa Kola")
    coordinator = await make_officer(harness, 6001, "Ilir Dervishi", kind="coordinator")
    _, korce = await apply(harness, 1001)
    _, pustec = await apply(harness, 1002, name="Drita Marku", municipality="Pustec")
    await card(coordinator, pustec)  # no chair in Pustec: the coordinator has it at once
    harness.clock.advance(days=6)
    await _run(harness)
    (digest,) = _digests(coordinator)
    with use_language("sq"):
        days = ngettext("{count} day", "{count} days", 6).format(count=6)
    assert said("⏫ Escalated to you:") in digest
    assert (
        said(
            "• {municipality}: {count}, waiting for {duration} for the branch chair",
            municipality="Korçë",
            count=1,
            duration=days,
        )
        in digest.splitlines()
    )
    assert (
        said(
            "• {municipality} (no branch chair yet): {count}, waiting for {duration}",
            municipality="Pustec",
            count=1,
            duration=days,
        )
        in digest.splitlines()
    )
    # The chair's own digest is the usual one: nothing was escalated to them.
    chair = harness.user(5001)
    assert _digests(chair) == [_expected(1)] and korce != pustec
