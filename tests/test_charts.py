"""The figures chart: its numbers are the figures' numbers, and the painted bars are
those numbers (measured in the PNG's pixels), at a phone's width."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from PIL import Image

from domain.charts import ChartKind, chart_data
from domain.figures import NATIONAL, Area, AreaKind, AreaRow, Figures
from domain.i18n import use_language
from handlers.stats_chart import BACKGROUND, SERIES_COLOURS, WIDTH, Layout, layout, render_png

WEEKS = tuple((date(2026, 9, 7) + timedelta(weeks=n), n * 37 % 50) for n in range(12))


def _figures(area: Area, rows: tuple[AreaRow, ...] = ()) -> Figures:
    return Figures(area, "Korçë", None, {}, None, WEEKS, None, None, 0, rows)


def check_painted(png: bytes, drawn: Layout) -> None:
    """Every bar of the layout is painted in its series' colour, up to its last pixel and
    no further: the lengths in the image are the lengths computed from the values."""
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (WIDTH, drawn.height)
    pixel = image.getpixel
    for bar in drawn.bars:
        x0, y0, x1, y1 = bar.box
        middle = (y0 + y1) // 2, (x0 + x1) // 2
        colour = SERIES_COLOURS[bar.series]
        assert pixel((x0, middle[0])) == colour and pixel((x1, middle[0])) == colour
        assert pixel((middle[1], y0)) == colour and pixel((middle[1], y1)) == colour
        assert pixel((x1 + 1, middle[0])) != colour or any(
            other.box[0] == x1 + 1 for other in drawn.bars
        )
        assert pixel((middle[1], y0 - 1)) in (BACKGROUND, *SERIES_COLOURS)


@pytest.mark.parametrize("language", ["sq", "en"])
def test_a_municipality_gets_its_weeks_as_columns(language: str) -> None:
    with use_language(language):
        data = chart_data(_figures(Area(AreaKind.MUNICIPALITY, 1)))
        png = render_png(data)
    assert data.kind is ChartKind.WEEKS
    assert data.series[0].values == tuple(count for _day, count in WEEKS)
    # Weeks by their Monday, as the reader writes dates: «23.11» / «11/23».
    assert data.labels[-1] == {"sq": "23.11", "en": "11/23"}[language]
    drawn = layout(data)
    assert len(drawn.bars) == 11  # the first week had no registration: no column
    heights = {bar.index: bar.box[3] - bar.box[1] + 1 for bar in drawn.bars}
    tallest, full = max(count for _day, count in WEEKS), max(heights.values())
    for index, (_day, count) in enumerate(WEEKS):
        assert heights.get(index, 0) == round(count * full / tallest)
    check_painted(png, drawn)


def test_a_county_gets_bars_by_municipality_largest_first() -> None:
    rows = (
        AreaRow(1, "Devoll", {"approved": 0}, None),
        AreaRow(2, "Korçë", {"approved": 400, "pending": 100}, None),
        AreaRow(3, "Malësi e Madhe", {"approved": 120, "pending": 5, "rejected": 50}, 1),
    )
    with use_language("sq"):
        data = chart_data(_figures(Area(AreaKind.COUNTY, 7), rows))
        png = render_png(data)
    assert data.kind is ChartKind.AREAS and "Korçë" in data.title
    assert data.labels == ("Korçë", "Malësi e Madhe", "Devoll")
    assert [s.values for s in data.series] == [(400, 120, 0), (100, 5, 0)]
    assert data.value_labels() == ("500", "125", "0")  # rejected entries are not members
    drawn = layout(data)
    lengths = {(b.index, b.series): b.box[2] - b.box[0] + 1 for b in drawn.bars}
    span = lengths[(0, 0)] + lengths[(0, 1)]  # the largest bar fills the span
    assert lengths[(1, 0)] == round(120 * span / 500) and lengths[(1, 1)] == round(5 * span / 500)
    assert (2, 0) not in lengths  # nothing to paint for Devoll
    check_painted(png, drawn)


def test_national_figures_chart_every_county() -> None:
    rows = tuple(AreaRow(n, f"Qarku {n}", {"approved": n * 10}, 1000) for n in range(12))
    with use_language("en"):
        data = chart_data(_figures(NATIONAL, rows))
        png = render_png(data)
    assert data.title == "Members by county" and len(data.labels) == 12
    assert sum(data.totals()) == sum(row.approved for row in rows)
    check_painted(png, layout(data))
