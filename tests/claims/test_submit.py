"""A rep claims a placement at an assigned store, within its period and fee, once."""

from __future__ import annotations

from datetime import timedelta

from shelfai.claims.models import ExpenseClaim


def line(shop, **overrides):
    body = {"placement": shop.placement.pk, "period_start": str(shop.start), "period_end": str(shop.end),
            "amount": "750.00"}
    return {**body, **overrides}


def test_a_rep_submits_a_claim_and_gets_a_reference(shop, api_for):
    response = api_for(shop.users["rep"]).post("/api/claims/", {"lines": [line(shop)]}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"].startswith("REP-") and body["total_amount"] == "750.00"
    claim = ExpenseClaim.objects.get()
    assert claim.submitted_by == shop.users["rep"] and claim.source == "rep"


def test_refusals_name_the_line_and_the_reason_and_store_nothing(shop, api_for):
    client = api_for(shop.users["rep"])
    cases = [
        (line(shop, amount="1000.01"), "above the contracted fee"),
        (line(shop, period_start=str(shop.start - timedelta(days=1))), "outside it"),
        (line(shop, placement=shop.other_placement.pk), "assigned to you"),
        (line(shop, placement=999999), "assigned to you"),
    ]
    for bad, reason in cases:
        response = client.post("/api/claims/", {"lines": [line(shop, amount="10", period_end=str(
            shop.start + timedelta(days=1))), bad]}, format="json")
        assert response.status_code == 400
        assert response.json()["lines"][0]["line"] == 2 and reason in " ".join(response.json()["lines"][0]["errors"])
    for amount in ("-5", "abc"):
        assert client.post("/api/claims/", {"lines": [line(shop, amount=amount)]}, format="json").status_code == 400
    assert ExpenseClaim.objects.count() == 0


def test_a_second_claim_for_the_same_placement_and_period_is_refused(shop, api_for):
    client = api_for(shop.users["rep"])
    assert client.post("/api/claims/", {"lines": [line(shop)]}, format="json").status_code == 201
    again = client.post("/api/claims/", {"lines": [line(shop, amount="10")]}, format="json")
    assert again.status_code == 400 and "already claimed" in again.json()["detail"]
    assert ExpenseClaim.objects.count() == 1


def test_a_period_still_running_cannot_be_claimed(shop, api_for):
    from shelfai.claims.models import PaidPlacement

    today = shop.start + timedelta(days=40)
    running = PaidPlacement.objects.create(campaign=shop.campaign, store=shop.store, display_type="eye_level",
                                           starts_on=shop.start, ends_on=today + timedelta(days=30), fee=100)
    response = api_for(shop.users["rep"]).post("/api/claims/", {"lines": [line(
        shop, placement=running.pk, period_end=str(today + timedelta(days=3)), amount="50")]}, format="json")
    assert response.status_code == 400 and "in the future" in response.json()["detail"]


def test_marketing_and_finance_do_not_submit_rep_claims(shop, api_for):
    for who in ("marketing", "finance"):
        assert api_for(shop.users[who]).post("/api/claims/", {"lines": [line(shop)]}, format="json"
                                             ).status_code == 403
