"""The words and buttons of /statistika: the figures as a message in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from babel.numbers import format_decimal

from domain.callbacks import pack
from domain.charts import week_label
from domain.figures import AreaKind, AreaRow, Figures
from domain.i18n import _, babel_locale, format_count, format_moment, ngettext
from domain.permissions import Scope
from usecases.keyboards import inline

PREFIX = "st"


def ratio(value: float | None) -> str:
    """Members per 1 000 inhabitants with one decimal (3,2 / 3.2); a dash where unknown."""
    if value is None:
        return "–"
    return format_decimal(value, format="#,##0.0", locale=babel_locale())


def wait(duration: timedelta) -> str:
    """How long an application has waited, in days (hours on its first day)."""
    days = duration.days
    if days >= 1:
        return ngettext("{count} day", "{count} days", days).format(count=format_count(days))
    hours = int(duration.total_seconds() // 3600)
    if hours >= 1:
        return ngettext("{count} hour", "{count} hours", hours).format(count=format_count(hours))
    return _("less than an hour")


def title(figures: Figures) -> str:
    if figures.area.kind is AreaKind.NATIONAL:
        return _("📊 Figures of the register: the whole country")
    if figures.area.kind is AreaKind.COUNTY:
        return _("📊 Figures of the register: county of {county}").format(county=figures.name)
    return _("📊 Figures of the register: municipality of {municipality}").format(
        municipality=figures.name
    )


def figures_text(figures: Figures, now: datetime) -> str:
    counts = figures.counts
    lines = [title(figures), _("As of {moment}.").format(moment=format_moment(now)), ""]
    lines.append(_("Members (approved): {count}").format(count=format_count(figures.approved)))
    lines.append(_("Waiting for a decision: {count}").format(count=format_count(figures.pending)))
    if figures.pending_oldest is not None and figures.pending_median is not None:
        lines.append(
            _("The oldest has waited {oldest}; half have waited {median} or more.").format(
                oldest=wait(figures.pending_oldest), median=wait(figures.pending_median)
            )
        )
    lines.append(
        _("Rejected: {rejected} · Withdrawn: {withdrawn}").format(
            rejected=format_count(counts.get("rejected", 0)),
            withdrawn=format_count(counts.get("withdrawn", 0)),
        )
    )
    lines.append(
        _("Unreachable (they blocked the bot): {count}").format(
            count=format_count(figures.unreachable)
        )
    )
    if figures.population:
        lines.append(
            _("Members per 1 000 inhabitants: {ratio} (2023 census: {population})").format(
                ratio=ratio(figures.coverage), population=format_count(figures.population)
            )
        )
    else:
        lines.append(_("Members per 1 000 inhabitants: not known (no 2023 census figure)"))
    lines += ["", _("New registrations per week (from Monday):")]
    lines += [f"{week_label(monday)}: {format_count(count)}" for monday, count in figures.weeks]
    if figures.rows:
        lines.append("")
        if figures.area.kind is AreaKind.NATIONAL:
            lines.append(_("By county — members · waiting · per 1 000 inhabitants:"))
        else:
            lines.append(_("By municipality — members · waiting · per 1 000 inhabitants:"))
        lines += [_row(row) for row in figures.rows]
    return "\n".join(lines)


def _row(row: AreaRow) -> str:
    return f"{row.name}: {format_count(row.approved)} · {format_count(row.pending)} · " + ratio(
        row.coverage
    )


def buttons(figures: Figures, scope: Scope, county_of: Mapping[int, int]) -> object | None:
    """Down into a county or municipality of the figures, and back up where the role allows."""
    rows: list[list[tuple[str, str]]] = []
    if figures.area.kind is AreaKind.NATIONAL:
        down = [(row.name, pack(PREFIX, "c", row.id)) for row in figures.rows]
    elif figures.area.kind is AreaKind.COUNTY:
        down = [(row.name, pack(PREFIX, "m", row.id)) for row in figures.rows]
    else:
        down = []
    rows += [down[i : i + 3] for i in range(0, len(down), 3)]
    if figures.area.kind is AreaKind.COUNTY and scope.national:
        rows.append([(_("« The whole country"), pack(PREFIX, "n"))])
    if figures.area.kind is AreaKind.MUNICIPALITY and figures.area.id is not None:
        county_id = county_of[figures.area.id]
        if scope.national or county_id in scope.county_ids:
            label = _("« County of {county}").format(county=figures.county_name)
            rows.append([(label, pack(PREFIX, "c", county_id))])
    return inline(rows) if rows else None
