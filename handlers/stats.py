"""/statistika (/stats): the figures of the asker's part of the register, with a chart.

A chair gets their municipality, a coordinator their county, national staff the whole
country; buttons (`st:v1:<n|c|m>[:<id>]`, ids only) go down into a county or municipality
and back up. Every command and press re-reads the asker's roles, and the storage query
answers only for an area the scope covers (and filters by the scope again), so a forged
button gets a refusal, never another place's figures. Each view and each refusal is
audited with the area's ids and the asker's scope ids, never a name.

The figures are counted in a read-only transaction (a national count must not hold
SQLite's write lock), the audit row written after it, the chart drawn off the event loop,
and the photo and the text sent last.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from domain.callbacks import CallbackData, pack
from domain.charts import chart_data
from domain.figures import NATIONAL, Area, AreaKind, Figures, widest_areas
from domain.i18n import _
from domain.permissions import Scope, scope_of
from handlers import stats_texts as texts
from handlers.context import BotContext
from handlers.replies import Reply, answer_press, send_replies
from handlers.stats_chart import render_png
from handlers.turn import waiting_on_telegram
from storage import audit
from storage.figures import figures_in_scope
from storage.roles import active_grants
from usecases.keyboards import inline

PREFIX = texts.PREFIX


async def stats_command(update: Update, context: BotContext) -> None:
    """/statistika: the widest area the roles cover at once, or a choice when several."""
    user = update.effective_user
    assert user is not None and update.effective_chat is not None
    async with context.reading() as session:
        scope = scope_of(await active_grants(session, user.id))
    areas = widest_areas(scope, _county_of(context))
    if len(areas) == 1:
        await _show(context, user.id, update.effective_chat.id, areas[0])
        return
    async with context.transaction() as session:
        await _audit(session, context, user.id, "stats.refused" if scope.empty else "stats.chose")
    if scope.empty:
        # Nothing about the feature or the register: as for any unknown command.
        reply = Reply(_("I do not know that command. Send /help to see what I can do."))
    else:
        reply = _picker(context, areas)
    await send_replies(context, update.effective_chat.id, [reply])


async def on_button(update: Update, context: BotContext) -> None:
    """A county or municipality, the country, or a choice of the picker; re-authorized."""
    press = await answer_press(update, PREFIX)
    await _show(context, press.user.id, press.chat_id, area_of(press.data))


def area_of(data: CallbackData | None) -> Area | None:
    """The area a button names; None when malformed (forged or from another version)."""
    if data is None:
        return None
    if data.action == "n" and not data.args:
        return NATIONAL
    kinds = {"c": AreaKind.COUNTY, "m": AreaKind.MUNICIPALITY}
    area_id = data.int_arg(0)
    if data.action not in kinds or area_id is None or len(data.args) != 1:
        return None
    return Area(kinds[data.action], area_id)


async def _show(context: BotContext, user_id: int, chat_id: int, area: Area | None) -> None:
    now = context.clock.now()
    async with context.reading() as session:
        scope = scope_of(await active_grants(session, user_id))
        found = None
        if area is not None and not scope.empty:
            found = await figures_in_scope(session, scope, area, now=now)
    async with context.transaction() as session:
        action = "stats.viewed" if found is not None else "stats.refused"
        await _audit(session, context, user_id, action, area, scope)
    if found is None:
        if scope.empty:
            text = _("That button is no longer active.")
        else:
            text = _("You can only see the figures of the places your role covers.")
        await send_replies(context, chat_id, [Reply(text)])
        return
    await _send(context, chat_id, found, scope)


async def _send(context: BotContext, chat_id: int, figures: Figures, scope: Scope) -> None:
    data = chart_data(figures)  # labelled here, in the reader's language
    png = await asyncio.to_thread(render_png, data)
    async with waiting_on_telegram():
        await context.bot.send_photo(
            chat_id=chat_id, photo=png, caption=data.title, filename="statistika.png"
        )
    text = texts.figures_text(figures, context.clock.now())
    markup = texts.buttons(figures, scope, _county_of(context))
    await send_replies(context, chat_id, [Reply(text, markup)])


def _picker(context: BotContext, areas: list[Area]) -> Reply:
    """For someone whose roles span places apart (a chair here, a coordinator there)."""
    places = context.places
    county_names = {p.county_id: p.county_name for p in places.values()}
    buttons = []
    for area in areas:
        if area.kind is AreaKind.COUNTY and area.id is not None:
            label = _("County of {county}").format(county=county_names.get(area.id, "?"))
            buttons.append((label, pack(PREFIX, "c", area.id)))
        elif area.id is not None and area.id in places:
            buttons.append((places[area.id].name, pack(PREFIX, "m", area.id)))
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return Reply(_("Which figures would you like to see?"), inline(rows))


def _county_of(context: BotContext) -> dict[int, int]:
    return {place.id: place.county_id for place in context.places.values()}


async def _audit(
    session: AsyncSession,
    context: BotContext,
    user_id: int,
    action: str,
    area: Area | None = None,
    scope: Scope | None = None,
) -> None:
    """Who asked for which area's figures, in which scope: ids only."""
    detail: dict[str, Any] = {}
    if scope is not None:
        detail["scope"] = {
            "national": scope.national,
            "county_ids": sorted(scope.county_ids),
            "municipality_ids": sorted(scope.municipality_ids),
        }
    await audit.record(
        session,
        at=context.clock.now(),
        actor_id=user_id,
        action=action,
        subject_kind=area.kind.value if area is not None else None,
        subject_id=area.id if area is not None else None,
        detail=detail or None,
    )
