"""A reviewer's yes/no on a point-of-sale strip reaches the placement check and the claim."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from shelfai.claims.models import PlacementCheck
from shelfai.review.models import PlacementConfirmation, ReviewAction

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def verdicts(strip) -> list[str]:
    return [c.verdict for c in PlacementCheck.objects.filter(placement=strip, is_current=True)
            .order_by("checked_on")]


def decide(client, photo, strip, decision: str):
    return client.post(f"/review/photos/{photo.public_id}/displays/", {"placement": strip.pk,
                                                                      "decision": decision}, follow=True)


def test_nobody_looked_yet_so_every_week_is_insufficient_evidence_and_nothing_is_recommended(pos):
    assert verdicts(pos.strip) == ["insufficient_evidence"] * 4
    pos.claim.refresh_from_db()
    assert pos.claim.recommended_amount == Decimal("0.00")


def test_confirming_every_week_turns_the_strip_executed_and_the_claim_payable(pos):
    client = signed_in(pos.users["marketing"])
    for photo in pos.photos:
        response = decide(client, photo, pos.strip, "confirm")
        assert response.status_code == 200
        assert "confirmed by marketing" in response.content.decode()
    assert verdicts(pos.strip) == ["executed"] * 4
    pos.claim.refresh_from_db()
    assert pos.claim.recommended_amount == Decimal("700.00")
    assert pos.claim.recommendation != "reject"


def test_a_rejection_reads_not_executed_and_is_audited_with_who(pos):
    decide(signed_in(pos.users["admin"]), pos.photos[0], pos.strip, "reject")
    assert verdicts(pos.strip)[0] == "not_executed"
    action = ReviewAction.objects.get()
    assert (action.actor.username, action.kind, action.placement_id) == ("admin", "reject_display", pos.strip.pk)


def test_a_later_answer_replaces_the_earlier_and_both_stay_in_the_audit(pos):
    client = signed_in(pos.users["marketing"])
    decide(client, pos.photos[1], pos.strip, "reject")
    decide(client, pos.photos[1], pos.strip, "confirm")
    assert PlacementConfirmation.objects.get().confirmed is True
    assert list(ReviewAction.objects.order_by("pk").values_list("kind", flat=True)) == [
        "reject_display", "confirm_display"]
    assert verdicts(pos.strip)[1] == "executed"


def test_the_queue_puts_the_claimed_strip_first_and_it_leaves_once_decided(pos, make_jpeg):
    from tests.review.conftest import detector_found, photo_of, visit_on

    # An unclaimed photo with an unrecognised pack, older than the strip's photos: less at stake.
    other = photo_of(visit_on(pos, pos.strip.starts_on), make_jpeg(seed=9), width=640, height=480)
    detector_found(other, [(10, 10, 90, 200)])
    client = signed_in(pos.users["marketing"])
    page = client.get("/review/").content.decode()
    first_strip = page.index(f"/review/photos/{pos.photos[0].public_id}/")
    assert "700.00 claimed" in page
    assert first_strip < page.index(f"/review/photos/{other.public_id}/")
    decide(client, pos.photos[0], pos.strip, "confirm")
    page = client.get("/review/").content.decode()
    assert "Shelf strip — Spring strips: " not in page.split(f"/review/photos/{pos.photos[0].public_id}/")[1][:600]


def test_a_display_of_another_store_or_no_decision_changes_nothing(pos):
    client = signed_in(pos.users["marketing"])
    page = client.post(f"/review/photos/{pos.photos[0].public_id}/displays/", {"placement": pos.strip.pk},
                       follow=True).content.decode()
    assert "Pick a display" in page
    pos.strip.store = pos.other_store
    pos.strip.save()
    decide(client, pos.photos[0], pos.strip, "confirm")
    assert not PlacementConfirmation.objects.exists() and not ReviewAction.objects.exists()


@pytest.mark.parametrize("who", ["rep", "finance"])
def test_roles_without_the_review_right_get_a_404_and_change_nothing(pos, who):
    client = signed_in(pos.users[who])
    assert client.get("/review/").status_code == 404
    assert decide(client, pos.photos[0], pos.strip, "confirm").status_code == 404
    assert not PlacementConfirmation.objects.exists()


def test_anonymous_is_sent_to_sign_in(pos):
    response = Client().get("/review/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_reviewer_right_given_to_a_finance_user_opens_the_queue_and_nothing_else_changes(pos):
    from django.contrib.auth.models import Permission
    from django.test import Client

    clerk = pos.users["finance"]
    client = Client()
    client.force_login(clerk)
    assert client.get("/review/").status_code == 404
    clerk.user_permissions.add(Permission.objects.get(codename="work_review_queue"))
    client.force_login(type(clerk).objects.get(pk=clerk.pk))  # a fresh user object: permissions are cached
    assert client.get("/review/").status_code == 200
    photo = pos.photos[0]
    client.post(f"/review/photos/{photo.public_id}/displays/", {"placement": pos.strip.pk, "decision": "confirm"})
    assert ReviewAction.objects.filter(actor=clerk, kind="confirm_display").exists()
    assert client.get("/analytics/").status_code in (302, 403, 404)  # still finance everywhere else
