"""The finance pages: the queue, a claim with its evidence and decision form, import, export."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from shelfai.claims.models import AuditEvent, ClaimDecision, ExpenseClaim
from tests.claims.conftest import csv_file


def signed_in(user, *, csrf=False):
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def test_finance_sees_the_queue_and_a_claim_with_its_evidence(shop, executed_visit, claim_for):
    _, photo = executed_visit(shop.start + timedelta(days=3))
    claim = claim_for("800.00")
    client = signed_in(shop.users["finance"])
    queue = client.get("/claims/")
    assert queue.status_code == 200 and claim.reference in queue.content.decode()
    assert "no-cache" in queue["Cache-Control"] or "private" in queue["Cache-Control"]
    page = client.get(f"/claims/{claim.pk}/").content.decode()
    assert f"/api/photos/{photo.public_id}/evidence/" in page
    assert "Record decision" in page and "Executed in 1 of 4 weeks" in page


@pytest.mark.parametrize("who, code", [("rep", 403), ("marketing", 403), ("other_rep", 404), ("outsider", 404)])
def test_claim_pages_are_404_or_403_for_everyone_else(shop, outsider, claim_for, who, code):
    claim = claim_for()
    client = signed_in(outsider if who == "outsider" else shop.users[who])
    assert client.get(f"/claims/{claim.pk}/").status_code == code
    assert client.post(f"/claims/{claim.pk}/decide/", {"outcome": "approve", "reason": "x",
                                                      "decisions_seen": 0}).status_code == code
    assert client.get("/claims/").status_code == 403
    assert client.get("/claims/export.csv").status_code == 403
    assert not ClaimDecision.objects.exists()


def test_an_anonymous_visitor_is_sent_to_sign_in(shop, claim_for):
    response = Client().get(f"/claims/{claim_for().pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_bad_decision_shows_the_error_next_to_the_field_and_keeps_what_was_typed(shop, claim_for):
    claim = claim_for("800.00")
    client = signed_in(shop.users["finance"])
    response = client.post(f"/claims/{claim.pk}/decide/", {
        "outcome": "partial", "amount": "950.00", "reason": "Only half the weeks.", "decisions_seen": 0})
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="amount-error"' in page and "At most EUR 800.00" in page
    assert 'value="950.00"' in page and "Only half the weeks." in page
    response = client.post(f"/claims/{claim.pk}/decide/", {"outcome": "reject", "reason": "", "decisions_seen": 0})
    assert response.status_code == 400 and 'id="reason-error"' in response.content.decode()
    assert ExpenseClaim.objects.get().status == "submitted"


def test_a_decision_on_the_page_is_recorded_and_a_second_submit_is_refused(shop, claim_for):
    claim = claim_for("800.00")
    client = signed_in(shop.users["finance"])
    form = {"outcome": "partial", "amount": "400.00", "reason": "Half the weeks verified.", "decisions_seen": 0}
    first = client.post(f"/claims/{claim.pk}/decide/", form)
    assert first.status_code == 302
    page = client.get(first["Location"]).content.decode()
    assert "Partially approved" in page and "Half the weeks verified." in page and "Partly approved" in page
    again = client.post(f"/claims/{claim.pk}/decide/", form)
    assert again.status_code == 409 and "already partially approved" in again.content.decode()
    assert ClaimDecision.objects.count() == 1 and AuditEvent.objects.filter(action="claim.partial").count() == 1


def test_the_decision_form_requires_a_csrf_token(shop, claim_for):
    claim = claim_for()
    client = signed_in(shop.users["finance"], csrf=True)
    response = client.post(f"/claims/{claim.pk}/decide/", {"outcome": "approve", "reason": "ok", "decisions_seen": 0})
    assert response.status_code == 403 and not ClaimDecision.objects.exists()


def test_reopen_from_the_page(shop, claim_for):
    claim = claim_for()
    client = signed_in(shop.users["finance"])
    client.post(f"/claims/{claim.pk}/decide/", {"outcome": "approve", "reason": "ok", "decisions_seen": 0})
    assert client.post(f"/claims/{claim.pk}/reopen/", {"reason": ""}).status_code == 400
    assert client.post(f"/claims/{claim.pk}/reopen/", {"reason": "Flag found later."}).status_code == 302
    assert ExpenseClaim.objects.get().status == "submitted"
    assert AuditEvent.objects.filter(action="claim.reopen", actor=shop.users["finance"]).exists()


def test_the_import_page_lists_every_bad_line_and_imports_nothing(shop):
    text = ("reference,store,placement,period_start,period_end,amount\n"
            f"R-1,s1,{shop.placement.pk},{shop.start},{shop.end},100\n"
            f"R-2,nowhere,{shop.placement.pk},{shop.start},{shop.end},-3\n")
    response = signed_in(shop.users["finance"]).post("/claims/import/", {"source": "retailer", "file": csv_file(text)})
    page = response.content.decode()
    assert response.status_code == 400 and "Nothing was imported" in page
    assert "Unknown store" in page and "negative" in page
    assert ExpenseClaim.objects.count() == 0
