"""A store with a paid point-of-sale strip (no products to count) claimed by the rep, and a done photo
of it the recogniser could say nothing about; plus generated packs for the naming tests."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal

import cv2
import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from tests.browser.conftest import make_driver, sign_in  # noqa: F401  (the browser tests' fixtures)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def visit_on(world, day):
    from shelfai.visits.models import Visit

    visit = Visit.objects.create(rep=world.users["rep"], store=world.store)
    moment = timezone.make_aware(datetime.combine(day, time(10, 0)))
    Visit.objects.filter(pk=visit.pk).update(started_at=moment, local_date=day, last_activity_at=moment)
    visit.refresh_from_db()
    return visit


def photo_of(visit, data: bytes, *, width: int, height: int, ext: str = "jpg"):
    """A stored, finished photo of the visit, as intake and analysis leave it."""
    from shelfai.visits.models import Photo

    photo = Photo(visit=visit, uploaded_by=visit.rep, client_upload_id=uuid.uuid4().hex,
                  content_type="image/png" if ext == "png" else "image/jpeg", file_ext=ext, size_bytes=len(data),
                  sha256=hashlib.sha256(data).hexdigest(), width=width, height=height,
                  status=Photo.Status.DONE, exif_taken_at=visit.started_at)
    photo.original.save(f"x.{ext}", ContentFile(data), save=False)
    photo.save()
    Photo.objects.filter(pk=photo.pk).update(uploaded_at=visit.started_at)
    photo.refresh_from_db()
    return photo


def detector_found(photo, boxes: list[tuple[float, float, float, float]], products=None):
    """Play the detector: a current run with these boxes, named as given (None: not recognised)."""
    from shelfai.detection.models import Detection, DetectionRun

    DetectionRun.objects.filter(photo=photo, is_current=True).update(is_current=False)
    run = DetectionRun.objects.create(photo=photo, detector_sha256="d" * 64, facing_count=len(boxes))
    products = products or [None] * len(boxes)
    for (x1, y1, x2, y2), product in zip(boxes, products, strict=True):
        Detection.objects.create(run=run, x1=x1, y1=y1, x2=x2, y2=y2, confidence=0.9, product=product,
                                 sku_confidence=0.9 if product else 0.0, shelf_level=1)
    return run


@pytest.fixture
def pos(world, make_jpeg):
    """A 28-day shelf strip (fee 700.00) at the rep's store, a claim for all of it, and a photo of it."""
    from shelfai.claims import services
    from shelfai.claims.models import Campaign, PaidPlacement
    from shelfai.pipeline import stages
    from shelfai.stores.models import Brand

    brand = Brand.objects.create(name="Gold", is_own=True)
    start = timezone.localdate() - timedelta(days=35)
    campaign = Campaign.objects.create(name="Spring strips", brand=brand, starts_on=start,
                                       ends_on=start + timedelta(days=27))
    strip = PaidPlacement.objects.create(
        campaign=campaign, store=world.store, display_type=PaidPlacement.DisplayType.SHELF_STRIP,
        starts_on=start, ends_on=start + timedelta(days=27), fee=Decimal("700.00"))
    visits, photos = [], []
    for week in range(4):
        visit = visit_on(world, start + timedelta(days=7 * week + 2))
        photo = photo_of(visit, make_jpeg(seed=40 + week), width=640, height=480)
        detector_found(photo, [(20, 40, 120, 300)])
        stages.visit_refresh(visit)
        visits.append(visit)
        photos.append(photo)
    claim = services.claim_submit(submitted_by=world.users["rep"], lines=[services.LineInput(
        placement=strip, period_start=start, period_end=strip.ends_on, amount=Decimal("700.00"))])
    world.brand, world.strip, world.visits, world.photos, world.claim = brand, strip, visits, photos, claim
    return world


def pack_art(seed: int, size=(150, 100)) -> np.ndarray:
    """A made-up pack: a coloured body with a bold stripe and a circle logo, different per seed."""
    rng = np.random.default_rng(seed)
    h, w = size
    art = np.zeros((h, w, 3), np.uint8)
    art[:] = rng.integers(30, 225, 3)
    cv2.rectangle(art, (0, int(h * 0.3)), (w, int(h * 0.5)), tuple(int(c) for c in rng.integers(0, 255, 3)), -1)
    cv2.circle(art, (w // 2, int(h * 0.72)), w // 4, tuple(int(c) for c in rng.integers(0, 255, 3)), -1)
    cv2.putText(art, f"P{seed}", (8, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (255, 255, 255), 2)
    return art


def shelf_with(packs: list[np.ndarray], *, seed: int, gain: float = 1.0
               ) -> tuple[bytes, list[tuple[int, int, int, int]], int, int]:
    """A PNG shelf photo with the packs standing side by side, lit by ``gain``; returns bytes, the packs'
    boxes, width, height."""
    rng = np.random.default_rng(seed)
    height, width = 240, 40 + 130 * len(packs)
    scene = np.full((height, width, 3), 200, np.uint8)
    scene += rng.integers(0, 12, scene.shape, dtype=np.uint8)
    boxes = []
    for i, pack in enumerate(packs):
        h, w = pack.shape[:2]
        x, y = 20 + 130 * i, 60
        scene[y:y + h, x:x + w] = pack
        boxes.append((x, y, x + w, y + h))
    scene = np.clip(scene.astype(np.float32) * gain, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".png", scene)
    return buf.tobytes(), boxes, width, height
