"""Rows the analytics pages read, made directly: a catalog, scored visits, photos with boxes, checks."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from shelfai.claims.models import Campaign, PaidPlacement, PlacementCheck
from shelfai.compliance.models import ComplianceResult, SkuObservation
from shelfai.detection.models import Detection, DetectionRun
from shelfai.stores.models import Brand, Category, Planogram, Product
from shelfai.visits.models import Photo, Visit
from tests.conftest import jpeg_bytes


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def catalog() -> dict[str, Product]:
    """Two formula brands (one ours, target 40%) and a snack brand in another category."""
    formula, snacks = Category.objects.create(name="Infant formula"), Category.objects.create(name="Snacks")
    gold = Brand.objects.create(name="Gold Formula", is_own=True, share_of_shelf_target=Decimal("0.40"))
    baby = Brand.objects.create(name="BabyStar")
    chips = Brand.objects.create(name="Chip Co")
    make = Product.objects.create
    return {
        "gold900": make(sku="gold-900", name="Gold Formula", pack_size="900 g", brand=gold, category=formula),
        "gold400": make(sku="gold-400", name="Gold Formula", pack_size="400 g", brand=gold, category=formula),
        "baby": make(sku="baby-900", name="BabyStar", pack_size="900 g", brand=baby, category=formula),
        "chips": make(sku="chips-175", name="Chip Co Salted", pack_size="175 g", brand=chips, category=snacks),
    }


def scored_visit(*, store, rep, day: date, score: float | None, deductions: list[dict] | None = None,
                 observations: dict | None = None, photos: int = 1) -> Visit:
    """A visit checked in on ``day`` with ``photos`` photos, a current visit score and per-SKU observations.

    A visit counts only once it has a photo (an empty one is a tap on a store, nothing more), so a
    scored visit has one unless a test adds its own (``photo_with_boxes``) and passes ``photos=0``.

    ``observations`` maps a Product to (facings, expected_facings, out_of_stock). The score's
    share of shelf covers the shelf of the first observed product's category, as a real score does
    (one planogram per visit): each brand's facings there, and their widths from Product.width_mm.
    """
    visit = Visit.objects.create(rep=rep, store=store, status=Visit.Status.CLOSED)
    Visit.objects.filter(pk=visit.pk).update(started_at=at(day), local_date=day, last_activity_at=at(day))
    visit.refresh_from_db()
    observations = observations or {}
    if score is not None:
        category = next(iter(observations)).category if observations else None
        planogram = None
        if category is not None:
            planogram, _ = Planogram.objects.get_or_create(
                name=f"{category.name} bay", category=category, store=store,
                defaults={"effective_from": day - timedelta(days=365)})
        brands: dict = {}
        for product, (facings, _, _) in observations.items():
            if product.category == category:
                entry = brands.setdefault(product.brand.name, {"brand": product.brand.name, "facings": 0,
                                                                "width_mm": 0.0})
                entry["facings"] += facings
                entry["width_mm"] += facings * product.width_mm
        ComplianceResult.objects.create(scope=ComplianceResult.Scope.VISIT, visit=visit, score=Decimal(str(score)),
                                        confidence=0.9, deductions=deductions or [], planogram=planogram,
                                        share_of_shelf={"basis": "facings", "brands": list(brands.values())})
    for product, (facings, expected, oos) in observations.items():
        SkuObservation.objects.create(store=store, product=product, visit=visit, observed_on=day, facings=facings,
                                      expected_facings=expected, out_of_stock=oos)
    for _ in range(photos):
        plain_photo(visit)
    return visit


def plain_photo(visit: Visit, *, data: bytes | None = None) -> Photo:
    """A done photo of ``visit`` with no detections: a small real JPEG, so its thumbnail shows."""
    data = data or jpeg_bytes(80, 60, seed=uuid.uuid4().int % 2**32)
    sha = hashlib.sha256(data).hexdigest()
    photo = Photo(visit=visit, uploaded_by=visit.rep, client_upload_id=uuid.uuid4().hex, content_type="image/jpeg",
                  file_ext="jpg", size_bytes=len(data), sha256=sha, width=800, height=600, status=Photo.Status.DONE)
    photo.original.name = default_storage.save(f"photos/{sha[:2]}/{sha}/{photo.public_id}.jpg", ContentFile(data))
    photo.save()
    return photo


def photo_with_boxes(visit: Visit, *, boxes: list[tuple], score: float | None = None,
                     deductions: list[dict] | None = None, image: bytes | None = None,
                     width: int = 800, height: int = 600) -> Photo:
    """A done photo of ``visit`` whose current run found ``boxes`` = [(x1, y1, x2, y2, product|None)]."""
    data = image or jpeg_bytes(width // 10, height // 10, seed=uuid.uuid4().int % 2**32)
    sha = hashlib.sha256(data).hexdigest()
    photo = Photo(visit=visit, uploaded_by=visit.rep, client_upload_id=uuid.uuid4().hex, content_type="image/jpeg",
                  file_ext="jpg", size_bytes=len(data), sha256=sha, width=width, height=height,
                  status=Photo.Status.DONE)
    photo.original.name = default_storage.save(f"photos/{sha[:2]}/{sha}/{photo.public_id}.jpg", ContentFile(data))
    photo.save()
    run = DetectionRun.objects.create(photo=photo, detector_sha256="ab" * 32, facing_count=len(boxes),
                                      gaps=[{"row": 1, "x1": 700, "y1": 40, "x2": 780, "y2": 200,
                                             "width_in_facings": 1}])
    Detection.objects.bulk_create([
        Detection(run=run, x1=x1, y1=y1, x2=x2, y2=y2, confidence=0.9, product=product,
                  sku_confidence=0.8 if product else 0.1, shelf_level=1)
        for x1, y1, x2, y2, product in boxes
    ])
    if score is not None:
        ComplianceResult.objects.create(scope=ComplianceResult.Scope.PHOTO, visit=visit, photo=photo,
                                        detection_run=run, score=Decimal(str(score)), confidence=0.8,
                                        deductions=deductions or [])
    return photo


def campaign_with_checks(*, brand: Brand, store, starts: date, ends: date, verdicts: list[tuple[Visit, str]],
                         name: str = "Spring end-caps") -> Campaign:
    campaign = Campaign.objects.create(name=name, brand=brand, starts_on=starts, ends_on=ends)
    campaign.stores.add(store)
    placement = PaidPlacement.objects.create(campaign=campaign, store=store, display_type="end_cap",
                                             starts_on=starts, ends_on=ends, fee=Decimal("400.00"))
    for visit, verdict in verdicts:
        PlacementCheck.objects.create(placement=placement, visit=visit, checked_on=visit.started_at.date(),
                                      verdict=verdict, reasons=[f"verdict {verdict}"])
    return campaign
