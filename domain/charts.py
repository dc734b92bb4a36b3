"""What a figures chart shows, as data: the drawing (handlers/stats_chart.py) only draws it.

Kept pure so that a test can hold the chart's numbers against the figures they came from,
and the drawn bars against these numbers.

- A municipality: registrations per Tirana week (the current week last), as columns.
- A county: members by municipality; the country: members by county — horizontal bars,
  largest first, approved and pending stacked, since names read best on a phone's width.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from babel.dates import format_skeleton

from domain.figures import AreaKind, Figures
from domain.i18n import _, babel_locale, format_count


class ChartKind(StrEnum):
    WEEKS = "weeks"  # columns over time
    AREAS = "areas"  # horizontal bars, one per area


@dataclass(frozen=True)
class Series:
    """One coloured part of each bar, with its legend."""

    name: str
    values: tuple[int, ...]


@dataclass(frozen=True)
class ChartData:
    kind: ChartKind
    title: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]  # stacked, first at the base

    def totals(self) -> tuple[int, ...]:
        return tuple(sum(values) for values in zip(*(s.values for s in self.series), strict=True))

    def value_labels(self) -> tuple[str, ...]:
        """Each bar's total, written as the reader writes numbers (1 234 / 1,234)."""
        return tuple(format_count(total) for total in self.totals())


def week_label(monday: date) -> str:
    """A week by its Monday, day and month only: «23.11» / «11/23»."""
    return format_skeleton("dM", monday, locale=babel_locale())


def chart_data(figures: Figures) -> ChartData:
    """The chart of these figures, labelled in the current language."""
    if figures.area.kind is AreaKind.MUNICIPALITY:
        return ChartData(
            kind=ChartKind.WEEKS,
            title=_("New registrations per week — {municipality}").format(
                municipality=figures.name
            ),
            labels=tuple(week_label(monday) for monday, _count in figures.weeks),
            series=(Series(_("registrations"), tuple(count for _monday, count in figures.weeks)),),
        )
    rows = sorted(figures.rows, key=lambda row: (-(row.approved + row.pending), row.name))
    if figures.area.kind is AreaKind.COUNTY:
        title = _("Members by municipality — county of {county}").format(county=figures.name)
    else:
        title = _("Members by county")
    return ChartData(
        kind=ChartKind.AREAS,
        title=title,
        labels=tuple(row.name for row in rows),
        series=(
            Series(_("approved"), tuple(row.approved for row in rows)),
            Series(_("pending"), tuple(row.pending for row in rows)),
        ),
    )
