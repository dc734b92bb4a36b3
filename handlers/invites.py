"""Roles by invitation: /ftese for admins, deep links that grant a role, revocation.

Every press re-checks that the presser is an admin now (roles are read from the database),
so a revoked admin's old buttons do nothing.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update, User

from domain.callbacks import CallbackData, pack
from domain.decisions import officer_name
from domain.enrolment import municipality_for_payload, start_link
from domain.i18n import _, format_count, format_moment, ngettext
from domain.permissions import RoleKind, can_invite
from handlers import registration
from handlers.commands import set_chat_commands
from handlers.context import BotContext
from handlers.replies import Reply, answer_press, send_replies
from handlers.roles_texts import ROLE_NAMES, describe_role, granted_message
from storage import audit, outbox
from storage.accounts import language_of
from storage.models import Role
from storage.roles import (
    INVITE_PREFIX,
    active_grants,
    active_roles,
    cancel_invite,
    open_invites,
    redeem_invite,
    revoke_role,
    roles_page,
)
from usecases.invites import invite
from usecases.keyboards import inline
from usecases.role_end import role_ended

PREFIX = "inv"
PAGE_SIZE = 10
MAX_PAGE = 10_000
# A role's line in a list: a Telegram name can be 128 characters, the place a few dozen.
MAX_LINE = 90
# A person's command menu to set: (telegram id, language, the kinds of roles they hold).
Menu = tuple[int, str, list[str]]


async def start_with_payload_or_register(update: Update, context: BotContext) -> None:
    """/start inv_…: redeem an invite; any other /start (an enrolment link too) registers."""
    payload = context.args[0] if context.args else ""
    if not payload.startswith(INVITE_PREFIX):
        # An enrolment link's municipality, or a plain /start (an unknown code is one too).
        preset = municipality_for_payload(payload, context.places.values())
        await registration.start(update, context, preset)
        return
    user = update.effective_user
    assert user is not None and update.effective_chat is not None
    now = context.clock.now()
    async with context.transaction() as session:
        result = await redeem_invite(
            session, payload, telegram_id=user.id, now=now, holder_name=officer_name(user.full_name)
        )
        if result.role is None:
            await audit.record(
                session,
                at=now,
                actor_id=user.id,
                action="invite.refused",
                detail={"problem": result.problem},
            )
            reply = Reply(
                _(
                    "This invitation link cannot be used: it has expired, it was used already, "
                    "or it is not valid. Please ask for a new one."
                )
            )
            roles = None
        else:
            role = result.role
            await audit.role_changed(
                session, at=now, actor_id=user.id, role_id=role.id, granted=True, via="invite"
            )
            reply = Reply(granted_message(role, context.places))
            roles = [r.kind for r in await active_roles(session, user.id)]
            if role.granted_by is not None:
                await outbox.enqueue(
                    session,
                    chat_id=role.granted_by,
                    method="sendMessage",
                    now=now,
                    payload={
                        "text": _("Your invitation was accepted: {role}.").format(
                            role=describe_role(role, context.places)
                        )
                    },
                    ref_kind="role",
                    ref_id=role.id,
                )
        language = await language_of(session, user.id, context.settings.default_language)
    await send_replies(context, update.effective_chat.id, [reply])
    if roles is not None:
        await set_chat_commands(context.application, user.id, language, roles)


async def invite_command(update: Update, context: BotContext) -> None:
    """/ftese (/invite): pick the role to invite someone to."""
    user = update.effective_user
    assert user is not None and update.effective_chat is not None
    async with context.transaction() as session:
        reply = await _menu(session, context, user, None)
    await send_replies(context, update.effective_chat.id, [reply])


async def _menu(
    session: AsyncSession, context: BotContext, user: User, edit_id: int | None
) -> Reply:
    if not can_invite(await active_grants(session, user.id)):
        await audit.record(
            session, at=context.clock.now(), actor_id=user.id, action="invite.not_allowed"
        )
        return Reply(_("Only national staff can invite branch chairs and coordinators."))
    rows = [
        [(_(ROLE_NAMES[RoleKind.CHAIR]), pack(PREFIX, "role", RoleKind.CHAIR.value))],
        [(_(ROLE_NAMES[RoleKind.COORDINATOR]), pack(PREFIX, "role", RoleKind.COORDINATOR.value))],
        [(_(ROLE_NAMES[RoleKind.ADMIN]), pack(PREFIX, "role", RoleKind.ADMIN.value))],
        [(_("👥 Current roles"), pack(PREFIX, "roles"))],
        [(_("✉️ Open invitations"), pack(PREFIX, "invites"))],
    ]
    return Reply(_("Whom do you want to invite?"), inline(rows), edit_id)


async def on_button(update: Update, context: BotContext) -> None:
    """A step of /ftese; every press re-checks that the presser is national staff now."""
    press = await answer_press(update, PREFIX)
    user, data, message_id = press.user, press.data, press.message_id
    menus: list[Menu] = []
    async with context.transaction() as session:
        if data is None or not can_invite(await active_grants(session, user.id)):
            await audit.record(
                session, at=context.clock.now(), actor_id=user.id, action="invite.not_allowed"
            )
            reply = Reply(_("Only national staff can invite branch chairs and coordinators."))
        else:
            reply = await _step(session, context, user, data, message_id, menus)
    # Menus of people whose roles changed, once the change is committed.
    for telegram_id, language, kinds in menus:
        await set_chat_commands(context.application, telegram_id, language, kinds)
    await send_replies(context, press.chat_id, [reply])


async def _step(
    session: AsyncSession,
    context: BotContext,
    user: User,
    data: CallbackData,
    edit_id: int | None,
    menus: list[Menu],
) -> Reply:
    places = context.places.values()
    kind = data.args[0] if data.args else ""
    if data.action == "role" and kind == RoleKind.ADMIN.value:
        return await _create(session, context, user, RoleKind.ADMIN, None, None, edit_id)
    if data.action == "role" and kind in (RoleKind.CHAIR.value, RoleKind.COORDINATOR.value):
        counties = sorted({(p.county_name, p.county_id) for p in places})
        buttons = [(name, pack(PREFIX, "county", kind, cid)) for name, cid in counties]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        return Reply(_("Which county?"), inline(rows), edit_id)
    county_id = data.int_arg(1)
    if data.action == "county" and county_id is not None:
        if not any(p.county_id == county_id for p in places):
            return Reply(_("That button is no longer active."))
        if kind == RoleKind.COORDINATOR.value:
            return await _create(
                session, context, user, RoleKind.COORDINATOR, county_id, None, edit_id
            )
        chosen = sorted((p for p in places if p.county_id == county_id), key=lambda p: p.name)
        buttons = [(p.name, pack(PREFIX, "muni", p.id)) for p in chosen]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        return Reply(_("Which municipality?"), inline(rows), edit_id)
    municipality_id = data.int_arg(0)
    if data.action == "muni" and municipality_id in context.places:
        return await _create(session, context, user, RoleKind.CHAIR, None, municipality_id, edit_id)
    if data.action == "roles":
        return await _roles_list(session, context, _page(data), edit_id)
    if data.action == "invites":
        return await _invites_list(session, context, _page(data), edit_id)
    if data.action == "cancel_inv" and data.int_arg(0) is not None:
        return await _cancel_invite(session, context, user, data.int_arg(0) or 0, edit_id)
    role_id = data.int_arg(0)
    if data.action == "revoke" and role_id is not None:
        return Reply(
            _("Revoke this role? It ends immediately."),
            inline([[(_("Yes, revoke"), pack(PREFIX, "revoke_yes", role_id))]]),
        )
    if data.action == "revoke_yes" and role_id is not None:
        return await _revoke(session, context, user, role_id, edit_id, menus)
    return Reply(_("That button is no longer active."))


async def _revoke(
    session: AsyncSession,
    context: BotContext,
    user: User,
    role_id: int,
    edit_id: int | None,
    menus: list[Menu],
) -> Reply:
    """Revoke at once: every later press of the holder reads the role as gone."""
    existing = await session.get(Role, role_id)
    if existing is not None and existing.source == "config":
        # ADMIN_IDS grants follow the configuration (the next start would grant them again);
        # the chat offers no button for them, so this press is forged or stale.
        return Reply(_("That button is no longer active."))
    role = await revoke_role(session, role_id, revoked_by=user.id, now=context.clock.now())
    if role is None:
        return Reply(_("That role was already revoked."), None, edit_id)
    await audit.role_changed(
        session,
        at=context.clock.now(),
        actor_id=user.id,
        role_id=role.id,
        granted=False,
        via="chat",
    )
    await role_ended(session, context.services, role)
    language = await language_of(session, role.telegram_id, context.settings.default_language)
    remaining = [r.kind for r in await active_roles(session, role.telegram_id)]
    menus.append((role.telegram_id, language, remaining))
    text = _("Revoked: {role}.").format(role=describe_role(role, context.places))
    return Reply(text, None, edit_id)


async def _create(
    session: AsyncSession,
    context: BotContext,
    user: User,
    kind: RoleKind,
    county_id: int | None,
    municipality_id: int | None,
    edit_id: int | None,
) -> Reply:
    now = context.clock.now()
    created = await invite(
        session,
        context.settings,
        kind=kind,
        county_id=county_id,
        municipality_id=municipality_id,
        created_by=user.id,
        now=now,
        via="chat",
    )
    place = context.places.get(municipality_id or 0)
    if kind is RoleKind.CHAIR and place is not None:
        what = _("branch chair in {municipality}").format(municipality=place.name)
    elif kind is RoleKind.COORDINATOR:
        county = next(p.county_name for p in context.places.values() if p.county_id == county_id)
        what = _("coordinator of {county} county").format(county=county)
    else:
        what = _("national staff (admin)")
    hours = int(context.settings.invite_ttl_hours)
    text = ngettext(
        "Invitation for: {what}\n\n{link}\n\nSend this link only to that person. It works "
        "once and expires in {hours} hour.",
        "Invitation for: {what}\n\n{link}\n\nSend this link only to that person. It works "
        "once and expires in {hours} hours.",
        hours,
    ).format(
        what=what,
        link=start_link(context.bot.username, created.code),
        hours=hours,
    )
    return Reply(text, None, edit_id)


def _page(data: CallbackData) -> int:
    """A page number from a (possibly forged) button, clamped."""
    return min(max(data.int_arg(0) or 0, 0), MAX_PAGE)


def _navigation(action: str, page: int, pages: int) -> list[tuple[str, str]]:
    buttons = []
    if page > 0:
        buttons.append((_("« Previous"), pack(PREFIX, action, page - 1)))
    if page + 1 < pages:
        buttons.append((_("Next »"), pack(PREFIX, action, page + 1)))
    return buttons


async def _roles_list(
    session: AsyncSession, context: BotContext, page: int, edit_id: int | None
) -> Reply:
    """Active roles, PAGE_SIZE at a time, so 61 chairs and their coordinators all stay
    reachable (and one message stays far under Telegram's 4 096 characters)."""
    roles, total = await roles_page(session, limit=PAGE_SIZE, offset=page * PAGE_SIZE)
    if total == 0:
        return Reply(_("No roles have been granted yet."), None, edit_id)
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    if not roles:  # past the end (a role revoked meanwhile, a forged page): the last one
        page = pages - 1
        roles, total = await roles_page(session, limit=PAGE_SIZE, offset=page * PAGE_SIZE)
    lines = [_short(describe_role(role, context.places)) for role in roles]
    rows = [
        [(_("Revoke: {role}").format(role=line)[:60], pack(PREFIX, "revoke", role.id))]
        for role, line in zip(roles, lines, strict=True)
        if role.source != "config"
    ]
    navigation = _navigation("roles", page, pages)
    if navigation:
        rows.append(navigation)
    header = _("Current roles: {count} (page {page} of {pages})").format(
        count=format_count(total), page=page + 1, pages=pages
    )
    return Reply(header + "\n" + "\n".join(lines), inline(rows) if rows else None, edit_id)


def _short(line: str) -> str:
    """A long Telegram name must not push a page past the message limit."""
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…"


async def _invites_list(
    session: AsyncSession, context: BotContext, page: int, edit_id: int | None
) -> Reply:
    """Invitations not used and not expired, each with a Cancel button."""
    now = context.clock.now()
    invites, total = await open_invites(session, now, limit=PAGE_SIZE, offset=page * PAGE_SIZE)
    if total == 0:
        return Reply(_("There are no open invitations."), None, edit_id)
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    if not invites:
        page = pages - 1
        invites, total = await open_invites(session, now, limit=PAGE_SIZE, offset=page * PAGE_SIZE)
    lines, rows = [], []
    for item in invites:
        what = _invited_role(context, item.kind, item.county_id, item.municipality_id)
        lines.append(
            _("No. {id}: {what}, expires {when}").format(
                id=item.id, what=what, when=format_moment(item.expires_at)
            )
        )
        rows.append(
            [(_("Cancel no. {id}").format(id=item.id), pack(PREFIX, "cancel_inv", item.id))]
        )
    navigation = _navigation("invites", page, pages)
    if navigation:
        rows.append(navigation)
    header = _("Open invitations: {count} (page {page} of {pages})").format(
        count=format_count(total), page=page + 1, pages=pages
    )
    return Reply(header + "\n" + "\n".join(lines), inline(rows), edit_id)


def _invited_role(
    context: BotContext, kind: str, county_id: int | None, municipality_id: int | None
) -> str:
    place = context.places.get(municipality_id or 0)
    if kind == RoleKind.CHAIR.value and place is not None:
        return _("branch chair in {municipality}").format(municipality=place.name)
    if kind == RoleKind.COORDINATOR.value:
        county = next(
            (p.county_name for p in context.places.values() if p.county_id == county_id), "?"
        )
        return _("coordinator of {county} county").format(county=county)
    return _("national staff (admin)")


async def _cancel_invite(
    session: AsyncSession, context: BotContext, user: User, invite_id: int, edit_id: int | None
) -> Reply:
    now = context.clock.now()
    if not await cancel_invite(session, invite_id, now):
        return Reply(_("That invitation was already used, expired or cancelled."))
    await audit.record(
        session,
        at=now,
        actor_id=user.id,
        action="invite.cancelled",
        subject_kind="invite",
        subject_id=invite_id,
    )
    listing = await _invites_list(session, context, 0, edit_id)
    notice = _("Invitation no. {id} cancelled: its link no longer works.").format(id=invite_id)
    return Reply(f"{notice}\n\n{listing.text}", listing.markup, edit_id)
