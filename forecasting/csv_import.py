"""Parse and validate a sales CSV. Pure: bytes in, rows and line-numbered problems out; no database.

The rules a planner can rely on:
- Decoding, delimiters and dates follow ``shelfai.csvfiles``, shared with the claims import: UTF-8 (a BOM
  is fine), UTF-16 with a BOM, or GB18030 from Chinese Excel; anything else is refused with a note on how
  to re-save it, because guessing an encoding silently corrupts store names and codes. Comma, semicolon
  or tab separated.
- Columns ``date``, ``store``, ``sku``, ``units`` are required; ``price``, ``promo`` (0/1), ``display``
  (0..1, the share of the period a display was up) and ``revenue`` are optional. Header case and spaces
  do not matter; unknown columns are ignored.
- One date format per file: the format that parses most lines is the file's format, and a line in any
  other format is reported (a "03/04/2024" among ISO dates is a typo or a merge of two exports).
- Each (date, store, sku) may appear once. A repeated line is reported with the line it repeats.
- Any problem means nothing is imported: the caller gets the full list (capped) and fixes the file.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from shelfai import formats
from shelfai.csvfiles import (
    DATE_FORMATS,  # noqa: F401  still importable from here, as before the rules moved to shelfai.csvfiles
    DELIMITER_NAMES,
    FORMAT_LABELS,
    CsvFileError,
    DateValueError,
    EncodingError,
    choose_date_format,
    date_parser,
    decode,  # noqa: F401  as above
    read_table,
)

REQUIRED_COLUMNS = ("date", "store", "sku", "units")
OPTIONAL_COLUMNS = ("price", "promo", "display", "revenue")
# Both the command (--encoding) and the upload API (encoding field) can read other encodings.
ENCODING_HINT = gettext_lazy(
    "Or pass the file's encoding explicitly (import_sales --encoding, or the API's encoding field)."
)
MAX_REPORTED_ERRORS = 200
DATE_SAMPLE = 5000  # lines read to settle the file's date format
_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"0", "false", "no", "n", ""}


@dataclass(frozen=True, slots=True)
class SalesRow:
    line: int
    date: date
    store: str
    sku: str
    units: Decimal
    price: Decimal | None
    promo: bool
    display: float
    revenue: Decimal | None


@dataclass
class ParsedSales:
    rows: list[SalesRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    columns: tuple[str, ...] = ()
    date_format: str | None = None

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add_error(self, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(message)

    def report(self) -> str:
        """The validation report: every problem (up to the cap), one per line."""
        lines = list(self.errors)
        if self.error_count > len(self.errors):
            more = self.error_count - len(self.errors)
            lines.append(ngettext("... and %(n)s more problem.", "... and %(n)s more problems.", more) % {"n": more})
        return "\n".join(lines)


def _cell_facts(line: int, name: str, text: str) -> dict:
    """A cell's line, column and value, for a message: ``text`` quoted as the file has it, ``value`` bare."""
    return {"line": line, "name": name, "text": repr(text), "value": text}


# What the database columns hold (units numeric(12,3), price numeric(10,2), revenue numeric(14,2)).
LIMITS = {"units": Decimal("1e9"), "price": Decimal("1e8"), "revenue": Decimal("1e12")}


def _number(text: str, name: str, line: int, result: ParsedSales) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        result.add_error(_("line %(line)s: %(name)s %(text)s is not a number.") % _cell_facts(line, name, text))
        return None
    if not value.is_finite():
        result.add_error(_("line %(line)s: %(name)s %(text)s is not a finite number.") % _cell_facts(line, name, text))
        return None
    if value < 0:
        result.add_error(
            _("line %(line)s: %(name)s is negative (%(value)s); sales files hold quantities sold, not returns.")
            % _cell_facts(line, name, text)
        )
        return None
    if value >= LIMITS[name]:
        result.add_error(
            _("line %(line)s: %(name)s %(value)s is implausibly large (the limit is %(limit)s).")
            % {**_cell_facts(line, name, text), "limit": formats.number(LIMITS[name])}
        )
        return None
    return value


def _flag(text: str, line: int, result: ParsedSales) -> bool | None:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    result.add_error(_("line %(line)s: promo %(text)s must be 0 or 1.") % _cell_facts(line, "promo", text))
    return None


def _share(text: str, line: int, result: ParsedSales) -> float | None:
    if text == "":
        return 0.0
    try:
        value = float(text)
    except ValueError:
        result.add_error(
            _("line %(line)s: display %(text)s is not a number between 0 and 1.") % _cell_facts(line, "display", text)
        )
        return None
    if not 0.0 <= value <= 1.0:
        result.add_error(_("line %(line)s: display %(value)s must be between 0 and 1 (share of the period).")
                         % _cell_facts(line, "display", text))
        return None
    return value


