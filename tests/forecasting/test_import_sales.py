"""Importing sales: unknown codes refused with the list, a bad file imports nothing, re-imports update."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from forecasting.models import SalesRecord
from forecasting.services import sales_import
from tests.forecasting.conftest import sales_csv

GOOD = [
    "2025-03-01,s1,chips-150,12,2.49,1,0.5",
    "2025-03-01,s2,chips-150,7,2.49,0,0",
    "2025-03-02,s1,nuts-200,3,,0,",
]


def test_it_imports_a_good_file(catalog):
    result = sales_import(raw=sales_csv(GOOD))
    assert result.ok and result.rows == 3
    record = SalesRecord.objects.get(store=catalog.store, product=catalog.chips)
    assert (record.units, record.price, record.promo, record.display) == (
        Decimal(12),
        Decimal("2.49"),
        True,
        0.5,
    )


def test_reimporting_the_same_rows_updates_them_and_never_doubles(catalog):
    sales_import(raw=sales_csv(GOOD))
    corrected = ["2025-03-01,s1,chips-150,15,2.29,1,1"]
    assert sales_import(raw=sales_csv(corrected)).ok
    assert sales_import(raw=sales_csv(corrected)).ok
    assert SalesRecord.objects.count() == 3
    record = SalesRecord.objects.get(store=catalog.store, product=catalog.chips)
    assert (record.units, record.price, record.display) == (Decimal(15), Decimal("2.29"), 1.0)


def test_a_reimport_without_optional_columns_keeps_the_ones_it_does_not_mention(catalog):
    sales_import(raw=sales_csv(GOOD))
    sales_import(raw=sales_csv(["2025-03-01,s1,chips-150,20"], header="date,store,sku,units"))
    record = SalesRecord.objects.get(store=catalog.store, product=catalog.chips)
    assert (record.units, record.price, record.promo) == (Decimal(20), Decimal("2.49"), True)


def test_unknown_stores_and_skus_are_refused_with_the_list_and_nothing_is_imported(catalog):
    lines = [*GOOD, "2025-03-03,s9,chips-150,1,,,", "2025-03-03,s8,crisps-1,1,,,"]
    result = sales_import(raw=sales_csv(lines))
    assert not result.ok
    assert result.errors[0] == "Unknown store code(s) (2, first on line 5): s8, s9."
    assert result.errors[1] == "Unknown SKU(s) (1, first on line 6): crisps-1."
    assert "--create-missing" in result.errors[2]
    assert SalesRecord.objects.count() == 0


def test_create_missing_adds_placeholder_stores_and_skus(catalog):
    from shelfai.stores.models import Product, Store

    result = sales_import(raw=sales_csv(["2025-03-03,s9,crisps-1,4,,,"]), create_missing=True)
    assert result.ok and result.created_stores == ["s9"] and result.created_products == ["crisps-1"]
    assert Store.objects.get(code="s9").region.code == "unassigned"
    assert SalesRecord.objects.get(store__code="s9", product=Product.objects.get(sku="crisps-1")).units == 4


def test_one_bad_line_means_nothing_is_imported(catalog):
    result = sales_import(raw=sales_csv([*GOOD, "2025-03-04,s1,chips-150,-2,,,"]))
    assert not result.ok and result.errors[0].startswith("line 5: units is negative")
    assert SalesRecord.objects.count() == 0


def test_the_command_imports_and_shows_progress(catalog, tmp_path, capsys):
    path = tmp_path / "sales.csv"
    path.write_bytes(sales_csv(GOOD))
    call_command("import_sales", str(path))
    out = capsys.readouterr().out
    assert "imported 3 of 3 rows (100%)" in out and "Imported 3 rows (dates read as YYYY-MM-DD)." in out


def test_the_command_lists_each_bad_line_and_fails(catalog, tmp_path, capsys):
    path = tmp_path / "sales.csv"
    path.write_bytes(sales_csv(["2025-03-01,s1,chips-150,x,,,", "2025-03-02,s1,chips-150,2,abc,,"]))
    with pytest.raises(CommandError, match="2 problem\\(s\\) listed above; nothing was imported"):
        call_command("import_sales", str(path))
    err = capsys.readouterr().err
    assert "line 2: units 'x' is not a number." in err and "line 3: price 'abc' is not a number." in err


def test_the_command_reads_another_encoding_when_told(catalog, tmp_path):
    path = tmp_path / "sales.csv"
    path.write_bytes("date,store,sku,units\n2025-03-01,s1,chips-150,3\n".encode("cp1252"))
    call_command("import_sales", str(path), "--encoding", "cp1252")
    assert SalesRecord.objects.count() == 1


def test_a_large_file_imports_in_batches(catalog):
    from datetime import date, timedelta

    lines = [
        f"{date(2020, 1, 1) + timedelta(days=day)},{store},{sku},{day % 17}"
        for day in range(1500)
        for store in ("s1", "s2")
        for sku in ("chips-150", "nuts-200")
    ]
    seen = []
    result = sales_import(
        raw=sales_csv(lines, header="date,store,sku,units"), progress=lambda d, t: seen.append(d)
    )
    assert result.ok and SalesRecord.objects.count() == 6000
    assert seen == [5000, 6000]
