"""Geometry for server-rendered SVG charts. Templates draw; this module only does the arithmetic.

Every mark carries a link to the rows behind it and a text title, so a chart is also a keyboard-
and screen-reader-usable list of links (and each chart has a table next to it).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.utils.formats import date_format
from django.utils.translation import pgettext

# Wide charts span the page; bar charts sit two to a row. Text is 12 px at these sizes.
LINE_WIDTH, BAR_WIDTH = 1100, 540


@dataclass
class Mark:
    x: float
    y: float
    w: float = 0
    h: float = 0
    url: str = ""
    title: str = ""
    label: str = ""
    value_text: str = ""
    css: str = ""
    target_x: float | None = None

    # Positions the templates need; SVG has no arithmetic and Django templates should not do it.
    @property
    def end_x(self) -> float:
        return round(self.x + self.w, 1)

    @property
    def mid_x(self) -> float:
        return round(self.x + self.w / 2, 1)

    @property
    def mid_y(self) -> float:
        return round(self.y + self.h / 2, 1)

    @property
    def bottom(self) -> float:
        return round(self.y + self.h, 1)


@dataclass
class Chart:
    width: int
    height: int
    marks: list[Mark] = field(default_factory=list)
    path: str = ""
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    plot: tuple[float, float, float, float] = (0, 0, 0, 0)  # left, top, right, bottom

    @property
    def empty(self) -> bool:
        return not self.marks


def line_chart(points: list[tuple[date, float, str, str]], *, start: date, end: date,
               y_max: float = 100.0, height: int = 220, width: int = LINE_WIDTH) -> Chart:
    """``points`` are (day, value, url, title); x is proportional to the date within start..end."""
    left, top, right, bottom = 44.0, 12.0, width - 16.0, height - 34.0
    span_days = max((end - start).days, 1)
    chart = Chart(width, height, plot=(left, top, right, bottom))

    def x_of(day: date) -> float:
        return left + (right - left) * min(max((day - start).days, 0), span_days) / span_days

    def y_of(value: float) -> float:
        return bottom - (bottom - top) * max(0.0, min(value, y_max)) / y_max

    chart.y_ticks = [(y_of(v), f"{v:g}") for v in (0, 25, 50, 75, 100) if v <= y_max]
    for day, value, url, title in points:
        chart.marks.append(Mark(x=round(x_of(day), 1), y=round(y_of(value), 1), url=url, title=title,
                                value_text=f"{value:.0f}"))
    chart.path = " ".join(f"{'M' if i == 0 else 'L'}{m.x},{m.y}" for i, m in enumerate(chart.marks))
    step = max(1, len(points) // 10)
    # Django's date formatting (localised month names), short enough for an axis: "Nov. 30" (zh: "11月30日").
    # Translators: a Django date format for a chart's axis (month and day, short): https://docs.djangoproject.com/en/5.2/ref/templates/builtins/#date
    tick_format = pgettext("chart axis date format", "N j")
    chart.x_ticks = [(m.x, date_format(points[i][0], tick_format)) for i, m in enumerate(chart.marks)
                     if i % step == 0]
    return chart


def bar_chart(bars: list[dict], *, max_value: float | None = None,
              value_format: str | Callable[[float], str] = "{:.0f}",
              bar_height: int = 20, label_width: int = 190, width: int = BAR_WIDTH) -> Chart:
    """Horizontal bars. Each bar dict: label, value, url, title, optional target and css.

    ``value_format`` is a ``str.format`` pattern or a function of the value (e.g. a locale's percentage)."""
    write = value_format if callable(value_format) else value_format.format
    gap, top = 7, 6
    height = top * 2 + len(bars) * (bar_height + gap)
    left, right = float(label_width), width - 50.0
    largest = max([b["value"] for b in bars] + [b.get("target") or 0 for b in bars] + [0])
    scale_max = max_value or largest or 1
    chart = Chart(width, max(height, 40), plot=(left, top, right, height - top))
    for i, bar in enumerate(bars):
        y = top + i * (bar_height + gap)
        width = (right - left) * max(bar["value"], 0) / scale_max
        target = bar.get("target")
        chart.marks.append(Mark(
            x=left, y=y, w=round(max(width, 1.5), 1), h=bar_height, url=bar["url"], title=bar["title"],
            label=_shorten(bar["label"], 28), value_text=write(bar["value"]), css=bar.get("css", ""),
            target_x=round(left + (right - left) * target / scale_max, 1) if target is not None else None,
        ))
    return chart


def stacked_bar(segments: list[dict], *, height: int = 40, width: int = BAR_WIDTH) -> Chart:
    """One bar split into segments (label, value, url, title, css), e.g. placement verdicts."""
    total = sum(s["value"] for s in segments)
    chart = Chart(width, height, plot=(0, 0, width, height))
    x = 0.0
    for segment in segments:
        if not segment["value"]:
            continue
        segment_width = width * segment["value"] / total
        chart.marks.append(Mark(x=round(x, 1), y=0, w=round(segment_width, 1), h=height, url=segment["url"],
                                title=segment["title"], label=segment["label"], css=segment.get("css", ""),
                                value_text=str(segment["value"])))
        x += segment_width
    return chart


def _shorten(text: str, limit: int) -> str:
    """At most ``limit`` columns, where a Chinese (wide) character takes two: 28 of them would be twice
    the label column's width and run under the bars."""
    widths = [2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text]
    if sum(widths) <= limit:
        return text
    used = 0
    for i, width in enumerate(widths):
        if used + width > limit - 1:  # the ellipsis takes one column
            return text[:i] + "…"
        used += width
    return text
