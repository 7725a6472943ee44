"""Scoring of analysed photos and visits: the ORM glue around the pure rules in this package.

A photo is scored alone (what the rep sees on the phone) and its visit is re-scored with all its
usable photos merged (what marketing and claims use). Scoring stores results and returns; the
pipeline decides what runs next (placement checks, claim evidence). Each score is a new ComplianceResult; the
previous one is kept, marked not current, with the planogram and detector versions it used.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from shelfai.compliance.models import ComplianceResult, SkuObservation
from shelfai.compliance.observations import PhotoObservation
from shelfai.compliance.scoring import ExpectedItem, PlanogramSpec, ShelfSpec, score_visit
from shelfai.compliance.selectors import planogram_for
from shelfai.compliance.types import CatalogEntry
from shelfai.detection.models import Detection, DetectionRun
from shelfai.stores.models import Brand, Planogram, Product
from shelfai.vision.types import UNKNOWN_SKU, Box, Facing, Gap, ShelfRow
from shelfai.visits.models import Photo, Visit

log = logging.getLogger(__name__)


def planogram_spec(planogram: Planogram) -> tuple[PlanogramSpec, dict[str, CatalogEntry]]:
    shelves = []
    for shelf in planogram.shelves.prefetch_related("facings__product__brand"):
        items = [
            ExpectedItem(sku=f.product.sku, name=str(f.product), brand=f.product.brand.name, facings=f.facings,
                         position=f.position)
            for f in shelf.facings.all()
        ]
        shelves.append(ShelfSpec(level=shelf.level, items=items))
    brands = Brand.objects.all()
    spec = PlanogramSpec(
        shelves=shelves,
        name=planogram.name,
        brand_targets={b.name: float(b.share_of_shelf_target) for b in brands if b.share_of_shelf_target},
        own_brands=frozenset(b.name for b in brands if b.is_own),
    )
    catalog = {
        p.sku: CatalogEntry(str(p), p.brand.name, float(p.width_mm))
        for p in Product.objects.select_related("brand")
    }
    return spec, catalog


def observation_for(run: DetectionRun) -> PhotoObservation:
    """Rebuild the vision output of a stored run, as the pure scoring takes it."""
    facings = [
        Facing(
            box=Box(d.x1, d.y1, d.x2, d.y2, d.confidence),
            row=d.shelf_level,
            sku=sku or UNKNOWN_SKU,
            sku_confidence=d.sku_confidence,
        )
        for d, sku in (
            (d, d.product.sku if d.product_id else None)
            for d in Detection.objects.filter(run=run).select_related("product")
        )
    ]
    rows = [ShelfRow(r["level"], r["y1"], r["y2"], r["x1"], r["x2"]) for r in run.rows]
    gaps = [
        Gap(g["row"], Box(g["x1"], g["y1"], g["x2"], g["y2"]), g["width_in_facings"]) for g in run.gaps
    ]
    return PhotoObservation(facings=facings, gaps=gaps, rows=rows, photo_id=run.photo_id)


def _store_result(*, scope: str, visit: Visit, photo: Photo | None, planogram: Planogram | None,
                  run: DetectionRun | None, report) -> ComplianceResult:
    current = ComplianceResult.objects.filter(visit=visit, scope=scope, is_current=True)
    current = current.filter(photo=photo) if photo is not None else current
    current.update(is_current=False)
    data = report.to_dict() if report is not None else {}
    return ComplianceResult.objects.create(
        scope=scope,
        visit=visit,
        photo=photo,
        planogram=planogram,
        planogram_version=planogram.version if planogram else 0,
        detection_run=run,
        detector_sha256=run.detector_sha256 if run else "",
        score=Decimal(str(round(report.score, 1))) if report is not None and report.score is not None else None,
        confidence=report.confidence if report is not None else 0.0,
        deductions=data.get("deductions", []),
        facings_by_sku=report.facings_by_sku if report is not None else {},
        share_of_shelf=data.get("share_of_shelf", {}),
        report=data,
    )


@dataclass(frozen=True)
class PhotoAssessment:
    """What scoring one photo found, before it is stored: read and computed outside any transaction."""

    photo: Photo
    run: DetectionRun | None
    planogram: Planogram | None
    report: object | None  # scoring.ComplianceReport, or None when there is nothing to score against


def photo_assess(photo: Photo) -> PhotoAssessment:
    """Score one analysed photo alone (what the rep sees on the phone) against the store's planogram."""
    run = DetectionRun.objects.filter(photo=photo, is_current=True).first()
    if run is None:
        return PhotoAssessment(photo, None, None, None)
    planogram = planogram_for(store=photo.visit.store, on=photo.uploaded_at.date())
    report = None
    if planogram is not None and run.quality_ok:
        spec, catalog = planogram_spec(planogram)
        report = score_visit(spec, catalog, [observation_for(run)])
    return PhotoAssessment(photo, run, planogram, report)


def photo_result_store(assessment: PhotoAssessment) -> ComplianceResult | None:
    """Store the assessment as the photo's one current result (earlier ones are kept, not current)."""
    if assessment.run is None:
        return None
    with transaction.atomic():
        return _store_result(scope=ComplianceResult.Scope.PHOTO, visit=assessment.photo.visit,
                             photo=assessment.photo, planogram=assessment.planogram, run=assessment.run,
                             report=assessment.report)


def visit_score(visit: Visit) -> ComplianceResult | None:
    """Merge every usable photo of the visit; record what each planned SKU looked like."""
    runs = list(
        DetectionRun.objects.filter(photo__visit=visit, is_current=True, quality_ok=True).select_related("photo")
    )
    planogram = planogram_for(store=visit.store, on=visit.started_at.date())
    report = None
    if planogram is not None and runs:
        spec, catalog = planogram_spec(planogram)
        report = score_visit(spec, catalog, [observation_for(run) for run in runs])
    with transaction.atomic():
        if report is not None:
            _record_observations(visit, report)
        return _store_result(scope=ComplianceResult.Scope.VISIT, visit=visit, photo=None, planogram=planogram,
                             run=runs[0] if runs else None, report=report)


def _record_observations(visit: Visit, report) -> None:
    """One SkuObservation per planned SKU that was assessed: the out-of-stock signal for forecasting."""
    products = dict(Product.objects.filter(sku__in=[line.sku for line in report.skus]).values_list("sku", "pk"))
    for line in report.skus:
        # Only what was verified reaches forecasting: an unverified "missing" is not an out-of-stock day.
        if line.status in ("not_assessed", "not_in_planogram", "not_verified") or line.sku not in products:
            continue
        SkuObservation.objects.update_or_create(
            visit=visit,
            product_id=products[line.sku],
            defaults={
                "store": visit.store,
                "observed_on": visit.started_at.date(),
                "facings": line.observed_facings,
                "expected_facings": line.expected_facings,
                "out_of_stock": line.observed_facings == 0,
            },
        )
