"""A paid end-cap at the rep's store over four past weeks, and helpers for visits with detections."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # As in tests/browser: the browser fixture saves a screenshot when the test itself failed.
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(autouse=True)
def _claims_routes(settings):
    settings.ROOT_URLCONF = "tests.claims.urls"
    # The fixtures create six users per test; the default hasher makes that the slowest part.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def shop(world):
    """world + our brand, two SKUs, a campaign and a 28-day end-cap (fee 1000.00) at the rep's store s1."""
    from shelfai.claims.models import Campaign, PaidPlacement, PlacementRequirement
    from shelfai.stores.models import Brand, Category, Product

    brand = Brand.objects.create(name="Gold", is_own=True)
    category = Category.objects.create(name="Infant formula")
    gold = Product.objects.create(sku="gold-900", name="Gold Formula", pack_size="900 g", brand=brand,
                                  category=category)
    silver = Product.objects.create(sku="silver-400", name="Silver Formula", pack_size="400 g", brand=brand,
                                    category=category)
    start = timezone.localdate() - timedelta(days=35)
    campaign = Campaign.objects.create(name="Spring end-caps", brand=brand, starts_on=start,
                                       ends_on=start + timedelta(days=27))
    placement = PaidPlacement.objects.create(
        campaign=campaign, store=world.store, display_type=PaidPlacement.DisplayType.END_CAP,
        starts_on=start, ends_on=start + timedelta(days=27), fee=Decimal("1000.00"))
    PlacementRequirement.objects.create(placement=placement, product=gold, min_facings=4)
    PlacementRequirement.objects.create(placement=placement, product=silver, min_facings=2)
    other = PaidPlacement.objects.create(
        campaign=campaign, store=world.other_store, display_type=PaidPlacement.DisplayType.FLOOR_STAND,
        starts_on=start, ends_on=start + timedelta(days=27), fee=Decimal("600.00"))
    world.brand, world.gold, world.silver, world.campaign = brand, gold, silver, campaign
    world.placement, world.other_placement, world.start = placement, other, start
    world.end = placement.ends_on
    return world


def visit_on(world, day: date, *, rep=None, store=None):
    from shelfai.visits.models import Visit

    visit = Visit.objects.create(rep=rep or world.users["rep"], store=store or world.store)
    moment = timezone.make_aware(datetime.combine(day, time(10, 0)))
    Visit.objects.filter(pk=visit.pk).update(started_at=moment, local_date=day, last_activity_at=moment)
    visit.refresh_from_db()
    return visit


def photo_in(visit, data: bytes, *, client_id: str | None = None, status: str = "done"):
    """A stored photo of the visit, as intake would leave it (original bytes, sha256), already analysed."""
    from shelfai.visits.models import Photo

    sha = hashlib.sha256(data).hexdigest()
    photo = Photo(visit=visit, uploaded_by=visit.rep, client_upload_id=client_id or uuid.uuid4().hex,
                  content_type="image/jpeg", file_ext="jpg", size_bytes=len(data), sha256=sha,
                  width=640, height=480, status=status, exif_taken_at=visit.started_at)
    photo.original.save("x.jpg", ContentFile(data), save=False)
    photo.evidence_image.save("e.jpg", ContentFile(data), save=False)
    photo.save()
    Photo.objects.filter(pk=photo.pk).update(uploaded_at=visit.started_at)
    photo.refresh_from_db()
    return photo


def detections_on(photo, facings: list[tuple], *, sha: str = "a" * 64):
    """Store a current detection run: ``facings`` is [(product, shelf_level, count), ...]."""
    from shelfai.detection.models import Detection, DetectionRun

    DetectionRun.objects.filter(photo=photo, is_current=True).update(is_current=False)
    run = DetectionRun.objects.create(photo=photo, detector_sha256=sha, facing_count=sum(n for *_, n in facings))
    x = 0.0
    for product, level, count in facings:
        for _ in range(count):
            Detection.objects.create(run=run, x1=x, y1=100, x2=x + 40, y2=200, confidence=0.9,
                                     product=product, sku_confidence=0.9, shelf_level=level)
            x += 42
    return run


@pytest.fixture
def executed_visit(shop, make_jpeg):
    """Build a visit on ``day`` whose photo shows the end-cap fully set up (or as given)."""
    seeds = iter(range(100, 10_000))

    def make(day: date, facings=None, *, store=None, data: bytes | None = None):
        visit = visit_on(shop, day, store=store)
        photo = photo_in(visit, data or make_jpeg(seed=next(seeds)))
        detections_on(photo, facings if facings is not None else [(shop.gold, 2, 4), (shop.silver, 2, 2)])
        return visit, photo

    return make


@pytest.fixture
def outsider(db):
    """Signed in, but with no business on the claims desk."""
    from shelfai.accounts.models import Role, User

    return User.objects.create_user("planner", password="pw-planner", role=Role.PLANNING)


def csv_file(text: str, name: str = "claims.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


@pytest.fixture
def claim_for(shop):
    """A submitted claim by the rep for (part of) the end-cap, built through the service."""
    from shelfai.claims import services

    def make(amount="800.00", start=None, end=None, placement=None, reference=""):
        line = services.LineInput(placement=placement or shop.placement, period_start=start or shop.start,
                                  period_end=end or shop.end, amount=Decimal(amount))
        return services.claim_submit(submitted_by=shop.users["rep"], lines=[line], reference=reference)

    return make
