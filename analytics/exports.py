"""Any analytics table as CSV or XLSX, with the filters that produced it written alongside."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from analytics.tables import Table

FORMATS = {"csv", "xlsx"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A cell starting with one of these is a formula to a spreadsheet: store names are user input.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells (CSV injection); numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def filename_for(table: Table, fmt: str) -> str:
    slug = re.sub(r"[^a-z0-9-]+", "-", table.name.lower()).strip("-") or "table"
    return f"shelfai-{slug}-{timezone.localdate():%Y%m%d}.{fmt}"


def table_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.label for c in table.columns])
    for row in table.export_rows():
        writer.writerow([_csv_cell(v) for v in row])
    # A BOM so spreadsheet programs read the file as UTF-8 (store names are not all ASCII).
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return safe_text(value)


def table_xlsx(table: Table, *, filters_text: str = "") -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=table.title[:31] or "Table")
    bold = Font(bold=True)
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=column.label)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in table.export_rows():
        sheet.append([safe_text(v) for v in row])
    if filters_text:
        about = workbook.create_sheet(title="Filters")
        about.append(["Exported", timezone.localtime().replace(tzinfo=None)])
        about.append(["Filters", filters_text])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def table_response(table: Table, fmt: str, *, filters_text: str = "") -> HttpResponse:
    """An attachment response for ``table`` in ``fmt`` (csv or xlsx)."""
    if fmt == "xlsx":
        body, content_type = table_xlsx(table, filters_text=filters_text), XLSX_TYPE
    else:
        body, content_type = table_csv(table), "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename_for(table, fmt)}"'
    return response