def parse_sales_csv(raw: bytes | str) -> ParsedSales:
    """Validate every line; ``rows`` is only meaningful when ``ok``."""
    result = ParsedSales()
    try:
        _parse(raw, result)
    except EncodingError as exc:
        result.add_error(f"{exc} {ENCODING_HINT}")
    except CsvFileError as exc:
        result.add_error(str(exc))
    return result


def _parse(raw: bytes | str, result: ParsedSales) -> None:
    table = read_table(raw)
    columns = table.header
    if not columns:
        result.add_error(_("line 1: the file is empty; expected a header line with date,store,sku,units."))
        return
    result.columns = tuple(c for c in columns if c in REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        result.add_error(
            _("line 1: missing column(s) %(missing)s; found %(found)s. Required: %(required)s; optional: "
              "%(optional)s.")
            % {"missing": ", ".join(missing), "found": ", ".join(columns), "required": ", ".join(REQUIRED_COLUMNS),
               "optional": ", ".join(OPTIONAL_COLUMNS)}
        )
        return
    index = {name: columns.index(name) for name in result.columns}
    # Stream the lines: only the first few thousand are held to settle the date format.
    head = list(itertools.islice(table.rows, DATE_SAMPLE))
    if not head:
        result.add_error(_("The file has a header but no data lines."))
        return
    fmt, problem = choose_date_format([_cell(cells, index["date"]) for _, cells in head])
    if problem:
        result.add_error(problem)
        return
    if fmt is None:
        result.add_error(_("line %(line)s: no recognisable dates; write them as YYYY-MM-DD.") % {"line": head[0][0]})
        return
    result.date_format = FORMAT_LABELS[fmt]
    separator = DELIMITER_NAMES[table.delimiter]
    _parse_records(itertools.chain(head, table.rows), index, date_parser(fmt), separator, result)


def _cell(cells: list[str], position: int | None) -> str:
    if position is None or position >= len(cells):
        return ""
    return cells[position].strip()


def _values(row: SalesRow) -> tuple:
    return (row.units, row.price, row.promo, row.display, row.revenue)


def _parse_records(
    records: Iterable[tuple[int, list[str]]],
    index: dict[str, int],
    parse_date: Callable[[str], date],
    separator: str,
    result: ParsedSales,
) -> None:
    seen: dict[tuple[date, str, str], int] = {}  # key -> position in result.rows
    needed = max(index[name] for name in REQUIRED_COLUMNS) + 1
    for line, cells in records:
        if len(cells) < needed:
            result.add_error(
                _("line %(line)s: has %(n)s fields, fewer than the header; is a %(separator)s missing?")
                % {"line": line, "n": len(cells), "separator": separator}
            )
            continue
        row = _parse_line(line, cells, index, parse_date, result)
        if row is None:
            continue
        key = (row.date, row.store, row.sku)
        position = seen.get(key)
        if position is not None:
            first = result.rows[position]
            facts = {"line": line, "first": first.line, "date": row.date, "store": row.store, "sku": row.sku}
            if _values(first) == _values(row):
                message = _("line %(line)s: repeats line %(first)s (same date %(date)s, store %(store)s, sku "
                            "%(sku)s); keep one line per store, SKU and date.")
            else:
                message = _("line %(line)s: conflicts with line %(first)s (same date %(date)s, store %(store)s, "
                            "sku %(sku)s); keep one line per store, SKU and date.")
            result.add_error(message % facts)
            continue
        seen[key] = len(result.rows)
        result.rows.append(row)


def _parse_line(line: int, cells: list[str], index: dict[str, int], parse_date, result: ParsedSales):
    errors_before = result.error_count
    date_text = _cell(cells, index["date"])
    try:
        day = parse_date(date_text)
    except DateValueError as exc:
        # Translators: the date's problem comes from the shared CSV rules (shelfai.csvfiles).
        result.add_error(_("line %(line)s: date %(problem)s") % {"line": line, "problem": exc})
        day = None
    store, sku = _cell(cells, index["store"]), _cell(cells, index["sku"])
    if not store:
        result.add_error(_("line %(line)s: store code is empty.") % {"line": line})
    if not sku:
        result.add_error(_("line %(line)s: sku is empty.") % {"line": line})
    units_text = _cell(cells, index["units"])
    units = _number(units_text, "units", line, result) if units_text else None
    if not units_text:
        result.add_error(_("line %(line)s: units is empty.") % {"line": line})
    price_text = _cell(cells, index.get("price"))
    price = _number(price_text, "price", line, result) if price_text else None
    revenue_text = _cell(cells, index.get("revenue"))
    revenue = _number(revenue_text, "revenue", line, result) if revenue_text else None
    promo = _flag(_cell(cells, index.get("promo")), line, result)
    display = _share(_cell(cells, index.get("display")), line, result)
    if result.error_count > errors_before:
        return None
    return SalesRow(line, day, store, sku, units, price, bool(promo), float(display), revenue)
