"""Reading uploaded CSV files the same way everywhere (claims, sales): pure, bytes in, cells and dates out.

Encodings: UTF-8 with or without a BOM; UTF-16 with a BOM (Excel's "Unicode text"); GB18030 (what
Excel on Chinese Windows writes for plain "CSV", GBK being a subset). Nothing else is guessed: GB18030
decodes most byte soups, so a file is read as GB18030 only when the result looks like Chinese text (see
``_looks_chinese``); a Windows-1252 file is refused with the fix rather than turned into ideographs.

Delimiter: comma, semicolon (European Excel) or tab ("Unicode text"), whichever the header line uses most.

Dates: one format per file, chosen by how many of the file's dates it reads: YYYY-MM-DD, DD.MM.YYYY,
DD/MM/YYYY, MM/DD/YYYY, YYYY/MM/DD. When day/month and month/day read equally many (every day <= 12) the
file is refused: guessing would put a whole file's sales or claims a month off without anyone noticing.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class CsvFileError(ValueError):
    """The file as a whole cannot be read; the message says why and what to do, in the sender's words."""


class EncodingError(CsvFileError):
    """No accepted encoding reads the file; an importer that takes an explicit encoding may add a hint."""


# --- decoding ---------------------------------------------------------------------------------------------

# Messages are written when a file is imported, in the language of the request that sent it.
ENCODINGS_TRIED = gettext_lazy("UTF-8, UTF-16 (with a byte-order mark) and GB18030 (Chinese Excel's 'CSV')")
SAVE_AS = gettext_lazy("Save it as 'CSV UTF-8 (comma delimited)' and import it again.")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_SPREADSHEETS = {b"PK\x03\x04": gettext_lazy("an Excel workbook (.xlsx)"),
                 b"\xd0\xcf\x11\xe0": gettext_lazy("an Excel 97-2003 workbook (.xls)")}
# Share of the non-ASCII characters that must be common simplified Chinese (GB2312) for a GB18030 reading
# to be believed. Latin-1 bytes followed by ASCII letters decode to rare GBK ideographs, so a Western file
# scores near 0; a Chinese file with a rare character in a name or two still scores near 1.
_COMMON_SHARE = 0.9
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def decode(raw: bytes) -> str:
    """The text of an uploaded file, or :class:`CsvFileError` naming the encodings tried and the fix."""
    for magic, kind in _SPREADSHEETS.items():
        if raw.startswith(magic):
            raise CsvFileError(
                _("The file is %(kind)s, not a CSV file. In Excel use Save As, choose 'CSV UTF-8 (comma "
                  "delimited)' and import that file.") % {"kind": kind}
            )
    if raw.startswith(_UTF16_BOMS):
        try:
            text = raw.decode("utf-16")  # the BOM says which byte order, and is dropped
        except UnicodeDecodeError as exc:
            raise CsvFileError(
                _("The file starts like UTF-16 but byte %(byte)s is not valid UTF-16 (%(error)s). %(save_as)s") % {
                    "byte": exc.start, "error": exc.reason, "save_as": SAVE_AS}
            ) from None
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            # A UTF-8 BOM promises UTF-8: a broken file with one is not re-read as something else.
            chinese = None if raw.startswith(codecs.BOM_UTF8) else _gb18030(raw)
            if chinese is None:
                raise EncodingError(_undecodable(raw, exc.start)) from None
            text = chinese
    if "\x00" in text:
        raise CsvFileError(
            _("The file is not UTF-8 text: it has NUL bytes, as UTF-16 without a byte-order mark or a "
              "spreadsheet file has. %(save_as)s") % {"save_as": SAVE_AS}
        )
    return text


def _gb18030(raw: bytes) -> str | None:
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        return None
    return text if _looks_chinese(text) else None


def _looks_chinese(text: str) -> bool:
    counts: dict[str, int] = {}
    for char in _NON_ASCII.findall(text):
        counts[char] = counts.get(char, 0) + 1
    total = sum(counts.values())
    common = sum(n for char, n in counts.items() if _in_gb2312(char))
    return total > 0 and common >= _COMMON_SHARE * total


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _undecodable(raw: bytes, position: int) -> str:
    line = raw.count(b"\n", 0, position) + 1
    byte = raw[position : position + 1].hex()
    return _(
        "The file is not UTF-8: line %(line)s has byte 0x%(byte)s, and it does not read as UTF-16 or GB18030 "
        "either (tried %(tried)s); bytes like this are typical of Windows-1252/Latin-1 exports. "
        "Save it as 'CSV UTF-8 (comma delimited)' (or convert it with `iconv -f cp1252 -t utf-8`) "
        "and import it again."
    ) % {"line": line, "byte": byte, "tried": ENCODINGS_TRIED}


# --- cells ------------------------------------------------------------------------------------------------

DELIMITERS = (",", ";", "\t")  # in order of preference when a header uses two equally often
DELIMITER_NAMES = {",": gettext_lazy("comma"), ";": gettext_lazy("semicolon"), "\t": gettext_lazy("tab")}


