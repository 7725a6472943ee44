"""Any analytics table as CSV or XLSX, with the filters that produced it written alongside.

Who reads these: marketing, in a spreadsheet program; no importer or ERP reads them back (finance's ERP
file is the claims export, whose headers stay English). So the column headers, the sheet names and the
"Filters" sheet are in the user's language, while the columns keep the table's fixed ORDER and the
values stay machine-readable (numbers as numbers, ISO dates and times in CSV), in every language.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from analytics.tables import Column, Table

FORMATS = {"csv", "xlsx"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A cell starting with one of these is a formula to a spreadsheet: store names are user input.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells (CSV injection); numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


# Spreadsheet number formats per column kind: a rate is a percentage in the sheet as on the screen.
XLSX_FORMATS = {"pct": "0.0%", "money": "#,##0.00", "ratio": "0.00", "float": "0.0", "int": "#,##0", "px": "0",
                "latlon": "0.000000", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss"}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def filename_for(table: Table, fmt: str, *, subject: str = "", filters: str = "") -> str:
    """What the file holds, of what, for which filter, exported when:
    ``shelfai-photo-1a2b3c4d-detections-2026-12-04.csv`` (subject "photo 1a2b3c4d"),
    ``shelfai-worst-stores-north-2026-09-06-to-2026-12-04-2026-12-04.xlsx`` (filters "north 2026-09-06 to ...").
    """
    parts = ["shelfai", slug(subject), slug(table.name) or "table", slug(filters), f"{timezone.localdate():%Y-%m-%d}"]
    return "-".join(p for p in parts if p) + f".{fmt}"


def table_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.label for c in table.export_columns])
    for row in table.export_rows():
        writer.writerow([_csv_cell(v) for v in row])
    # A BOM so spreadsheet programs read the file as UTF-8 (store names are not all ASCII).
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_cell(value: Any) -> Any:
    """ISO 8601 for times, to the second and with the zone's offset (a reader in another zone gets the
    same instant); numbers as rounded by the table; text safe from formulas."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return safe_text(value)


def _xlsx_cell(sheet, value: Any, column: Column) -> Any:
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value).replace(tzinfo=None)  # a spreadsheet has no zones: the site's
    if value is None or column.kind not in XLSX_FORMATS or isinstance(value, str):
        return safe_text(value)
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = XLSX_FORMATS[column.kind]
    return cell


def table_xlsx(table: Table, *, filters_text: str = "") -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(table.title) or _("Table"))
    bold = Font(bold=True)
    header = []
    for column in table.export_columns:
        cell = WriteOnlyCell(sheet, value=column.label)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    columns = table.export_columns
    for row in table.export_rows():
        sheet.append([_xlsx_cell(sheet, v, c) for v, c in zip(row, columns, strict=True)])
    if filters_text:
        about = workbook.create_sheet(title=_sheet_title(_("Filters")))
        exported = WriteOnlyCell(about, value=timezone.localtime().replace(tzinfo=None, microsecond=0))
        exported.number_format = XLSX_FORMATS["datetime"]
        about.append([_("Exported"), exported])
        about.append([_("Filters"), filters_text])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_title(text: str) -> str:
    r"""A sheet name Excel accepts: at most 31 characters, none of ``[]:*?/\``."""
    return re.sub(r"[\[\]:*?/\\]", " ", str(text))[:31].strip()


def table_response(table: Table, fmt: str, *, filters_text: str = "", subject: str = "", filters: str = ""
                   ) -> HttpResponse:
    """An attachment response for ``table`` in ``fmt`` (csv or xlsx); ``subject`` names it (see filename_for)."""
    if fmt == "xlsx":
        body, content_type = table_xlsx(table, filters_text=filters_text), XLSX_TYPE
    else:
        body, content_type = table_csv(table), "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    name = filename_for(table, fmt, subject=subject, filters=filters)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
