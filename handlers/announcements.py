"""/njoftim (/announce): the wizard — whom, the message itself, a preview with the count,
Send; /njoftimet (/announcements): the recent ones with their figures; the recipients'
«E lexova» and the sender's Stop (design §4).

Every press is untrusted: the presser's roles are re-read, the target re-checked against
them (`domain.announcements.may_target`), and an announcement id only finds the presser's
own draft (or, to stop or read a report, their own announcement; national staff any).
The wizard's state is the draft row; the wait for the message uses the account's
"typing" slot (`account.correcting`, read by every turn anyway), so other people's
messages cost nothing more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message, Update
from telegram.error import TelegramError

from domain.announcements import (
    DRAFT_LIFETIME,
    Step,
    Target,
    TargetKind,
    may_announce,
    may_target,
    read_send_time,
    read_target,
)
from domain.callbacks import CallbackData, pack, parse
from domain.i18n import _, format_count, format_moment
from domain.permissions import Scope, scope_of
from handlers import announce_texts as texts
from handlers.context import BotContext
from handlers.replies import Reply, answer_press, send_replies
from handlers.turn import current_update, waiting_on_telegram
from storage import announcements as store
from storage import audit
from storage.accounts import ensure_account
from storage.models import Account, Announcement
from storage.reason_waits import acted_since
from storage.roles import active_grants
from storage.turn import correcting_at_turn
from usecases import announcement_texts
from usecases import announcements as usecase
from usecases.keyboards import inline

log = logging.getLogger(__name__)

PREFIX = usecase.PREFIX
#: `account.correcting` while the wizard waits for a typed answer (the message or a time).
TYPING = "announcement"
PAGE = 8
#: Message kinds that can be copied as an announcement.
COPYABLE = ("text", "photo", "document", "video", "animation", "audio", "voice")


def _update_id() -> int | None:
    handling = current_update.get()
    return handling.update_id if handling is not None else None


def _county_of(context: BotContext) -> dict[int, int]:
    return {place.id: place.county_id for place in context.places.values()}


# --- /njoftim ------------------------------------------------------------------------------


async def announce_command(update: Update, context: BotContext) -> None:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    async with context.transaction() as session:
        scope = scope_of(await active_grants(session, user.id))
        now = context.clock.now()
        if not may_announce(scope):
            await audit.record(session, at=now, actor_id=user.id, action="announcement.refused")
            reply = texts.officers_only()
        else:
            await store.start_draft(session, user.id, now)
            await _stop_typing(session, user.id)
            reply = texts.choose_target(scope, context.places)
    await send_replies(context, chat.id, [reply])


async def _start_typing(session: AsyncSession, context: BotContext, telegram_id: int) -> None:
    account = await ensure_account(
        session, telegram_id, context.settings.default_language, context.clock.now()
    )
    account.correcting = TYPING
    account.correcting_since = _update_id()


async def _stop_typing(session: AsyncSession, telegram_id: int) -> bool:
    account = await session.get(Account, telegram_id)
    if account is None or account.correcting != TYPING:
        return False
    account.correcting = None
    account.correcting_since = None
    return True


async def cancel_typing(session: AsyncSession, telegram_id: int) -> bool:
    """/anulo while the wizard waits for the message or a time: the draft is dropped."""
    known, typing = correcting_at_turn(session, telegram_id)
    if known and typing != TYPING:
        return False
    if not await _stop_typing(session, telegram_id):
        return False
    await store.drop_draft(session, telegram_id)
    return True


# --- the message (or a time) typed into the wizard ------------------------------------------


@dataclass
class Composed:
    """What the wizard answers a message with: maybe a copy of it first (the preview)."""

    replies: list[Reply] = field(default_factory=list)
    copy_of: tuple[int, int] | None = None  # (chat, message) to copy back as the preview


async def typed(session: AsyncSession, context: BotContext, update: Update) -> Composed | None:
    """A message the wizard waits for; None when it waits for nothing (the common case,
    decided from the turn's own read without a statement)."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return None
    known, typing = correcting_at_turn(session, user.id)
    if known and typing != TYPING:
        return None
    account = await session.get(Account, user.id)
    if account is None or account.correcting != TYPING:
        return None
    since, update_id = account.correcting_since, _update_id()
    moved_on = (
        since is not None
        and update_id is not None
        and await acted_since(session, user.id, since, update_id)
    )
    if moved_on:
        await _stop_typing(session, user.id)  # they did something else: not an announcement
        return None
    draft = await store.draft_of(session, user.id)
    now = context.clock.now()
    if draft is None or usecase.draft_is_stale(draft, now, DRAFT_LIFETIME):
        await _stop_typing(session, user.id)
        return None
    scope = scope_of(await active_grants(session, user.id))
    target = usecase.target_of(draft)
    if target is None or not may_target(scope, target, _county_of(context)):
        await _stop_typing(session, user.id)
        await store.drop_draft(session, user.id)
        return Composed([texts.officers_only()])
    if draft.step == Step.TIME:
        return await _time_typed(session, context, draft, target, message)
    kind = _kind(message)
    if kind is None:
        account.correcting_since = update_id  # still waiting for the message
        return Composed([texts.message_kind_refused()])
    draft.source_chat_id = message.chat_id
    draft.source_message_id = message.message_id
    draft.content_kind = kind
    draft.step = Step.PREVIEW
    await _stop_typing(session, user.id)
    return Composed(
        [await _preview(session, context, draft, target)], (message.chat_id, message.message_id)
    )


async def _time_typed(
    session: AsyncSession,
    context: BotContext,
    draft: Announcement,
    target: Target,
    message: Message,
) -> Composed:
    read = read_send_time(message.text or "", context.clock.now())
    if read.at is None:
        account = await session.get(Account, draft.sender_id)
        if account is not None:
            account.correcting_since = _update_id()
        return Composed([texts.time_problem(read.problem.value if read.problem else "")])
    draft.send_at = read.at
    draft.step = Step.PREVIEW
    await _stop_typing(session, message.chat_id)
    return Composed([await _preview(session, context, draft, target)])


def _kind(message: Message) -> str | None:
    for kind in COPYABLE:
        if getattr(message, kind, None):
            return kind
    return None


async def _preview(
    session: AsyncSession,
    context: BotContext,
    draft: Announcement,
    target: Target,
    message_id: int | None = None,
) -> Reply:
    reachable, left_out = await store.count_recipients(session, target)
    label = texts.target_short(target, context.places)
    return texts.preview(draft, label, reachable, left_out, message_id)


async def send_composed(context: BotContext, chat_id: int, composed: Composed) -> None:
    """After the commit: the copy as recipients will see it, then the preview."""
    if composed.copy_of is not None:
        try:
            async with waiting_on_telegram():
                await context.bot.copy_message(
                    chat_id=chat_id,
                    from_chat_id=composed.copy_of[0],
                    message_id=composed.copy_of[1],
                )
        except TelegramError as error:
            log.info("announcement preview copy failed (%s)", type(error).__name__)
    await send_replies(context, chat_id, composed.replies)


# --- buttons -------------------------------------------------------------------------------


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    data = query.data or ""
    if data.startswith(f"{PREFIX}:v1:read:"):
        await _acknowledge(update, context)
        return
    press = await answer_press(update, PREFIX)
    async with context.transaction() as session:
        scope = scope_of(await active_grants(session, press.user.id))
        if press.data is None or not may_announce(scope):
            await audit.record(
                session,
                at=context.clock.now(),
                actor_id=press.user.id,
                action="announcement.refused",
                detail={"officer": may_announce(scope)},
            )
            reply = texts.officers_only()
        else:
            reply = await _press(
                session, context, press.user.id, scope, press.data, press.message_id
            )
    if reply is not None:
        await send_replies(context, press.chat_id, [reply])


async def _press(
    session: AsyncSession,
    context: BotContext,
    actor_id: int,
    scope: Scope,
    data: CallbackData,
    message_id: int | None,
) -> Reply | None:
    places = context.places
    action = data.action
    if action == "stop":
        return await _stop(session, context, actor_id, scope, data.int_arg(0))
    if action in ("list", "show"):
        return await _listing(session, context, actor_id, scope, data, message_id)
    draft = await store.draft_of(session, actor_id)
    if action == "cancel":
        await store.drop_draft(session, actor_id)
        await _stop_typing(session, actor_id)
        return texts.cancelled(message_id)
    if draft is None:
        return texts.not_yours()
    if action == "back":
        draft.step = Step.TARGET
        return texts.choose_target(scope, places, message_id)
    if (
        action == "cty"
        and scope.national
        and data.arg(0)
        in (
            TargetKind.COUNTY.value,
            TargetKind.MUNICIPALITY.value,
            TargetKind.COUNTY_CHAIRS.value,
        )
    ):
        return texts.choose_county(data.arg(0) or "", places, message_id)
    if action == "mun":
        county_id = data.int_arg(0)
        if county_id is not None and (scope.national or county_id in scope.county_ids):
            return texts.choose_municipality(county_id, places, message_id)
        return await _refused(session, context, actor_id, data)
    if action == "to":
        target = read_target(data.arg(0), data.int_arg(1) if data.arg(1) is not None else None)
        if target is None or not may_target(scope, target, _county_of(context)):
            return await _refused(session, context, actor_id, data)
        draft.target_kind, draft.target_id = target.kind.value, target.place_id
        draft.step = Step.MESSAGE
        draft.source_chat_id = draft.source_message_id = None
        await _start_typing(session, context, actor_id)
        return texts.ask_message(texts.target_short(target, places), message_id)
    # The preview's buttons: only on the presser's own draft, by its number.
    if data.int_arg(0) != draft.id or draft.step != Step.PREVIEW:
        return texts.not_yours()
    target = usecase.target_of(draft)
    if target is None or not may_target(scope, target, _county_of(context)):
        return await _refused(session, context, actor_id, data)
    if action == "ack":
        draft.ask_ack = not draft.ask_ack
        return await _preview(session, context, draft, target, message_id)
    if action == "now":
        draft.send_at = None
        return await _preview(session, context, draft, target, message_id)
    if action == "later":
        draft.step = Step.TIME
        await _start_typing(session, context, actor_id)
        return texts.ask_time()
    if action == "send":
        return await _send(session, context, draft, target, actor_id, message_id)
    return await _refused(session, context, actor_id, data)


async def _refused(
    session: AsyncSession, context: BotContext, actor_id: int, data: CallbackData
) -> Reply:
    await audit.record(
        session,
        at=context.clock.now(),
        actor_id=actor_id,
        action="announcement.refused",
        detail={"action": data.action[:16]},
    )
    return Reply(_("That target is outside what you may reach."))


async def _send(
    session: AsyncSession,
    context: BotContext,
    draft: Announcement,
    target: Target,
    actor_id: int,
    message_id: int | None,
) -> Reply:
    if draft.source_message_id is None:
        return texts.not_yours()
    total = await usecase.send_or_schedule(session, context.services, draft, actor_id)
    label = texts.target_short(target, context.places)
    if message_id is not None:
        await usecase.show_progress(session, context.services, draft, message_id)
    if total is None:
        return texts.scheduled(draft.id, label, format_moment(draft.send_at), message_id)  # type: ignore[arg-type]
    return texts.sending(draft.id, label, total, message_id)


async def _stop(
    session: AsyncSession,
    context: BotContext,
    actor_id: int,
    scope: Scope,
    announcement_id: int | None,
) -> Reply:
    announcement = None if announcement_id is None else await store.get(session, announcement_id)
    if (
        announcement is None
        or announcement.status not in store.LIVE
        or not (announcement.sender_id == actor_id or scope.national)
    ):
        return Reply(_("This announcement is not running, or not yours to stop."))
    dropped = await usecase.stop(session, context.services, announcement, actor_id)
    return texts.stopping(announcement.id, dropped)


# --- acknowledgements -------------------------------------------------------------------------


async def _acknowledge(update: Update, context: BotContext) -> None:
    """«E lexova»: counted once per person, answered at once with a toast."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    data = parse(query.data, PREFIX)
    announcement_id = data.int_arg(0) if data is not None else None
    async with context.transaction() as session:
        counted = None
        if announcement_id is not None:
            counted = await store.acknowledge(
                session, announcement_id, user.id, context.clock.now()
            )
        if counted is None:
            await audit.record(
                session,
                at=context.clock.now(),
                actor_id=user.id,
                action="announcement.ack_refused",
            )
    text = {
        True: _("Thank you! Your confirmation was noted."),
        False: _("Your confirmation was already noted."),
        None: _("That button is no longer active."),
    }[counted]
    try:
        async with waiting_on_telegram():
            await query.answer(text)
    except TelegramError as error:
        log.info("answering an acknowledgement failed (%s)", type(error).__name__)


# --- /njoftimet ------------------------------------------------------------------------------


async def announcements_command(update: Update, context: BotContext) -> None:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    async with context.transaction() as session:
        scope = scope_of(await active_grants(session, user.id))
        if not may_announce(scope):
            await audit.record(
                session, at=context.clock.now(), actor_id=user.id, action="announcement.refused"
            )
            reply = texts.officers_only()
        else:
            reply = await _page(session, context, user.id, scope, 0, None)
    await send_replies(context, chat.id, [reply])


async def _listing(
    session: AsyncSession,
    context: BotContext,
    actor_id: int,
    scope: Scope,
    data: CallbackData,
    message_id: int | None,
) -> Reply:
    if data.action == "list":
        page = min(max(data.int_arg(0) or 0, 0), 10_000)
        return await _page(session, context, actor_id, scope, page, message_id)
    announcement_id = data.int_arg(0)
    announcement = None if announcement_id is None else await store.get(session, announcement_id)
    if (
        announcement is None
        or announcement.status == store.DRAFT
        or not (scope.national or announcement.sender_id == actor_id)
    ):
        return Reply(_("No such announcement among yours."))
    text = await usecase.report(session, context.services, announcement, usecase.real_now())
    back = inline([[(_("⬅️ Back to the list"), pack(PREFIX, "list", 0))]])
    return Reply(text[:4000], back, message_id)


async def _page(
    session: AsyncSession,
    context: BotContext,
    actor_id: int,
    scope: Scope,
    page: int,
    message_id: int | None,
) -> Reply:
    rows = await store.recent(
        session,
        sender_id=None if scope.national else actor_id,
        limit=PAGE + 1,
        offset=page * PAGE,
    )
    more, rows = len(rows) > PAGE, rows[:PAGE]
    if not rows:
        return Reply(_("No announcements yet. Send one with /njoftim."), None, message_id)
    lines = [_("📣 Recent announcements:")]
    buttons: list[list[tuple[str, str]]] = []
    now = usecase.real_now()
    for announcement in rows:
        target = usecase.target_of(announcement)
        label = announcement_texts.target_label(target, context.places) if target else "?"
        progress = await store.progress(session, announcement, now)
        status = {
            store.SCHEDULED: _("scheduled"),
            store.SENDING_STATUS: _("sending"),
            store.DONE: _("delivered"),
            store.CANCELLED_STATUS: _("stopped"),
        }.get(announcement.status, announcement.status)
        line = _("No. {number}, {day}: {target} — {status}; delivered {sent} of {total}").format(
            number=announcement.id,
            day=format_moment(announcement.created_at),
            target=label,
            status=status,
            sent=format_count(progress.sent),
            total=format_count(progress.total),
        )
        if announcement.ask_ack:
            acked = await store.acknowledged_count(session, announcement.id)
            line += _("; read {n}").format(n=format_count(acked))
        lines.append(line)
        buttons.append(
            [
                (
                    _("No. {number}: report").format(number=announcement.id),
                    pack(PREFIX, "show", announcement.id),
                )
            ]
        )
    nav = []
    if page > 0:
        nav.append((_("⬅️ Newer"), pack(PREFIX, "list", page - 1)))
    if more:
        nav.append((_("Older ➡️"), pack(PREFIX, "list", page + 1)))
    if nav:
        buttons.append(nav)
    return Reply("\n".join(lines), inline(buttons), message_id)
