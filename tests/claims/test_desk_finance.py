"""Finance's first hour (issue 15): errors where the eye is, money sentences that name the right amounts,
each reason once, photos that open the photo page, an ERP export that says what it did, readable audit."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

from django.test import Client
from django.utils import timezone

from shelfai.claims import services
from shelfai.claims.models import AuditEvent, ClaimDecision, ExpenseClaim
from shelfai.visits.models import AuthenticityFlag


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html.split("<main", 1)[1])


def test_approve_part_without_an_amount_is_said_at_the_top_and_at_the_form(shop, claim_for):
    claim = claim_for("800.00")
    client = signed_in(shop.users["finance"])
    fresh = client.get(f"/claims/{claim.pk}/").content.decode()
    assert not re.search(r'name="outcome"[^>]*checked', fresh)  # nothing pre-selected, not even the recommendation
    assert f'action="/claims/{claim.pk}/decide/#decision"' in fresh  # a refusal comes back scrolled to the form

    response = client.post(f"/claims/{claim.pk}/decide/", {"outcome": "partial", "amount": "",
                                                           "reason": "Week 3 not set up.", "decisions_seen": 0})
    page = response.content.decode()
    assert response.status_code == 400
    top = page.index('id="error-summary-top"')
    assert top < page.index("<section") < page.index('id="error-summary"') < page.index('id="id_amount"')
    assert '<a href="#id_amount">Amount to approve: Give the amount to approve' in page
    assert re.search(r'<input type="radio" name="outcome" value="partial" id="id_outcome_1" checked>', page)
    assert re.search(r'id="id_amount" value=""[^>]*aria-invalid="true"[^>]* autofocus', page)
    assert "Week 3 not set up." in page
    assert ExpenseClaim.objects.get().status == "submitted" and not ClaimDecision.objects.exists()


def test_a_part_period_claim_names_the_claim_the_fee_and_the_share(shop, claim_for):
    half = shop.start + timedelta(days=13)  # 14 of the 28 days
    claim = claim_for("1000.00", end=half)
    claim.refresh_from_db()
    reasons = " ".join(claim.recommendation_reasons)
    assert ("The claim (EUR 1,000.00) is more than the 14 days claimed can cost: they are part of the placement "
            "period, so at most EUR 500.00 of the EUR 1,000.00 contracted fee applies.") in reasons
    assert "contracted fee (EUR 500.00)" not in reasons and "contracted fee (500.00)" not in reasons
    assert reasons.count("part of the placement period") == 1  # said once, not by two rules
    page = signed_in(shop.users["finance"]).get(f"/claims/{claim.pk}/").content.decode()
    assert "EUR 1,000.00" in page and "EUR 500.00 of the EUR 1,000.00 contracted fee" in page


def test_each_reason_and_each_flag_is_printed_once(shop, executed_visit, claim_for):
    _, photo = executed_visit(shop.start + timedelta(days=3))
    AuthenticityFlag.objects.create(photo=photo, code="exif_missing", severity="warning", weight=0.6,
                                    reason="The photo carries no EXIF data (camera, time).")
    claim = claim_for("1000.00")
    claim.refresh_from_db()
    page = signed_in(shop.users["finance"]).get(f"/claims/{claim.pk}/").content.decode()
    text = visible_text(page)
    assert text.count("The photo carries no EXIF data") == 1
    for reason in claim.recommendation_reasons:  # the coverage sentence is the line's "Coverage", not a reason too
        assert text.count(str(reason).replace("'", "&#x27;")) == 1, reason
    assert any("flagged (warning): 1 authenticity flag, evidence weight 0.60" in r
               for r in claim.recommendation_reasons)


def test_a_photo_in_the_evidence_opens_the_photo_page_with_its_boxes(shop, executed_visit, claim_for):
    _, photo = executed_visit(shop.start + timedelta(days=3))
    claim = claim_for("800.00")
    client = signed_in(shop.users["finance"])
    page = client.get(f"/claims/{claim.pk}/").content.decode()
    link = f"/analytics/photos/{photo.public_id}/?claim={claim.pk}"
    assert f'href="{link}"' in page and f'href="/api/photos/{photo.public_id}/original/"' not in page
    photo_page = client.get(link).content.decode()
    assert photo_page.count('<rect class="box') == 6 and f'href="/claims/{claim.pk}/"' in photo_page


def test_the_audit_trail_reads_as_words(shop, claim_for):
    claim = claim_for("800.00")
    services.claim_decide(claim=claim, decided_by=shop.users["finance"], outcome="partial",
                          amount=Decimal("400"), reason="Half.")
    page = signed_in(shop.users["finance"]).get(f"/claims/{claim.pk}/").content.decode()
    trail = re.sub(r"<[^>]+>", " ", page.split('id="trail-h"', 1)[1])
    assert "Submitted" in trail and "Partly approved" in trail and "amount EUR 400.00" in trail
    assert "claim.submitted" not in page and "claim.partial" not in page


def rows_of(response):
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_erp_export_says_when_nothing_is_left_and_confirms_what_it_marked(shop, claim_for):
    client = signed_in(shop.users["finance"])
    empty = client.post("/claims/export.csv", {"new_only": "on", "mark_exported": "on"})
    assert empty.status_code == 200 and empty["Content-Type"].startswith("text/html")
    assert "Nothing to export" in empty.content.decode() and not AuditEvent.objects.filter(
        action="claims.exported").exists()

    first = claim_for("400.00", end=shop.start + timedelta(days=13), reference="A-1")
    second = claim_for("500.00", start=shop.start + timedelta(days=14), reference="B-1")
    services.claim_decide(claim=first, decided_by=shop.users["finance"], outcome="approve", reason="ok")
    services.claim_decide(claim=second, decided_by=shop.users["finance"], outcome="partial",
                          amount=Decimal("350.25"), reason="part")
    download = client.get("/claims/export.csv", {"new_only": "on"})
    today = f"{timezone.localdate():%Y-%m-%d}"
    assert f'filename="shelfai-erp-claims-approved-not-yet-sent-{today}.csv"' in download["Content-Disposition"]
    rows = rows_of(download)
    assert [r["claimant"] for r in rows] == ["rep", "rep"]  # a rep's claim names the rep

    marked = client.post("/claims/export.csv", {"new_only": "on", "mark_exported": "on"}, follow=True)
    page = marked.content.decode()
    batch = AuditEvent.objects.get(action="claims.exported")
    assert "Marked 2 decisions and 2 claim lines as sent to the ERP: EUR 750.25 approved." in page
    assert f'href="/claims/export.csv?batch={batch.pk}"' in page and "A-1, B-1" in page
    again = client.get(f"/claims/export.csv?batch={batch.pk}")
    assert f'filename="shelfai-erp-batch-{batch.pk}-sent-{today}.csv"' in again["Content-Disposition"]
    assert [r["claim_reference"] for r in rows_of(again)] == ["A-1", "B-1"]
    nothing = client.post("/claims/export.csv", {"new_only": "on", "mark_exported": "on"})
    assert "Nothing to export" in nothing.content.decode() and AuditEvent.objects.filter(
        action="claims.exported").count() == 1


def test_every_missing_part_of_a_decision_is_said_at_once(shop, claim_for):
    claim = claim_for("800.00")
    response = signed_in(shop.users["finance"]).post(f"/claims/{claim.pk}/decide/", {
        "outcome": "partial", "amount": "", "reason": "", "decisions_seen": 0})
    page = response.content.decode()
    assert response.status_code == 400
    assert '<a href="#id_amount">Amount to approve: Give the amount to approve' in page
    assert '<a href="#id_reason">Reason: Give the reason for the decision' in page
    assert "This field is required" not in page
