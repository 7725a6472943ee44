"""Every table downloads as CSV and XLSX with the same filters and all its rows."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from shelfai.stores.models import Store
from tests.analytics.factories import photo_with_boxes, scored_visit

TODAY = timezone.localdate()


@pytest.fixture
def twelve_stores(world, products):
    """More stores than the dashboard's top 10, one with a name a spreadsheet would run as a formula."""
    for i in range(12):
        store = Store.objects.create(code=f"x{i}", name=f"=HYPERLINK(\"evil\") {i}" if i == 0 else f"Store {i:02d}",
                                     region=world.region, retailer=world.retailer, latitude=50, longitude=10)
        scored_visit(store=store, rep=world.users["rep"], day=TODAY - timedelta(days=1), score=50 + i,
                     observations={products["gold900"]: (0, 2, i % 2 == 0)})


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_worst_stores_csv_has_every_store_not_only_the_top_ten(marketing_client, twelve_stores):
    response = marketing_client.get("/analytics/", {"export": "worst_stores", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][:5] == ["Store", "Code", "Region", "Retailer", "Average score"]
    assert len(rows) == 1 + 12
    assert [float(r[4]) for r in rows[1:]] == sorted(float(r[4]) for r in rows[1:])


def test_a_formula_in_a_store_name_is_neutralised(marketing_client, twelve_stores):
    rows = read_csv(marketing_client.get("/analytics/", {"export": "worst_stores", "format": "csv"}))
    assert any(r[0].startswith("'=HYPERLINK") for r in rows)
    assert not any(r[0].startswith("=") for r in rows)


def test_xlsx_keeps_numbers_as_numbers_and_records_the_filters(marketing_client, twelve_stores):
    response = marketing_client.get("/analytics/", {"export": "out_of_stock", "format": "xlsx", "region": "north"})
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    header, first = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert header == ["SKU", "Product", "Brand", "Visits out of stock", "Visits checked", "Out-of-stock rate"]
    assert first[0] == "gold-900" and first[3] == 6 and first[4] == 12
    assert first[5] == pytest.approx(0.5)
    filters = {row[0].value: row[1].value for row in book["Filters"].iter_rows()}
    assert "region North" in filters["Filters"]


def test_the_visit_list_exports_every_row_not_one_page(marketing_client, world, products):
    for i in range(55):
        scored_visit(store=world.store, rep=world.users["rep"], day=TODAY - timedelta(days=i % 20), score=i)
    page = marketing_client.get("/analytics/visits/")
    assert len(page.context["tables"]["visits"].rows) == 50
    rows = read_csv(marketing_client.get("/analytics/visits/", {"export": "visits", "format": "csv", "page": "2"}))
    assert len(rows) == 1 + 55


def test_a_photo_s_detections_export(marketing_client, world, products):
    visit = scored_visit(store=world.store, rep=world.users["rep"], day=TODAY, score=80)
    photo = photo_with_boxes(visit, boxes=[(1, 2, 30, 40, products["gold900"]), (40, 2, 70, 40, None)])
    rows = read_csv(marketing_client.get(f"/analytics/photos/{photo.public_id}/",
                                         {"export": "detections", "format": "csv"}))
    assert [r[0] for r in rows[1:]] == ["gold-900", ""]
    assert rows[1][6:] == ["1", "2", "30", "40"]  # whole pixels


def test_every_table_on_the_page_has_its_export_links(marketing_client, twelve_stores):
    html = marketing_client.get("/analytics/").content.decode()
    for name in ["worst_stores", "out_of_stock", "share_of_shelf", "placements", "score_trend"]:
        assert f"export={name}&amp;format=csv" in html and f"export={name}&amp;format=xlsx" in html


def test_an_unknown_table_or_format_is_a_404(marketing_client, twelve_stores):
    assert marketing_client.get("/analytics/", {"export": "salaries", "format": "csv"}).status_code == 404
    assert marketing_client.get("/analytics/", {"export": "worst_stores", "format": "exe"}).status_code == 404
