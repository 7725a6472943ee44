"""Geometry of the forecast chart (history, forecast with its interval, campaign periods and stock-outs)
for a server-rendered SVG. The template draws, this module does the arithmetic; its only texts (tick
labels, the shaded periods' titles) are written in the active language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from shelfai import formats

WIDTH, HEIGHT = 1100, 340
MARGIN = (48, 12, 12, 28)  # left, top, right, bottom


@dataclass
class Span:
    x: float
    w: float
    title: str


@dataclass
class ForecastChart:
    width: int = WIDTH
    height: int = HEIGHT
    plot: tuple[float, float, float, float] = (0, 0, 0, 0)  # left, top, right, bottom
    history_path: str = ""
    forecast_path: str = ""
    band_path: str = ""
    campaigns: list[Span] = field(default_factory=list)
    stockouts: list[Span] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    forecast_start_x: float | None = None

    @property
    def plot_height(self) -> float:
        return round(self.plot[3] - self.plot[1], 1)

    @property
    def empty(self) -> bool:
        return not self.history_path and not self.forecast_path


def _path(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(points))


def forecast_chart(history: list[dict], forecast: list[dict], *, width: int = WIDTH, height: int = HEIGHT):
    chart = ForecastChart(width=width, height=height)
    days = [row["date"] for row in history] + [row["date"] for row in forecast]
    if not days:
        return chart
    left, top = MARGIN[0], MARGIN[1]
    right, bottom = width - MARGIN[2], height - MARGIN[3]
    chart.plot = (left, top, right, bottom)
    first, last = min(days), max(days)
    span_days = max((last - first).days, 1)
    top_value = (
        max([row["units"] for row in history] + [row["yhat_upper"] for row in forecast] + [1.0]) * 1.05
    )
    step = (right - left) / span_days

    def x(day: date) -> float:
        return left + (day - first).days * step

    def y(value: float) -> float:
        return bottom - (value / top_value) * (bottom - top)

    chart.history_path = _path([(x(r["date"]), y(r["units"])) for r in history])
    chart.forecast_path = _path([(x(r["date"]), y(r["yhat"])) for r in forecast])
    if forecast:
        upper = [(x(r["date"]), y(r["yhat_upper"])) for r in forecast]
        lower = [(x(r["date"]), y(r["yhat_lower"])) for r in reversed(forecast)]
        chart.band_path = _path(upper + lower) + " Z"
        chart.forecast_start_x = round(x(forecast[0]["date"]), 1)
    rows = [(r["date"], r["promo"], r["display"]) for r in history + forecast]
    chart.campaigns = _runs(rows, lambda r: r[1] > 0 or r[2] > 0, x, step, _("Promotion or display"))
    chart.stockouts = _runs(
        [(r["date"], r["out_of_stock"]) for r in history], lambda r: r[1], x, step, _("Out of stock")
    )
    chart.y_ticks = [(round(y(top_value * i / 4), 1), f"{top_value * i / 4:.0f}") for i in range(5)]
    months = sorted({day.replace(day=1) for day in days if day.replace(day=1) >= first})
    # A tick "Aug 26" read as a day: name the month, with the year on the first tick and on Januaries.
    chart.x_ticks = [(round(x(month), 1), _month_label(month, with_year=i == 0 or month.month == 1))
                     for i, month in enumerate(months)]
    return chart


def _month_label(month: date, *, with_year: bool) -> str:
    if with_year:
        # Translators: a Django date format for a month on the forecast chart's axis, with its year ("Aug 2026").
        return date_format(month, pgettext("chart axis month and year", "M Y"))
    # Translators: a Django date format for a month on the forecast chart's axis ("Aug").
    return date_format(month, pgettext("chart axis month", "M"))


def _runs(rows, flagged, x, step: float, label: str) -> list[Span]:
    """Contiguous flagged days as shaded spans, each titled with its dates."""
    spans, start, end = [], None, None
    for row in rows + [(None,)]:
        on = row[0] is not None and flagged(row)
        if on:
            start, end = start or row[0], row[0]
        elif start is not None:
            spans.append(
                Span(
                    round(x(start), 1),
                    round(max((end - start).days + 1, 1) * step, 1),
                    _("%(what)s: %(start)s to %(end)s") % {"what": label, "start": formats.day(start),
                                                            "end": formats.day(end)},
                )
            )
            start = end = None
    return spans