@dataclass
class Table:
    """A file's header (normalised) and its non-blank lines as (line number, cells), read lazily."""

    header: list[str]
    delimiter: str
    rows: Iterator[tuple[int, list[str]]]


def read_table(raw: bytes | str) -> Table:
    """Decode, find the delimiter and read the header; ``header`` is [] for an empty file.

    Iterating ``rows`` raises :class:`CsvFileError` (with the line) when the CSV itself is broken.
    Line numbers are the file's: the header is line 1 unless blank lines come before it.
    """
    text = decode(raw) if isinstance(raw, bytes) else raw.removeprefix("\ufeff")
    delimiter = sniff_delimiter(_first_line(text))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    rows = _records(reader)
    header = next(rows, None)
    return Table(header=normalise_header(header[1]) if header else [], delimiter=delimiter, rows=rows)


def sniff_delimiter(line: str) -> str:
    """The delimiter the header line uses most (outside double quotes); comma when it uses none."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=counts.__getitem__)
    return best if counts[best] else ","


def normalise_header(cells: Iterable[str]) -> list[str]:
    """Column names as the importers look them up: case and surrounding spaces do not matter."""
    return [cell.replace("\ufeff", "").strip().lower() for cell in cells]


def _first_line(text: str) -> str:
    for line in io.StringIO(text):
        if line.strip():
            return line
    return ""


def _records(reader) -> Iterator[tuple[int, list[str]]]:
    # Blank lines (Excel often leaves some at the end) are neither a header nor data.
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield reader.line_num, cells
    except csv.Error as exc:
        raise CsvFileError(
            _("The file is not valid CSV near line %(line)s: %(error)s; look for a stray double quote.") % {
                "line": reader.line_num, "error": exc}
        ) from None


# --- dates ------------------------------------------------------------------------------------------------

ISO_FORMAT = "%Y-%m-%d"
DATE_FORMATS = (ISO_FORMAT, "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y", "%Y/%m/%d")
FORMAT_LABELS = {
    "%Y-%m-%d": "YYYY-MM-DD",
    "%d.%m.%Y": "DD.MM.YYYY",
    "%d/%m/%Y": "DD/MM/YYYY",
    "%m/%d/%Y": "MM/DD/YYYY",
    "%Y/%m/%d": "YYYY/MM/DD",
}
# What each format looks like, checked before strptime so that "2025-02-30" is told apart from "tomorrow",
# and so that ISO week dates or non-ASCII digits, which the fast paths would accept, are not.
_SHAPES = {
    "%Y-%m-%d": re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"),
    "%d.%m.%Y": re.compile(r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}"),
    "%d/%m/%Y": re.compile(r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}"),
    "%m/%d/%Y": re.compile(r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}"),
    "%Y/%m/%d": re.compile(r"[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}"),
}
_DAY_MONTH = {"%d/%m/%Y", "%m/%d/%Y"}


class DateValueError(ValueError):
    """One date cell is wrong. The message follows the column name: ``f"{column} {error}"``."""


def choose_date_format(values: Iterable[str]) -> tuple[str | None, str | None]:
    """(the file's date format, None); (None, why) when day/month order cannot be told; (None, None) when
    no value is a date in any accepted format."""
    values = [value for value in values if value]
    distinct = set(values)
    counts = {fmt: sum(1 for text in distinct if _parses(text, fmt)) for fmt in DATE_FORMATS}
    best = max(counts.values(), default=0)
    if best == 0:
        return None, None
    winners = [fmt for fmt in DATE_FORMATS if counts[fmt] == best]
    if _DAY_MONTH <= set(winners):
        example = next(text for text in values if all(_parses(text, fmt) for fmt in _DAY_MONTH))
        return None, (
            _("Dates like %(example)s could be day/month or month/day, and no date in the file settles which; "
              "write them as YYYY-MM-DD.") % {"example": repr(example)}
        )
    return winners[0], None


def date_parser(fmt: str) -> Callable[[str], date]:
    """A parser for the file's format that raises :class:`DateValueError` saying what is wrong."""
    label = FORMAT_LABELS[fmt]
    cache: dict[str, date] = {}  # sales files repeat each date once per store x SKU

    def parse(text: str) -> date:
        value = cache.get(text)
        if value is not None:
            return value
        if not text:
            # Translators: follows a column name, e.g. "period_start is empty."
            raise DateValueError(_("is empty."))
        if not _SHAPES[fmt].fullmatch(text):
            if any(shape.fullmatch(text) for shape in _SHAPES.values()):
                raise DateValueError(
                    _("%(value)s is not in the file's format (%(format)s); use one date format for the whole "
                      "file.") % {"value": repr(text), "format": label}
                )
            raise DateValueError(_("%(value)s is not a date: write it as YYYY-MM-DD, e.g. 2026-03-31.") % {
                "value": repr(text)})
        try:
            value = datetime.strptime(text, fmt).date()
        except ValueError:
            raise DateValueError(_("%(value)s is not a real calendar date (%(format)s).") % {
                "value": repr(text), "format": label}) from None
        cache[text] = value
        return value

    return parse


def _parses(text: str, fmt: str) -> bool:
    if not _SHAPES[fmt].fullmatch(text):
        return False
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True
