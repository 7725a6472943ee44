"""Every kind of bad sales file is refused with a message naming the line and the fix. Pure: no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from forecasting.csv_import import parse_sales_csv
from tests.forecasting.conftest import sales_csv


def test_it_reads_a_good_file_with_optional_columns():
    parsed = parse_sales_csv(
        sales_csv(["2025-03-01,s1,chips-150,12,2.49,1,0.5", "2025-03-02,s1,chips-150,7,,0,"])
    )
    assert parsed.ok, parsed.report()
    first, second = parsed.rows
    assert (first.date, first.store, first.sku, first.units) == (
        date(2025, 3, 1),
        "s1",
        "chips-150",
        Decimal(12),
    )
    assert (first.price, first.promo, first.display) == (Decimal("2.49"), True, 0.5)
    assert (second.price, second.promo, second.display) == (None, False, 0.0)


def test_it_accepts_a_bom_and_header_case_and_spaces():
    raw = "\ufeffDate, Store ,SKU,Units\n2025-03-01,s1,chips-150,3\n".encode()
    parsed = parse_sales_csv(raw)
    assert parsed.ok and parsed.rows[0].units == Decimal(3)


def test_it_refuses_a_missing_column_and_says_which():
    parsed = parse_sales_csv(sales_csv(["2025-03-01,s1,chips-150"], header="date,store,sku"))
    assert not parsed.ok
    assert "line 1: missing column(s) units" in parsed.errors[0]


def test_it_refuses_mixed_date_formats_naming_the_odd_line():
    lines = ["2025-03-01,s1,chips-150,1", "2025-03-02,s1,chips-150,2", "03/04/2025,s1,chips-150,3"]
    parsed = parse_sales_csv(sales_csv(lines, header="date,store,sku,units"))
    assert not parsed.ok
    assert parsed.errors == [
        "line 4: date '03/04/2025' is not in the file's format (YYYY-MM-DD); "
        "use one date format for the whole file."
    ]


def test_it_refuses_ambiguous_day_month_dates():
    parsed = parse_sales_csv(sales_csv(["03/04/2025,s1,chips-150,1"], header="date,store,sku,units"))
    assert not parsed.ok and "YYYY-MM-DD" in parsed.errors[0]


def test_it_reads_an_unambiguous_european_file():
    parsed = parse_sales_csv(
        sales_csv(["25.03.2025,s1,chips-150,1", "26.03.2025,s1,chips-150,1"], header="date,store,sku,units")
    )
    assert parsed.ok and parsed.rows[0].date == date(2025, 3, 25) and parsed.date_format == "DD.MM.YYYY"


def test_it_refuses_duplicate_and_conflicting_rows_naming_both_lines():
    lines = ["2025-03-01,s1,chips-150,4", "2025-03-01,s1,chips-150,4", "2025-03-01,s1,chips-150,5"]
    parsed = parse_sales_csv(sales_csv(lines, header="date,store,sku,units"))
    assert parsed.errors[0].startswith(
        "line 3: repeats line 2 (same date 2025-03-01, store s1, sku chips-150)"
    )
    assert parsed.errors[1].startswith("line 4: conflicts with line 2")


def test_it_refuses_negative_units():
    parsed = parse_sales_csv(sales_csv(["2025-03-01,s1,chips-150,-3"], header="date,store,sku,units"))
    assert parsed.errors == ["line 2: units is negative (-3); sales files hold quantities sold, not returns."]


def test_it_refuses_a_non_numeric_price_and_a_bad_flag_and_share():
    parsed = parse_sales_csv(sales_csv(["2025-03-01,s1,chips-150,3,two,maybe,1.5"]))
    assert parsed.errors == [
        "line 2: price 'two' is not a number.",
        "line 2: promo 'maybe' must be 0 or 1.",
        "line 2: display 1.5 must be between 0 and 1 (share of the period).",
    ]


def test_it_refuses_a_windows_1252_file_and_says_how_to_fix_it():
    raw = "date,store,sku,units\n2025-03-01,Müller,chips-150,3\n".encode("cp1252")
    parsed = parse_sales_csv(raw)
    assert not parsed.ok
    assert parsed.errors[0].startswith("The file is not UTF-8: line 2 has byte 0xfc")
    assert "CSV UTF-8" in parsed.errors[0]


def test_it_reads_utf16_with_a_bom_and_refuses_it_without_one():
    # Excel's "Unicode text" writes a BOM and tabs; without a BOM the byte order would be a guess.
    parsed = parse_sales_csv("date\tstore\tsku\tunits\n2025-03-01\ts1\tchips-150\t3\n".encode("utf-16"))
    assert parsed.ok and parsed.rows[0].units == Decimal(3)
    parsed = parse_sales_csv("date,store,sku,units\n".encode("utf-16-le"))
    assert "UTF-16" in parsed.errors[0]


def test_it_reports_every_bad_line_not_just_the_first():
    lines = [f"2025-03-{day:02d},s1,chips-150,-1" for day in range(1, 11)]
    parsed = parse_sales_csv(sales_csv(lines, header="date,store,sku,units"))
    assert parsed.error_count == 10 and parsed.errors[-1].startswith("line 11:")
    assert parsed.rows == [] or not parsed.ok


def test_it_refuses_numbers_too_large_for_the_database():
    parsed = parse_sales_csv(sales_csv(["2025-03-01,s1,chips-150,2000000000"], header="date,store,sku,units"))
    assert parsed.errors == ["line 2: units 2000000000 is implausibly large (the limit is 1,000,000,000)."]
