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
from shelfai.compliance.scoring import ExpectedItem, PlanogramSpec, ShelfSpec, best_planogram, score_visit, withhold
from shelfai.compliance.types import CatalogEntry
from shelfai.detection.models import Detection, DetectionRun
from shelfai.stores.models import Brand, Planogram, Product, ShareTarget
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
    spec = PlanogramSpec(
        shelves=shelves,
        name=planogram.name,
        brand_targets=share_targets(planogram.category_id),
        own_brands=frozenset(Brand.objects.filter(is_own=True).values_list("name", flat=True)),
    )
    catalog = {
        p.sku: CatalogEntry(str(p), p.brand.name, float(p.width_mm))
        for p in Product.objects.select_related("brand")
    }
    return spec, catalog


def share_targets(category_id: int) -> dict[str, float]:
    """Brand -> target share on this category's shelves. A target set for the category wins; a brand's
    general target applies only where the brand sells products of the category, so a formula shelf is
    never told to add facings of a snack brand."""
    targets = {b.name: float(b.share_of_shelf_target) for b in Brand.objects.filter(
        share_of_shelf_target__isnull=False, products__category_id=category_id).distinct()}
    targets.update({t.brand.name: float(t.target) for t in ShareTarget.objects.filter(
        category_id=category_id).select_related("brand")})
    return {brand: share for brand, share in targets.items() if share > 0}


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
                  run: DetectionRun | None, report, extra: dict | None = None) -> ComplianceResult:
    if photo is not None:
        ComplianceResult.objects.filter(visit=visit, scope=scope, photo=photo, is_current=True).update(
            is_current=False)
    data = (report.to_dict() if report is not None else {}) | (extra or {})
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
    matched_by: str = "task"  # task | best_match | none: how the planogram was chosen


def photo_assess(photo: Photo, *, planograms: list[Planogram], best_match: bool = False) -> PhotoAssessment:
    """Score one analysed photo alone (what the rep sees on the phone).

    The pipeline names what it may be scored against: the planogram of the photo's capture task, or,
    for a photo sent without one (``best_match``), every planogram in force at the store, of which the
    one whose products the photo shows most of is chosen (the result says it was matched that way).
    No planograms (a display photo, or a store with none in force): stored without a score.
    """
    run = DetectionRun.objects.filter(photo=photo, is_current=True).first()
    if run is None:
        return PhotoAssessment(photo, None, None, None)
    if not planograms:
        return PhotoAssessment(photo, run, None, None, matched_by="none" if best_match else "task")
    observation = observation_for(run)
    planogram, matched_by = planograms[0], "task"
    if best_match:
        planned = {p: _planned_skus(p) for p in planograms}
        chosen, _ = best_planogram(observation, planned)
        # Nothing recognised: scored against the first so the result says "not verified" and why.
        planogram, matched_by = (chosen, "best_match") if chosen is not None else (planograms[0], "none")
    report = None
    if run.quality_ok:
        spec, catalog = planogram_spec(planogram)
        report = score_visit(spec, catalog, [observation])
        if matched_by == "none" and len(planograms) > 1 and report.verified:
            # e.g. an empty shelf sent without a task: nothing says which planogram it is.
            report = withhold(report, {"code": "no_planogram_recognised", "params": {}})
    return PhotoAssessment(photo, run, planogram, report, matched_by=matched_by)


def _planned_skus(planogram: Planogram) -> set[str]:
    return set(planogram.shelves.values_list("facings__product__sku", flat=True)) - {None}


def photo_result_store(assessment: PhotoAssessment) -> ComplianceResult | None:
    """Store the assessment as the photo's one current result (earlier ones are kept, not current)."""
    if assessment.run is None:
        return None
    with transaction.atomic():
        return _store_result(scope=ComplianceResult.Scope.PHOTO, visit=assessment.photo.visit,
                             photo=assessment.photo, planogram=assessment.planogram, run=assessment.run,
                             report=assessment.report, extra={"matched_by": assessment.matched_by})


def visit_score(visit: Visit) -> list[ComplianceResult]:
    """One result per planogram the visit's photos were scored against (each photo's current result
    says which), merging that planogram's usable photos; records what each planned SKU looked like.

    A visit with no scored shelf photo keeps one empty result, so its pages say there is nothing yet.
    """
    results = ComplianceResult.objects.filter(visit=visit, scope=ComplianceResult.Scope.PHOTO, is_current=True,
                                              planogram__isnull=False, detection_run__quality_ok=True,
                                              detection_run__is_current=True)
    groups: dict[int, list[DetectionRun]] = {}
    planograms: dict[int, Planogram] = {}
    for result in results.select_related("planogram", "detection_run").order_by("photo_id"):
        groups.setdefault(result.planogram_id, []).append(result.detection_run)
        planograms[result.planogram_id] = result.planogram
    stored = []
    with transaction.atomic():
        ComplianceResult.objects.filter(visit=visit, scope=ComplianceResult.Scope.VISIT,
                                        is_current=True).update(is_current=False)
        for planogram_id, runs in sorted(groups.items()):
            spec, catalog = planogram_spec(planograms[planogram_id])
            report = score_visit(spec, catalog, [observation_for(run) for run in runs])
            _record_observations(visit, report)
            stored.append(_store_result(scope=ComplianceResult.Scope.VISIT, visit=visit, photo=None,
                                        planogram=planograms[planogram_id], run=runs[0], report=report))
        if not stored:
            stored.append(_store_result(scope=ComplianceResult.Scope.VISIT, visit=visit, photo=None,
                                        planogram=None, run=None, report=None))
    return stored


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
                "observed_on": visit.local_date,  # the store's day: forecasting's out-of-stock day
                "facings": line.observed_facings,
                "expected_facings": line.expected_facings,
                "out_of_stock": line.observed_facings == 0,
            },
        )
