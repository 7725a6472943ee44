"""What marketing's exports hold and are called: rates as percentages in XLSX, times to the second with
their zone, coordinates rounded, and a file name that says what, of what and when."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from shelfai.visits.models import Visit
from tests.analytics.factories import photo_with_boxes, scored_visit

TODAY = timezone.localdate()


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def filename(response) -> str:
    return re.search(r'filename="([^"]+)"', response["Content-Disposition"]).group(1)


@pytest.fixture
def two_visits(world, products):
    for store, oos in ((world.store, True), (world.other_store, False)):
        scored_visit(store=store, rep=world.users["rep"], day=TODAY - timedelta(days=1), score=70,
                     observations={products["gold900"]: (0 if oos else 3, 3, oos)})


def test_an_xlsx_rate_is_a_fraction_shown_as_a_percentage(marketing_client, two_visits):
    response = marketing_client.get("/analytics/", {"export": "out_of_stock", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rate = sheet.cell(row=2, column=6)
    assert sheet.cell(row=1, column=6).value == "Out-of-stock rate"
    assert rate.value == pytest.approx(0.5) and rate.number_format == "0.0%"  # 50.0 % in the sheet, as on screen
    assert sheet.cell(row=2, column=4).number_format == "#,##0"


def test_csv_times_are_iso_to_the_second_with_the_zone(marketing_client, world, two_visits):
    visit = Visit.objects.filter(store=world.store).get()
    moment = visit.started_at.replace(microsecond=123456)
    Visit.objects.filter(pk=visit.pk).update(started_at=moment)
    rows = read_csv(marketing_client.get("/analytics/visits/", {"export": "visits", "format": "csv"}))
    assert rows[0][0] == "Checked in" and "Photos" not in rows[0]  # thumbnails are not exported
    times = [r[0] for r in rows[1:]]
    expected = timezone.localtime(moment).replace(microsecond=0).isoformat()
    assert expected in times
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", t) for t in times), times


def test_box_coordinates_are_whole_pixels_and_an_unknown_product_has_no_sku_confidence(
        marketing_client, world, products):
    visit = scored_visit(store=world.store, rep=world.users["rep"], day=TODAY, score=80, photos=0)
    photo = photo_with_boxes(visit, boxes=[(10.123456789, 20.98765, 110.5000001, 220.25, products["gold900"]),
                                           (120.4, 20.6, 220.44444, 219.9, None)])
    rows = read_csv(marketing_client.get(f"/analytics/photos/{photo.public_id}/",
                                         {"export": "detections", "format": "csv"}))
    header = rows[0]
    known, unknown = rows[1], rows[2]
    assert [known[header.index(c)] for c in ("x1", "y1", "x2", "y2")] == ["10", "21", "111", "220"]
    assert known[header.index("SKU confidence")] == "0.8"
    assert unknown[header.index("SKU")] == "" and unknown[header.index("SKU confidence")] == ""
    page = marketing_client.get(f"/analytics/photos/{photo.public_id}/").content.decode()
    assert "SKU 1.00" not in page and "SKU 0.10" not in page  # the unknown box claims no SKU confidence


def test_each_export_is_named_for_what_it_holds(marketing_client, world, products, two_visits):
    visit = scored_visit(store=world.store, rep=world.users["rep"], day=TODAY, score=80, photos=0)
    photo = photo_with_boxes(visit, boxes=[(1, 2, 30, 40, products["gold900"])])
    today = f"{TODAY:%Y-%m-%d}"
    photo_file = filename(marketing_client.get(f"/analytics/photos/{photo.public_id}/",
                                               {"export": "detections", "format": "csv"}))
    assert photo_file == f"shelfai-photo-{str(photo.public_id)[:8]}-detections-{today}.csv"
    flags_file = filename(marketing_client.get(f"/analytics/photos/{photo.public_id}/",
                                               {"export": "flags", "format": "xlsx"}))
    assert flags_file == f"shelfai-photo-{str(photo.public_id)[:8]}-flags-{today}.xlsx"
    visit_file = filename(marketing_client.get(f"/analytics/visits/{visit.public_id}/",
                                               {"export": "skus", "format": "csv"}))
    assert visit_file == f"shelfai-visit-s1-{today}-skus-{today}.csv"
    start = TODAY - timedelta(days=89)
    listed = filename(marketing_client.get("/analytics/visits/", {"export": "visits", "format": "csv",
                                                                  "region": "north"}))
    assert listed == f"shelfai-visits-north-{start:%Y-%m-%d}-to-{today}-{today}.csv"
    worst = filename(marketing_client.get("/analytics/", {"export": "worst_stores", "format": "xlsx"}))
    assert worst == f"shelfai-worst-stores-{start:%Y-%m-%d}-to-{today}-{today}.xlsx"
