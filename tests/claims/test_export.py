"""Approved amounts leave for the ERP as CSV: one row per claim line, the decision in force."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

from django.test import Client

from shelfai.claims import services
from shelfai.claims.models import AuditEvent


def rows_of(response):
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def decided(shop, claim_for):
    first_half = shop.start + timedelta(days=13)
    approved = claim_for("400.00", end=first_half, reference="A-1")
    partial = claim_for("500.00", start=first_half + timedelta(days=1), reference="P-1")
    rejected = claim_for("300.00", placement=shop.other_placement, end=first_half, reference="X-1")
    finance = shop.users["finance"]
    services.claim_decide(claim=approved, decided_by=finance, outcome="approve", reason="ok")
    services.claim_decide(claim=partial, decided_by=finance, outcome="partial", amount=Decimal("200"),
                          reason="=HYPERLINK()")
    services.claim_decide(claim=rejected, decided_by=finance, outcome="reject", reason="no photos")
    claim_for("10.00", placement=shop.other_placement, start=shop.end, end=shop.end,
              reference="OPEN-1")  # undecided


def test_the_export_has_approved_amounts_only_and_is_safe_to_open(shop, claim_for, api_for):
    decided(shop, claim_for)
    response = api_for(shop.users["finance"]).get("/api/claims/export/")
    assert response["Content-Type"].startswith("text/csv")
    rows = rows_of(response)
    assert [(r["claim_reference"], r["approved_amount"]) for r in rows] == [("A-1", "400.00"), ("P-1", "200.00")]
    assert rows[1]["reason"] == "'=HYPERLINK()"  # never run as a formula in a spreadsheet
    assert rows[0]["store_code"] == "s1" and rows[0]["decided_by"] == "finance"
    with_rejected = rows_of(api_for(shop.users["finance"]).get("/api/claims/export/?include_rejected=true"))
    assert [r["claim_reference"] for r in with_rejected] == ["A-1", "P-1", "X-1"]


def test_marking_as_exported_leaves_them_out_of_the_next_new_only_export(shop, claim_for):
    decided(shop, claim_for)
    client = Client()
    client.force_login(shop.users["finance"])
    marked = client.post("/claims/export.csv", {"mark_exported": "on", "new_only": "on"})
    batch = AuditEvent.objects.get(action="claims.exported")
    assert batch.data["count"] == 2
    assert marked.status_code == 302 and marked["Location"].endswith(f"?batch={batch.pk}#export-h")
    batch_file = client.get(f"/claims/export.csv?batch={batch.pk}")
    assert [r["claim_reference"] for r in rows_of(batch_file)] == ["A-1", "P-1"]
    nothing_new = client.get("/claims/export.csv?new_only=on")
    assert nothing_new["Content-Type"].startswith("text/html") and "Nothing to export" in nothing_new.content.decode()
    assert len(rows_of(client.get("/claims/export.csv"))) == 2  # a plain download changes nothing


def test_a_reopened_claim_leaves_the_export_until_decided_again(shop, claim_for, api_for):
    decided(shop, claim_for)
    claim = shop.placement.claim_lines.get(claim__reference="A-1").claim
    services.claim_reopen(claim=claim, reopened_by=shop.users["finance"], reason="check again")
    rows = rows_of(api_for(shop.users["finance"]).get("/api/claims/export/"))
    assert [r["claim_reference"] for r in rows] == ["P-1"]


def test_only_finance_exports(shop, claim_for, api_for):
    decided(shop, claim_for)
    for who in ("rep", "marketing"):
        assert api_for(shop.users[who]).get("/api/claims/export/").status_code == 403


def test_bad_export_dates_are_shown_next_to_the_field(shop):
    client = Client()
    client.force_login(shop.users["finance"])
    response = client.post("/claims/export.csv", {"decided_from": "31/31/2026"})
    assert response.status_code == 400 and 'id="id_decided_from-error"' in response.content.decode()
