"""The demo world's visit history: generated with known truth, sent through the real pipeline."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, timedelta

import cv2
import numpy as np
import pytest
from django.core.management import call_command
from PIL import Image

from shelfai.authenticity.checks import haversine_m
from shelfai.claims.models import ClaimLine, ExpenseClaim, PlacementCheck
from shelfai.compliance.models import ComplianceResult
from shelfai.stores.models import Planogram, ProductImage, Store
from shelfai.vision.sku import SkuCatalog
from shelfai.vision.types import UNKNOWN_SKU
from shelfai.visits.models import Photo, Visit
from shelfai.web import demo_history as dh

pytestmark = pytest.mark.django_db


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stores=2, sales_days=1, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def history_plan():
    """A world without history, and a plan of three weeks at both stores with every photo drawn."""
    seed(no_history=True)
    world = dh.world_load(seed=3)
    rng = np.random.default_rng(3)
    plans = dh.plan_history(world, weeks=3, first_day=date.today() - timedelta(days=21), rng=rng, key_prefix="t")
    pool = dh.PhotoPool()
    return world, [(plan, dh.render_visit(plan, world, pool, rng)) for plan in plans]


def test_no_history_makes_no_visits_photos_or_claims():
    output = seed(no_history=True)

    assert Store.objects.count() == 2
    assert not Visit.objects.exists() and not Photo.objects.exists() and not ExpenseClaim.objects.exists()
    assert "History ready" not in output


@pytest.mark.django_db(transaction=True)  # the pipeline hands on after commit, as in production
def test_history_sends_a_mix_of_visits_through_the_pipeline_once():
    output = seed(history_weeks=2, history_stores=2)

    visits = list(Visit.objects.all())
    assert len(visits) == 4 and "History ready: 4 visits" in output
    assert all(v.photos.exists() for v in visits)
    photos = list(Photo.objects.all())
    assert all(p.status in (Photo.Status.DONE, Photo.Status.RETAKE) for p in photos), [p.status for p in photos]
    # every shelf photo has a result, against the planogram it was taken of (its capture task)
    shelf_photos = [p for p in photos if "-shelf" in p.client_upload_id]
    assert shelf_photos and all(ComplianceResult.objects.filter(photo=p, is_current=True).exists()
                                for p in shelf_photos)
    # the visits happened over the past two weeks, not all today
    days = {v.started_at.date() for v in visits}
    assert len(days) >= 3 and max(days) < date.today()
    # good, poor and dishonest visits: the mix is said in the output and stands in the data
    assert "compliant" in output and any(k in output for k in ("out_of_stock", "wrong_shelf", "wrong_order", "gaps"))
    assert any(k in output for k in ("reused", "screen", "far_checkin"))
    flagged = Photo.objects.filter(flags__severity="critical").distinct().count()
    assert flagged >= 1  # the cheat was caught by the authenticity checks
    assert PlacementCheck.objects.filter(is_current=True).exists()
    claim_lines = ClaimLine.objects.all()
    assert claim_lines.count() >= 2 and all(line.recommended_amount is not None for line in claim_lines)

    again = seed(history_weeks=2, history_stores=2)  # idempotent: the world and its history stay as they are
    assert Visit.objects.count() == 4 and Photo.objects.count() == len(photos)
    assert "already present" in again


def test_a_missing_sku_is_really_missing_from_the_drawn_shelf(history_plan):
    _, visits = history_plan
    shelves = [(shot, photo) for plan, photos in visits for shot, photo in
               zip(plan.shelves, [p for p in photos if p.target == "shelf"], strict=True)]
    kinds = Counter(shot.kind for shot, _ in shelves)
    assert kinds["compliant"] and kinds["out_of_stock"] and len(kinds) >= 4
    for shot, photo in shelves:
        planogram = Planogram.objects.get(pk=shot.planogram_id)
        planned = Counter()
        for shelf in planogram.shelves.all():
            for facing in shelf.facings.select_related("product"):
                planned[facing.product.sku] += facing.facings
        drawn = photo.catalog_facings
        report = dh.truth_report(planogram, photo)
        missing = {line.sku for line in report.skus if line.status == "missing"}
        assert missing == {sku for sku in planned if drawn[sku] == 0}
        if shot.kind == "out_of_stock":
            # the sold-out block's facings are gone from the photo, and a SKU planned only there is missing
            for sku in shot.changed:
                blocks = sum(1 for s in planogram.shelves.all() for f in s.facings.all() if f.product.sku == sku)
                assert drawn[sku] <= planned[sku] - 1
                if blocks == 1:
                    assert drawn[sku] == 0 and sku in missing
            assert report.score < 100
        if shot.kind == "compliant":  # every planned SKU is on the shelf; at most a pack cut off by the frame
            assert not missing and report.score >= 85


def test_the_truth_labels_match_the_pixels(history_plan):
    """The catalog's own recogniser, given the true boxes, names the drawn packs as the truth says."""
    world, visits = history_plan
    references: dict[str, list] = {}
    for image in ProductImage.objects.select_related("product"):
        with image.image.open("rb") as fh:
            references.setdefault(image.product.sku, []).append(
                cv2.imdecode(np.frombuffer(fh.read(), np.uint8), cv2.IMREAD_COLOR))
    recogniser = SkuCatalog.build(references)
    right = total = 0
    for _, photos in visits:
        for photo in photos[:2]:
            if not photo.scene_is_truth:
                continue
            pixels = cv2.imdecode(np.frombuffer(photo.data, np.uint8), cv2.IMREAD_COLOR)
            packs = [f for f in photo.facings if f.sku != UNKNOWN_SKU]
            answers = recogniser.identify(pixels, [f.box for f in packs])
            right += sum(sku == f.sku for (sku, _), f in zip(answers, packs, strict=True))
            total += len(packs)
    assert total > 100 and right >= 0.8 * total


def test_dishonest_photos_are_what_their_plan_says(history_plan):
    _, visits = history_plan
    ways = Counter(plan.honesty for plan, _ in visits)
    assert ways["honest"] + ways["no_exif"] >= 2 and sum(ways[k] for k in dh.DISHONEST) >= 1
    earlier: list[bytes] = []
    for plan, photos in visits:
        for photo in photos:
            exif = Image.open(io.BytesIO(photo.data)).getexif()
            if plan.honesty == "no_exif":
                assert not exif
            elif plan.honesty == "honest":
                gps = exif.get_ifd(0x8825)
                assert haversine_m(gps[2][0], gps[4][0], plan.store.latitude, plan.store.longitude) < 150
            if plan.honesty == "reused" and photo.target == "display":
                assert not photo.scene_is_truth
            earlier.append(photo.data)
        if plan.honesty == "far_checkin":
            assert haversine_m(plan.checkin[0], plan.checkin[1], plan.store.latitude, plan.store.longitude) > 4000
            assert not plan.shelves and all(d.state == "absent" for d in plan.displays)
        if plan.honesty in dh.DISHONEST:
            assert all(d.state == "absent" for d in plan.displays)
