"""The rep's claim pages: pick a display at one's store, claim it once, see finance's decision and never
finance's assessment."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from shelfai.claims import services
from shelfai.claims.models import ClaimLine, ExpenseClaim, PlacementPhoto
from shelfai.formats import money


@pytest.fixture
def rep(shop):
    client = Client()
    client.force_login(shop.users["rep"])
    return client


def form_token(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def test_the_rep_sees_the_displays_at_their_stores_only(rep, shop):
    page = rep.get("/rep/claims/new/").content.decode()
    assert f'data-placement="{shop.placement.pk}"' in page and "FreshCo Riverside" in page
    assert f'data-placement="{shop.other_placement.pk}"' not in page  # the other rep's store
    assert rep.get(f"/rep/claims/new/{shop.other_placement.pk}/").status_code == 404


def test_the_form_is_filled_with_the_contracted_fee_and_shows_the_photos_behind_it(rep, shop, executed_visit):
    _, photo = executed_visit(shop.start + timedelta(days=3))
    PlacementPhoto.objects.create(placement=shop.placement, photo=photo)
    page = rep.get(f"/rep/claims/new/{shop.placement.pk}/").content.decode()
    # The placement ended a week ago: the whole 28 days, the whole fee.
    assert f'value="{shop.start.isoformat()}"' in page and f'value="{shop.end.isoformat()}"' in page
    assert 'value="1000.00"' in page
    assert f"/api/photos/{photo.public_id}/evidence/" in page


def test_a_part_claimed_before_is_left_out_of_the_suggestion(rep, shop, claim_for):
    claim_for("500.00", end=shop.start + timedelta(days=13))
    page = rep.get(f"/rep/claims/new/{shop.placement.pk}/").content.decode()
    assert f'value="{(shop.start + timedelta(days=14)).isoformat()}"' in page
    assert 'value="500.00"' in page  # 14 of 28 days; 500 of the fee left


def test_a_double_submit_makes_one_claim(rep, shop):
    url = f"/rep/claims/new/{shop.placement.pk}/"
    token = form_token(rep.get(url).content.decode())
    body = {"period_start": shop.start, "period_end": shop.end, "amount": "900.00", "token": token}
    first, second = rep.post(url, body), rep.post(url, body)
    claim = ExpenseClaim.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/rep/claims/{claim.pk}/"
    assert claim.submitted_by == shop.users["rep"] and claim.total_amount == Decimal("900.00")
    assert claim.source == ExpenseClaim.Source.REP and claim.reference.startswith("REP-")


def test_bad_input_is_said_and_stores_nothing(rep, shop):
    url = f"/rep/claims/new/{shop.placement.pk}/"
    token = form_token(rep.get(url).content.decode())
    response = rep.post(url, {"period_start": shop.end, "period_end": shop.start, "amount": "900", "token": token})
    assert response.status_code == 400 and "before it starts" in response.content.decode()
    response = rep.post(url, {"period_start": shop.start, "period_end": shop.end, "amount": "1500", "token": token})
    assert response.status_code == 400 and "above the contracted fee" in response.content.decode()
    forged = rep.post(url, {"period_start": shop.start, "period_end": shop.end, "amount": "10", "token": "x"})
    assert forged.status_code == 400 and "open too long" in forged.content.decode()
    assert not ExpenseClaim.objects.exists() and not ClaimLine.objects.exists()


def test_the_rep_sees_the_decision_and_its_reason_never_the_assessment(rep, shop, claim_for):
    claim = claim_for("1000.00")
    ExpenseClaim.objects.filter(pk=claim.pk).update(risk_score=0.87, recommendation="partial",
                                                    recommended_amount=Decimal("612.34"))
    waiting = rep.get(f"/rep/claims/{claim.pk}/").content.decode()
    assert "Waiting for finance" in waiting
    services.claim_decide(claim=claim, decided_by=shop.users["finance"], outcome="partial",
                          amount=Decimal("750.00"), reason="Week 3 not set up.")
    page = rep.get(f"/rep/claims/{claim.pk}/").content.decode()
    assert f'Partly approved: <span class="money">{money(Decimal("750.00"))}</span>' in page
    assert "Week 3 not set up." in page
    # The page's own address (the language switch sends it back there) holds the claim's id, which may be 87.
    shown = page.replace(f"/rep/claims/{claim.pk}/", "/rep/claims/<id>/")
    for secret in ("612.34", "0.87", "87", "risk", "ecommend"):
        assert secret not in shown, secret
    listing = rep.get("/rep/claims/").content.decode()
    assert claim.reference in listing and "Partly approved" in listing and money(Decimal("750")) in listing


def test_another_reps_claim_is_a_404_and_the_desk_does_not_use_these_pages(shop, claim_for):
    claim = claim_for()
    other = Client()
    other.force_login(shop.users["other_rep"])
    assert other.get(f"/rep/claims/{claim.pk}/").status_code == 404
    assert claim.reference not in other.get("/rep/claims/").content.decode()
    finance = Client()
    finance.force_login(shop.users["finance"])
    assert finance.get("/rep/claims/").status_code == 404
    assert Client().get("/rep/claims/")["Location"].startswith("/accounts/login/")


def test_an_empty_visit_is_no_evidence_in_finances_packet(shop, executed_visit, claim_for):
    from shelfai.claims.models import ClaimLine
    from tests.claims.conftest import visit_on

    with_photo, _ = executed_visit(shop.start + timedelta(days=3))
    visit_on(shop, shop.start + timedelta(days=10))  # a tap on the store, then nothing
    claim = claim_for("1000.00")
    visits = ClaimLine.objects.get(claim=claim).evidence["visits"]
    assert [v["id"] for v in visits] == [str(with_photo.public_id)]


@pytest.mark.parametrize(("outcome", "amount", "shown"), [
    ("approve", None, "Approved: "), ("reject", None, "Rejected: nothing will be paid")])
def test_an_approval_and_a_rejection_read_as_such(rep, shop, claim_for, outcome, amount, shown):
    claim = claim_for("800.00")
    services.claim_decide(claim=claim, decided_by=shop.users["finance"], outcome=outcome, amount=amount,
                          reason="Checked against the photos.")
    page = rep.get(f"/rep/claims/{claim.pk}/").content.decode()
    assert shown in page and "Checked against the photos." in page
    if outcome == "approve":
        assert f'Approved: <span class="money">{money(Decimal("800"))}</span>' in page


def test_a_reopened_claim_says_it_waits_for_a_new_decision(rep, shop, claim_for):
    claim = claim_for("800.00")
    services.claim_decide(claim=claim, decided_by=shop.users["finance"], outcome="reject", reason="No photos.")
    services.claim_reopen(claim=claim, reopened_by=shop.users["finance"], reason="Photos found after all.")
    page = rep.get(f"/rep/claims/{claim.pk}/").content.decode()
    assert "Reopened by finance" in page and "Photos found after all." in page and "Rejected" not in page
