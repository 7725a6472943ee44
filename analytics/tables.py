"""A table as data: what a page shows and what CSV/XLSX exports write come from the same object."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from shelfai import formats

# How many decimals an export keeps per kind: what the figure can honestly carry, not 13 digits of float.
EXPORT_PLACES = {"float": 2, "ratio": 3, "pct": 4, "money": 2, "latlon": 6}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text | int | px | float | ratio | money | pct | latlon | date | datetime | thumbs

    @property
    def numeric(self) -> bool:
        return self.kind in {"int", "px", "float", "ratio", "money", "pct", "latlon"}

    @property
    def exported(self) -> bool:
        """Thumbnails are links to pictures: a spreadsheet gets nothing useful from them."""
        return self.kind != "thumbs"


@dataclass
class Table:
    """Rows are dicts keyed by column; ``_url`` in a row makes the row a drill-down link."""

    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    empty_text: str = field(default_factory=lambda: _("Nothing matches these filters."))
    note: str = ""

    @property
    def export_columns(self) -> list[Column]:
        return [c for c in self.columns if c.exported]

    def cells(self, row: dict[str, Any]) -> list[tuple[str, bool]]:
        """Display text for each cell of ``row`` and whether it is numeric (right-aligned)."""
        return [(format_value(row.get(c.key), c.kind), c.numeric) for c in self.columns]

    def _cell_html(self, column: Column, row: dict[str, Any]) -> str:
        if column.kind == "thumbs":
            return f'<td class="thumbs">{thumbs_html(row.get(column.key) or [])}</td>'
        text = escape(format_value(row.get(column.key), column.kind))
        return f'<td class="num">{text}</td>' if column.numeric else f"<td>{text}</td>"

    def html_rows(self) -> list[SafeString]:
        """Each row as ready ``<tr>`` HTML: the first cell is the row's header and its drill-down link.

        Built here rather than in the template because a dashboard shows ~1,000 cells and the
        template engine spends ~0.1 ms on each; every value is escaped.
        """
        out = []
        for row in self.rows:
            url, lead = row.get("_url"), self.columns[0]
            first = escape(format_value(row.get(lead.key), lead.kind))
            if lead.kind == "thumbs":  # the pictures are the row's links
                head = thumbs_html(row.get(lead.key) or [])
            else:
                head = f'<a href="{escape(url)}">{first}</a>' if url else first
            rest = "".join(self._cell_html(c, row) for c in self.columns[1:])
            out.append(mark_safe(f'<tr><th scope="row">{head}</th>{rest}</tr>'))  # every part escaped above
        return out

    def export_rows(self) -> list[list[Any]]:
        """Values for the spreadsheet: numbers stay numbers, rounded to what they can carry (``EXPORT_PLACES``;
        pixels to the whole pixel); percentages as fractions; times aware, in the site's zone."""
        columns = self.export_columns
        return [[export_value(row.get(c.key), c.kind) for c in columns] for row in self.rows]


def thumbs_html(thumbs: list[dict]) -> str:
    """Small pictures, each a link to its photo page: ``{"url", "src", "alt"}`` (every part escaped)."""
    return "".join(
        f'<a class="thumb" href="{escape(t["url"])}"><img src="{escape(t["src"])}" alt="{escape(t["alt"])}" '
        f'width="64" height="48" loading="lazy"></a>' for t in thumbs
    )


def format_value(value: Any, kind: str) -> str:
    """What a cell shows, through ``shelfai.formats`` (Django's locale formatting) like every page."""
    if value is None or value == "":
        return formats.DASH
    if kind == "pct":
        return formats.percent(value, 1)
    if kind == "money":
        return formats.money(value)
    if kind == "ratio":
        return formats.number(value, 2)
    if kind == "float":
        return formats.number(value, 1)
    if kind in ("int", "px"):
        return formats.number(value, 0)
    if kind == "latlon":
        return formats.number(value, 6)
    if kind == "datetime" and isinstance(value, datetime):
        return formats.moment(value)
    if kind == "date" and isinstance(value, date):
        return formats.day(value)
    if kind == "thumbs":
        return str(len(value))
    return str(value)


def export_value(value: Any, kind: str = "text") -> Any:
    if value is None or value == "":
        return None
    if kind in ("int", "px") and isinstance(value, (int, float, Decimal)):
        return int(round(float(value)))
    if kind in EXPORT_PLACES and isinstance(value, (int, float, Decimal)):
        return round(float(value), EXPORT_PLACES[kind])
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return timezone.localtime(value) if timezone.is_aware(value) else value
    return value
