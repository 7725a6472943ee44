"""A shelf the recogniser could not read reads "not verified" with its reason on marketing's pages,
at phone and desktop size, and never "the shelf matched the planogram"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By

from shelfai.compliance.models import ComplianceResult
from tests.analytics.factories import catalog, photo_with_boxes, scored_visit
from tests.conftest import jpeg_bytes

pytestmark = pytest.mark.browser


def test_an_unreadable_shelf_reads_not_verified_with_its_reason(make_driver, sign_in, world, live_server):
    gold = catalog()["gold900"]
    visit = scored_visit(store=world.store, rep=world.users["rep"], day=timezone.localdate() - timedelta(days=1),
                         score=None, photos=0)
    photo = photo_with_boxes(visit, image=jpeg_bytes(800, 600, seed=5), boxes=[(20, 40, 120, 300, None)] * 3)
    reason = ("Too few products recognised (0 of 3) to say what is missing. Is this the Infant formula bay shelf? "
              "If it is, retake it square-on and close enough to read the packs; if its products are not in the "
              "catalog, add their pack shots.")
    from shelfai.stores.models import Planogram
    pg = Planogram.objects.create(name="Infant formula bay", category=gold.category, store=world.store,
                                  effective_from=visit.started_at.date() - timedelta(days=30))
    for scope, ph in (("photo", photo), ("visit", None)):
        ComplianceResult.objects.create(scope=scope, visit=visit, photo=ph, planogram=pg, score=None, confidence=0.0,
                                        report={"verified": False, "not_verified_reason": reason,
                                                "facings_total": 3, "facings_recognised": 0})
    for phone in (True, False):
        d = make_driver(phone=phone)
        sign_in(d, "marketing", "pw-marketing", f"/analytics/photos/{photo.public_id}/")
        assert "not verified" in d.find_element(By.ID, "photo-score").text
        d.get(f"{live_server.url}/analytics/visits/{visit.public_id}/")
        body = d.find_element(By.TAG_NAME, "main").text
        assert "not verified" in body and "Too few products recognised (0 of 3)" in body
        assert "matched the planogram" not in body
