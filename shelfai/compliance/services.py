"""Scoring of analysed photos and visits: the ORM glue around the pure rules in this package.

A photo is scored alone (what the rep sees on the phone) and its visit is re-scored with all its
usable photos merged (what marketing and claims use). Each score is a new ComplianceResult; the
previous one is kept, marked not current, with the planogram and detector versions it used.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction

from shelfai.analysis.models import Detection, DetectionRun
from shelfai.compliance.models import ComplianceResult, SkuObservation
from shelfai.compliance.observations import PhotoObservation
from shelfai.compliance.scoring import CatalogEntry, ExpectedItem, PlanogramSpec, ShelfSpec, score_visit
from shelfai.compliance.selectors import planogram_for
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


@transaction.atomic
def photo_score(photo: Photo, *, check_authenticity: bool = True) -> ComplianceResult | None:
    """Score one analysed photo, then refresh its visit's score and the claims evidence it feeds.

    Authenticity depends only on the photo's bytes and EXIF, so a rescore (new planogram) skips it.
    """
    from shelfai.visits.authenticity_services import photo_check_authenticity

    if check_authenticity:
        photo_check_authenticity(photo)
    run = DetectionRun.objects.filter(photo=photo, is_current=True).first()
    if run is None:
        return None
    planogram = planogram_for(store=photo.visit.store, on=photo.uploaded_at.date())
    report = None
    if planogram is not None and run.quality_ok:
        spec, catalog = planogram_spec(planogram)
        report = score_visit(spec, catalog, [observation_for(run)])
    result = _store_result(scope=ComplianceResult.Scope.PHOTO, visit=photo.visit, photo=photo,
                           planogram=planogram, run=run, report=report)
    visit_score(photo.visit)
    return result


@transaction.atomic
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
        _record_observations(visit, report)
    result = _store_result(scope=ComplianceResult.Scope.VISIT, visit=visit, photo=None, planogram=planogram,
                           run=runs[0] if runs else None, report=report)
    _refresh_placements(visit)
    return result


def _record_observations(visit: Visit, report) -> None:
    """One SkuObservation per planned SKU that was assessed: the out-of-stock signal for forecasting."""
    products = dict(Product.objects.filter(sku__in=[line.sku for line in report.skus]).values_list("sku", "pk"))
    for line in report.skus:
        if line.status in ("not_assessed", "not_in_planogram") or line.sku not in products:
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


def _refresh_placements(visit: Visit) -> None:
    try:
        from shelfai.claims.services import placement_checks_refresh
    except ImportError:  # claims not installed in this deployment
        return
    placement_checks_refresh(visit=visit)


def rescore(*, planogram: Planogram | None = None, visits=None) -> int:
    """Recompute results after a planogram change or a model activation; history is kept."""
    qs = Visit.objects.all() if visits is None else visits
    if planogram is not None:
        store_ids = [planogram.store_id] if planogram.store_id else list(
            planogram.store_group.stores.values_list("pk", flat=True))
        qs = qs.filter(store_id__in=store_ids, started_at__date__gte=planogram.effective_from)
    count = 0
    for visit in qs.iterator():
        for photo in visit.photos.filter(status=Photo.Status.DONE):
            photo_score(photo, check_authenticity=False)
        count += 1
    return count
