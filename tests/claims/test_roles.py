"""Who may see and decide claims: the rep who submitted, another rep, marketing, finance, an outsider."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from shelfai.claims.models import ClaimDecision, ExpenseClaim

SEES = {"rep": True, "other_rep": False, "marketing": True, "finance": True, "admin": True, "outsider": False}


def user(shop, outsider, who):
    return outsider if who == "outsider" else shop.users[who]


@pytest.mark.parametrize("who", list(SEES))
def test_who_sees_a_claim_through_the_api(shop, outsider, claim_for, api_for, who):
    claim = claim_for()
    client = api_for(user(shop, outsider, who))
    detail = client.get(f"/api/claims/{claim.pk}/")
    assert detail.status_code == (200 if SEES[who] else 404)
    listing = client.get("/api/claims/")
    if who == "outsider":  # planning reads no claims at all (README, Roles)
        assert listing.status_code == 403
        return
    listed = listing.json()["results"]
    assert [c["reference"] for c in listed] == ([claim.reference] if SEES[who] else [])


def test_the_submitting_rep_sees_status_but_not_the_evidence_packet(shop, claim_for, api_for):
    claim = claim_for()
    mine = api_for(shop.users["rep"]).get(f"/api/claims/{claim.pk}/").json()
    assert mine["status"] == "submitted" and "evidence" not in mine["lines"][0]
    finance = api_for(shop.users["finance"]).get(f"/api/claims/{claim.pk}/").json()
    assert "evidence" in finance["lines"][0] and "recommendation_reasons" in finance


@pytest.mark.parametrize("who, code", [("rep", 403), ("marketing", 403), ("other_rep", 404), ("outsider", 404)])
def test_nobody_but_finance_decides(shop, outsider, claim_for, api_for, who, code):
    claim = claim_for()
    response = api_for(user(shop, outsider, who)).post(
        f"/api/claims/{claim.pk}/decision/", {"outcome": "approve", "reason": "ok"}, format="json")
    assert response.status_code == code
    assert ExpenseClaim.objects.get().status == "submitted" and not ClaimDecision.objects.exists()


def test_an_anonymous_caller_gets_401(shop, claim_for):
    claim = claim_for()
    assert APIClient().get(f"/api/claims/{claim.pk}/").status_code == 401
    assert APIClient().post(f"/api/claims/{claim.pk}/decision/", {}).status_code == 401


def test_finance_decides_through_the_api_and_a_double_submit_is_refused_cleanly(shop, claim_for, api_for):
    claim = claim_for("800.00")
    client = api_for(shop.users["finance"])
    body = {"outcome": "partial", "amount": "500.00", "reason": "Seen on half the visits."}
    first = client.post(f"/api/claims/{claim.pk}/decision/", body, format="json")
    second = client.post(f"/api/claims/{claim.pk}/decision/", body, format="json")
    assert first.status_code == 201 and first.json()["amount"] == "500.00"
    assert second.status_code == 409 and "already partially approved" in second.json()["detail"]
    assert ClaimDecision.objects.count() == 1


def test_a_bad_decision_names_the_field(shop, claim_for, api_for):
    claim = claim_for("800.00")
    client = api_for(shop.users["finance"])
    response = client.post(f"/api/claims/{claim.pk}/decision/",
                           {"outcome": "partial", "amount": "900", "reason": "x"}, format="json")
    assert response.status_code == 400 and "At most EUR 800.00" in response.json()["errors"]["amount"]
    response = client.post(f"/api/claims/{claim.pk}/decision/", {"outcome": "approve"}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["errors"]


def test_finance_cannot_edit_a_claim_or_its_evidence(shop, claim_for, api_for, executed_visit):
    claim = claim_for("800.00")
    _, photo = executed_visit(shop.start + __import__("datetime").timedelta(days=2))
    client = api_for(shop.users["finance"])
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)(f"/api/claims/{claim.pk}/", {"total_amount": "1"}, format="json"
                                       ).status_code == 405
    upload = client.post(f"/api/visits/{photo.visit.public_id}/photos/", {}, format="multipart")
    assert upload.status_code == 404  # only the visit's own rep adds photos
    assert ExpenseClaim.objects.get().total_amount == claim.total_amount


def test_reopen_through_the_api_is_for_finance(shop, claim_for, api_for):
    claim = claim_for()
    finance = api_for(shop.users["finance"])
    finance.post(f"/api/claims/{claim.pk}/decision/", {"outcome": "approve", "reason": "ok"}, format="json")
    assert api_for(shop.users["marketing"]).post(
        f"/api/claims/{claim.pk}/reopen/", {"reason": "x"}, format="json").status_code == 403
    response = finance.post(f"/api/claims/{claim.pk}/reopen/", {"reason": "New evidence."}, format="json")
    assert response.status_code == 201 and response.json()["outcome"] == "reopen"
    trail = finance.get(f"/api/claims/{claim.pk}/audit/").json()
    assert [e["action"] for e in trail] == ["claim.submitted", "claim.approve", "claim.reopen"]
    assert api_for(shop.users["rep"]).get(f"/api/claims/{claim.pk}/audit/").status_code == 403
