"""The /statistika chart as a PNG, drawn with Pillow, readable on a phone.

Why Pillow and not matplotlib (measured here, 2 cores, Python 3.11): matplotlib 3.11 with
the Agg backend installs about 125 MB (numpy, fonttools, kiwisolver, …), takes 1.8 s to
import cold and ~290 ms to draw a 1080 px bar chart; Pillow is one 7 MB package, imports in
50 ms and draws and encodes the same chart in ~10 ms. A bar chart of at most a dozen rows
needs no plotting library's axes, only rectangles and text. Pillow is imported when the
first chart is drawn, so the bot's start does not pay for it.

The image is 1080 px wide (a phone shows it full width, Telegram keeps it sharp) with 34 px
text and larger; it is drawn in a 5-colour palette (fast to encode, a few kB), in DejaVu
Sans, shipped beside this file (Pillow's built-in font has no ë or ç).

`layout(data)` computes every bar's rectangle from the chart's numbers; `render_png` only
paints that layout, so a test can check the painted bars against the numbers.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Final

from domain.charts import ChartData, ChartKind

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

FONT_FILE: Final = Path(__file__).with_name("fonts") / "DejaVuSans.ttf"
WIDTH: Final = 1080
MARGIN: Final = 40
TITLE_SIZE: Final = 46
TEXT_SIZE: Final = 36
SMALL_SIZE: Final = 30

# Palette indices: the image is paletted, so a test reads a pixel's meaning directly.
BACKGROUND, INK, GRID = 0, 1, 2
SERIES_COLOURS: Final = (3, 4)  # first series, second series
PALETTE: Final = (
    (255, 255, 255),  # background
    (33, 37, 41),  # text
    (200, 200, 200),  # axis
    (31, 99, 180),  # approved / registrations: blue
    (245, 150, 40),  # pending: orange (told apart from blue also by the colour-blind)
)

ROW_HEIGHT: Final = 84
BAR_THICKNESS: Final = 54
WEEKS_PLOT_HEIGHT: Final = 560


@dataclass(frozen=True)
class Bar:
    """One painted segment: which series, and its rectangle (inclusive pixel corners)."""

    series: int
    index: int  # which label (row or week)
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class Text:
    xy: tuple[int, int]
    text: str
    size: int
    anchor: str = "la"


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    bars: tuple[Bar, ...]
    texts: tuple[Text, ...]
    swatches: tuple[tuple[int, tuple[int, int, int, int]], ...]  # legend: colour, box
    axis: tuple[int, int, int, int]


@cache
def _font(size: int) -> FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(str(FONT_FILE), size)


def _width(text: str, size: int) -> int:
    return int(_font(size).getlength(text) + 0.5)


def _wrap(text: str, size: int, width: int) -> list[str]:
    """Words onto as many lines as the width needs (a long county name wraps the title)."""
    lines: list[str] = []
    for word in text.split():
        if lines and _width(f"{lines[-1]} {word}", size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def _header(data: ChartData) -> tuple[list[Text], list[tuple[int, tuple[int, int, int, int]]], int]:
    """Title lines and the legend; the y where the plot starts."""
    texts, y = [], MARGIN
    for line in _wrap(data.title, TITLE_SIZE, WIDTH - 2 * MARGIN):
        texts.append(Text((MARGIN, y), line, TITLE_SIZE))
        y += int(TITLE_SIZE * 1.3)
    swatches = []
    if len(data.series) > 1:
        x, y = MARGIN, y + 16
        for index, series in enumerate(data.series):
            swatches.append((SERIES_COLOURS[index], (x, y + 4, x + 30, y + 34)))
            texts.append(Text((x + 42, y), series.name, SMALL_SIZE))
            x += 42 + _width(series.name, SMALL_SIZE) + 48
        y += 40
    return texts, swatches, y + 30


def layout(data: ChartData) -> Layout:
    """Where everything goes; bar lengths are proportional to the values (0 → no bar)."""
    return _areas(data) if data.kind is ChartKind.AREAS else _weeks(data)


def _areas(data: ChartData) -> Layout:
    texts, swatches, top = _header(data)
    totals, shown = data.totals(), data.value_labels()
    label_width = min(max((_width(t, TEXT_SIZE) for t in data.labels), default=0), 430) + 24
    value_width = max((_width(t, TEXT_SIZE) for t in shown), default=0) + 20
    left = MARGIN + label_width
    span = WIDTH - MARGIN - value_width - left
    biggest = max(totals, default=0) or 1
    bars = []
    for index, label in enumerate(data.labels):
        y = top + index * ROW_HEIGHT
        middle = y + ROW_HEIGHT // 2
        texts.append(Text((left - 20, middle), label, TEXT_SIZE, "rm"))
        x = left
        for number, series in enumerate(data.series):
            length = round(series.values[index] * span / biggest)
            if length > 0:
                box = (x, middle - BAR_THICKNESS // 2, x + length - 1, middle + BAR_THICKNESS // 2)
                bars.append(Bar(number, index, box))
                x += length
        texts.append(Text((x + 14, middle), shown[index], TEXT_SIZE, "lm"))
    bottom = top + len(data.labels) * ROW_HEIGHT
    axis = (left - 2, top, left - 1, bottom)
    return Layout(WIDTH, bottom + MARGIN, tuple(bars), tuple(texts), tuple(swatches), axis)


def _weeks(data: ChartData) -> Layout:
    texts, swatches, top = _header(data)
    totals, shown = data.totals(), data.value_labels()
    top += SMALL_SIZE + 10  # room for the value over the tallest column
    baseline = top + WEEKS_PLOT_HEIGHT
    count = max(len(data.labels), 1)
    slot = (WIDTH - 2 * MARGIN) // count
    thickness = int(slot * 0.7)
    biggest = max(totals, default=0) or 1
    # The largest size at which every week's date and count fit their column's slot.
    size = SMALL_SIZE
    while size > 18 and max(_width(t, size) for t in (*data.labels, *shown, "0")) > slot - 8:
        size -= 1
    bars = []
    for index, label in enumerate(data.labels):
        middle = MARGIN + index * slot + slot // 2
        height = round(totals[index] * WEEKS_PLOT_HEIGHT / biggest)
        x0 = middle - thickness // 2
        if height > 0:
            bars.append(Bar(0, index, (x0, baseline - height, x0 + thickness - 1, baseline - 1)))
        texts.append(Text((middle, baseline - height - 8), shown[index], size, "md"))
        texts.append(Text((middle, baseline + 14), label, size, "ma"))
    axis = (MARGIN, baseline, WIDTH - MARGIN, baseline + 1)
    height = baseline + 14 + SMALL_SIZE + MARGIN
    return Layout(WIDTH, height, tuple(bars), tuple(texts), tuple(swatches), axis)


def render_png(data: ChartData) -> bytes:
    """The chart as PNG bytes (CPU-bound, ~10 ms: callers run it off the event loop)."""
    from PIL import Image, ImageDraw

    drawn = layout(data)
    image = Image.new("P", (drawn.width, drawn.height), BACKGROUND)
    image.putpalette([channel for colour in PALETTE for channel in colour])
    draw = ImageDraw.Draw(image)
    draw.rectangle(drawn.axis, fill=GRID)
    for colour, box in drawn.swatches:
        draw.rectangle(box, fill=colour)
    for bar in drawn.bars:
        draw.rectangle(bar.box, fill=SERIES_COLOURS[bar.series])
    for text in drawn.texts:
        draw.text(text.xy, text.text, font=_font(text.size), fill=INK, anchor=text.anchor)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
