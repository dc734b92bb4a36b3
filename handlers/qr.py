"""/qr (/lidhja): a municipality's enrolment link and its QR code, for the officers over it.

Authorized from the database on the command and on every press: a chair gets their own
municipality (or picks among theirs), a coordinator picks among the county's, national
staff pick a county and then a municipality. Buttons (`qr:v1:<action>:<id>`) carry ids
only; a forged id outside the presser's roles gets nothing and is audited. Anyone else is
answered as if the command did not exist.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from domain.callbacks import CallbackData, pack
from domain.enrolment import enrolment_link, municipality_code
from domain.i18n import _
from domain.permissions import covers, scope_of
from domain.places import Place
from handlers.context import BotContext
from handlers.qr_image import qr_png
from handlers.replies import Reply, answer_press, send_replies
from storage import audit
from storage.roles import active_grants
from usecases.keyboards import inline

PREFIX = "qr"


async def qr_command(update: Update, context: BotContext) -> None:
    """/qr: the link at once for a single municipality, else a picker."""
    user = update.effective_user
    assert user is not None and update.effective_chat is not None
    photo: Place | None = None
    reply: Reply | None = None
    async with context.transaction() as session:
        allowed = await _allowed(session, context, user.id)
        if not allowed:
            await _refused(session, context, user.id, None)
            # Nothing about the feature or the register: as for any unknown command.
            reply = Reply(_("I do not know that command. Send /help to see what I can do."))
        elif len(allowed) == 1:
            photo = allowed[0]
            await _created(session, context, user.id, photo)
        else:
            reply = _picker(allowed, None, None)
    if photo is not None:
        await _send(context, update.effective_chat.id, photo)
    elif reply is not None:
        await send_replies(context, update.effective_chat.id, [reply])


async def on_button(update: Update, context: BotContext) -> None:
    """A county or a municipality of the picker; re-authorized on every press."""
    press = await answer_press(update, PREFIX)
    photo: Place | None = None
    async with context.transaction() as session:
        allowed = await _allowed(session, context, press.user.id)
        reply, photo = _choose(allowed, press.data, press.message_id)
        if photo is not None:
            await _created(session, context, press.user.id, photo)
        elif reply is None:
            wanted = press.data.int_arg(0) if press.data is not None else None
            await _refused(session, context, press.user.id, wanted)
            if allowed:
                text = _("You can only get the links of the municipalities your role covers.")
            else:
                text = _("That button is no longer active.")
            reply = Reply(text)
    if photo is not None:
        await _send(context, press.chat_id, photo)
    elif reply is not None:
        await send_replies(context, press.chat_id, [reply])


def _choose(
    allowed: list[Place], data: CallbackData | None, message_id: int | None
) -> tuple[Reply | None, Place | None]:
    """The picker's next view, or the municipality chosen; (None, None) when refused."""
    if data is None or not allowed:
        return None, None
    counties = {place.county_id for place in allowed}
    if data.action == "counties":
        return _picker(allowed, None, message_id), None
    wanted = data.int_arg(0)
    if data.action == "county" and wanted in counties:
        return _picker(allowed, wanted, message_id), None
    if data.action == "muni":
        chosen = next((place for place in allowed if place.id == wanted), None)
        return None, chosen
    return None, None


def _picker(allowed: list[Place], county_id: int | None, edit_id: int | None) -> Reply:
    """Counties when the places span several (unless one is chosen), else municipalities."""
    counties = sorted({(place.county_name, place.county_id) for place in allowed})
    if county_id is None and len(counties) > 1:
        buttons = [(name, pack(PREFIX, "county", cid)) for name, cid in counties]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        return Reply(_("Which county?"), inline(rows), edit_id)
    shown = [p for p in allowed if county_id is None or p.county_id == county_id]
    buttons = [(p.name, pack(PREFIX, "muni", p.id)) for p in sorted(shown, key=lambda p: p.name)]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if len(counties) > 1:
        rows.append([(_("« Back to the counties"), pack(PREFIX, "counties"))])
    return Reply(_("Which municipality?"), inline(rows), edit_id)


async def _allowed(session: AsyncSession, context: BotContext, telegram_id: int) -> list[Place]:
    """The municipalities whose link this person may have, by their active roles now."""
    scope = scope_of(await active_grants(session, telegram_id))
    if scope.empty:
        return []
    return [
        place
        for place in context.places.values()
        if covers(scope, municipality_id=place.id, county_id=place.county_id)
    ]


async def _created(
    session: AsyncSession, context: BotContext, telegram_id: int, place: Place
) -> None:
    await audit.record(
        session,
        at=context.clock.now(),
        actor_id=telegram_id,
        action="qr.created",
        subject_kind="municipality",
        subject_id=place.id,
        detail={"via": "chat"},
    )


async def _refused(
    session: AsyncSession, context: BotContext, telegram_id: int, wanted: int | None
) -> None:
    await audit.record(
        session,
        at=context.clock.now(),
        actor_id=telegram_id,
        action="qr.refused",
        subject_kind="municipality" if wanted is not None else None,
        subject_id=wanted,
    )


async def _send(context: BotContext, chat_id: int, place: Place) -> None:
    link = enrolment_link(context.bot.username, place)
    caption = _(
        "Registration link of the municipality of {municipality}:\n{link}\n\n"
        "Whoever scans this code or opens the link registers with {municipality} already "
        "chosen. Print it, show it on a screen, or share the link."
    ).format(municipality=place.name, link=link)
    await context.bot.send_photo(
        chat_id=chat_id,
        photo=qr_png(link),
        caption=caption,
        filename=f"{municipality_code(place.name)}.png",
    )
