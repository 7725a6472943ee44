"""A photo a reviewer marks "not a shelf" leaves the queue and stops counting as evidence."""

from __future__ import annotations

import pytest
from django.test import Client

from shelfai.claims.models import PlacementCheck
from shelfai.detection.models import DetectionRun
from shelfai.review.models import ReviewAction

pytestmark = pytest.mark.django_db


def test_a_photo_marked_not_a_shelf_leaves_the_queue_and_no_longer_counts(pos):
    client = Client()
    client.force_login(pos.users["marketing"])
    photo = pos.photos[2]
    # Confirmed first: the strip reads executed on that visit...
    client.post(f"/review/photos/{photo.public_id}/displays/", {"placement": pos.strip.pk, "decision": "confirm"})
    assert PlacementCheck.objects.get(placement=pos.strip, visit=photo.visit, is_current=True).verdict == "executed"
    assert f"/review/photos/{photo.public_id}/" in client.get("/review/").content.decode()  # its unknown pack

    response = client.post(f"/review/photos/{photo.public_id}/not-a-shelf/", follow=True)
    assert "Marked not a shelf by marketing" in response.content.decode()
    assert f"/review/photos/{photo.public_id}/" not in response.content.decode()  # back on the queue, gone
    run = DetectionRun.objects.get(photo=photo, is_current=True)
    assert not run.quality_ok and "not a shelf" in " ".join(run.quality_reasons)
    # ...and once the only photo of that visit is no shelf, the visit proves nothing either way.
    check = PlacementCheck.objects.get(placement=pos.strip, visit=photo.visit, is_current=True)
    assert check.verdict == "insufficient_evidence"
    assert ReviewAction.objects.filter(kind="not_a_shelf", photo=photo, actor__username="marketing").exists()
