"""Retailer and distributor files: all lines or none, each problem reported with its line number."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from shelfai.claims.csv_import import claims_import_csv
from shelfai.claims.models import AuditEvent, ClaimLine, ExpenseClaim
from tests.claims.conftest import csv_file

HEADER = "reference,store,placement,period_start,period_end,amount,claimant\n"


def good_line(shop, reference="R-1", amount="400.00", start=None, end=None, store="s1", placement=None):
    start = start or shop.start
    end = end or shop.start + timedelta(days=13)
    placement = placement if placement is not None else shop.placement.pk
    return f"{reference},{store},{placement},{start},{end},{amount},FreshCo HQ\n"


def run_import(shop, text, source="retailer"):
    return claims_import_csv(file=csv_file(text), submitted_by=shop.users["finance"], source=source)


def test_a_good_file_becomes_claims_grouped_by_reference(shop):
    second_half = (shop.start + timedelta(days=14), shop.end)
    text = HEADER + good_line(shop) + good_line(shop, "R-2", "450.50", *second_half)
    report = run_import(shop, text)
    assert report.ok, report.as_dict()
    claims = {c.reference: c for c in ExpenseClaim.objects.all()}
    assert set(claims) == {"R-1", "R-2"}
    assert claims["R-2"].total_amount == Decimal("450.50")
    assert claims["R-1"].source == "retailer" and claims["R-1"].claimant_name == "FreshCo HQ"
    assert AuditEvent.objects.filter(action="claims.imported").count() == 2


def test_lines_sharing_a_reference_make_one_claim(shop):
    text = HEADER + good_line(shop, "R-9", "100") + good_line(
        shop, "R-9", "50", store="s2", placement=shop.other_placement.pk)
    assert run_import(shop, text).ok
    claim = ExpenseClaim.objects.get()
    assert claim.lines.count() == 2 and claim.total_amount == Decimal("150.00")


def test_campaign_and_display_type_find_the_placement(shop):
    text = ("reference,store,campaign,display_type,period_start,period_end,amount\n"
            f"R-5,s1,Spring end-caps,End-cap,{shop.start},{shop.end},900\n")
    assert run_import(shop, text).ok
    assert ClaimLine.objects.get().placement == shop.placement


BAD_VALUES = [
    ("amount", "-5.00", "negative"),
    ("amount", "abc", "not a number"),
    ("amount", "\"1,000.00\"", "not a number"),
    ("amount", "0", "more than 0"),
    ("amount", "10.123", "more than 2 decimals"),
    ("amount", "1000.01", "above the contracted fee"),
    ("start", "31/12/2025", "YYYY-MM-DD"),
    ("start", "2025-02-30", "not a real calendar date"),
    ("store", "nowhere", "Unknown store"),
    ("placement", "99999", "No placement with id"),
    ("placement", "x1", "not a placement id"),
]


@pytest.mark.parametrize("column, value, reason", BAD_VALUES)
def test_one_bad_line_is_reported_and_nothing_is_imported(shop, column, value, reason):
    first_week = shop.start + timedelta(days=6)
    second = {"start": first_week + timedelta(days=1), column: value}
    text = HEADER + good_line(shop, "R-1", "100", end=first_week) + good_line(shop, "R-2", **second)
    report = run_import(shop, text)
    assert not report.ok
    assert [ln.line for ln in report.bad_lines] == [3]
    assert reason in " ".join(report.bad_lines[0].errors)
    assert "Nothing was imported" in report.summary()
    assert ExpenseClaim.objects.count() == 0 and ClaimLine.objects.count() == 0


def test_a_period_outside_the_placement_is_refused(shop):
    text = HEADER + good_line(shop, start=shop.start - timedelta(days=1))
    report = run_import(shop, text)
    assert "outside it" in " ".join(report.bad_lines[0].errors)
    assert ExpenseClaim.objects.count() == 0


def test_an_end_before_the_start_is_refused(shop):
    text = HEADER + good_line(shop, start=shop.start + timedelta(days=5), end=shop.start)
    assert "before period_start" in " ".join(run_import(shop, text).bad_lines[0].errors)


def test_a_second_claim_for_the_same_placement_and_period_is_refused(shop):
    assert run_import(shop, HEADER + good_line(shop, "R-1")).ok
    overlapping = good_line(shop, "R-2", start=shop.start + timedelta(days=7), end=shop.start + timedelta(days=20))
    report = run_import(shop, HEADER + overlapping)
    assert "already claimed" in " ".join(report.bad_lines[0].errors) and "R-1" in report.bad_lines[0].errors[0]
    assert list(ExpenseClaim.objects.values_list("reference", flat=True)) == ["R-1"]


def test_overlapping_lines_within_one_file_are_refused(shop):
    report = run_import(shop, HEADER + good_line(shop, "R-1", "100") + good_line(shop, "R-2", "100"))
    assert [ln.line for ln in report.bad_lines] == [3]
    assert "twice" in report.bad_lines[0].errors[0]
    assert ExpenseClaim.objects.count() == 0


def test_claims_on_one_placement_never_add_up_to_more_than_its_fee(shop):
    first = good_line(shop, "R-1", "800", end=shop.start + timedelta(days=13))
    second = good_line(shop, "R-2", "300", start=shop.start + timedelta(days=14), end=shop.end)
    report = run_import(shop, HEADER + first + second)
    assert "at most EUR 200.00 more" in " ".join(report.bad_lines[0].errors)
    assert ExpenseClaim.objects.count() == 0


def test_a_reference_already_imported_is_refused(shop):
    assert run_import(shop, HEADER + good_line(shop, "R-1", end=shop.start + timedelta(days=3))).ok
    again = good_line(shop, "R-1", start=shop.start + timedelta(days=10), end=shop.start + timedelta(days=12))
    assert "already imported" in run_import(shop, HEADER + again).bad_lines[0].errors[0]


@pytest.mark.parametrize("header, reason", [
    ("ref,store,placement,period_start,period_end,amount\n", "Unknown columns: ref"),
    ("reference,store,placement,period_start,amount\n", "Missing columns: period_end"),
    ("reference,store,period_start,period_end,amount\n", "placement column"),
    ("reference,store,placement,period_start,period_end,amount,amount\n", "appear twice"),
])
def test_wrong_columns_refuse_the_whole_file(shop, header, reason):
    report = run_import(shop, header + good_line(shop))
    assert not report.ok and reason in " ".join(report.file_errors)
    assert "Expected columns" in report.file_errors[-1]
    assert ExpenseClaim.objects.count() == 0


@pytest.mark.parametrize("content, reason", [
    (b"", "empty"),
    (HEADER.encode(), "no claim lines"),
    # UTF-16 with a BOM is read (tests/test_csvfiles.py); without one the byte order would be a guess.
    ("reference,store\n".encode("utf-16-le"), "not UTF-8"),
    ("reference,store\nR-1,Müller\n".encode("cp1252"), "not UTF-8"),
])
def test_empty_or_unreadable_files_are_refused(shop, content, reason):
    report = claims_import_csv(file=content, submitted_by=shop.users["finance"], source="retailer")
    assert reason in " ".join(report.file_errors)


def test_a_line_with_the_wrong_number_of_values_is_reported(shop):
    report = run_import(shop, HEADER + "R-1,s1,1\n")
    assert report.bad_lines[0].line == 2 and "header has 7 columns" in report.bad_lines[0].errors[0]


def test_semicolon_files_and_a_utf8_bom_are_read(shop):
    text = "\ufeff" + HEADER.replace(",", ";") + good_line(shop).replace(",", ";")
    assert run_import(shop, text).ok


def test_the_import_api_reports_lines_and_is_for_finance_only(shop, api_for):
    text = HEADER + good_line(shop, amount="-1")
    response = api_for(shop.users["finance"]).post(
        "/api/claims/import/", {"file": csv_file(text), "source": "retailer"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["lines"][0] == {"line": 2, "reference": "R-1", "ok": False,
                                           "errors": ["amount -1 is negative; claim a positive amount."]}
    for who in ("rep", "marketing"):
        response = api_for(shop.users[who]).post(
            "/api/claims/import/", {"file": csv_file(HEADER + good_line(shop)), "source": "retailer"},
            format="multipart")
        assert response.status_code == 403
    assert ExpenseClaim.objects.count() == 0
    ok = api_for(shop.users["finance"]).post(
        "/api/claims/import/", {"file": csv_file(HEADER + good_line(shop)), "source": "distributor"},
        format="multipart")
    assert ok.status_code == 201 and ok.json()["claims"] == ["R-1"]


def test_files_over_the_limits_are_refused_whole(shop, settings):
    settings.CLAIMS_CSV_MAX_LINES = 1
    two = HEADER + good_line(shop, "R-1", "100", end=shop.start + timedelta(days=3)) + good_line(
        shop, "R-2", "100", start=shop.start + timedelta(days=4))
    assert "more than 1 lines" in run_import(shop, two).file_errors[0]
    settings.CLAIMS_CSV_MAX_LINES, settings.CLAIMS_CSV_MAX_BYTES = 10, 50
    assert "larger than" in run_import(shop, two).file_errors[0]
    assert ExpenseClaim.objects.count() == 0
