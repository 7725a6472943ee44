"""Analysis of one photo: pixels in, a DetectionRun with its detections and an evidence image out."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from shelfai.analysis import engine
from shelfai.analysis.models import Detection, DetectionRun
from shelfai.stores.models import Product
from shelfai.visits.models import Photo

log = logging.getLogger(__name__)


def failure_reason(exc: Exception) -> str:
    from shelfai.visits.imaging import ImageRejected

    if isinstance(exc, (engine.EngineUnavailable, ImageRejected)):
        return str(exc)
    try:
        from shelfai.vision.pipeline import ImageRejected as DecodeRejected

        if isinstance(exc, DecodeRejected):
            return str(exc)
    except ImportError:
        pass
    return f"Analysis failed unexpectedly ({type(exc).__name__}). The photo is kept; support has been notified."


def photo_fail(photo_id: int, reason: str) -> None:
    Photo.objects.filter(pk=photo_id).exclude(status__in=Photo.TERMINAL).update(
        status=Photo.Status.FAILED, status_reason=reason, finished_at=timezone.now()
    )


def photo_analyze(photo_id: int) -> str:
    from shelfai.vision.evidence import render_evidence
    from shelfai.vision.pipeline import analyze_image, load_oriented_image

    photo = Photo.objects.select_related("visit").get(pk=photo_id)
    with photo.original.open("rb") as fh:
        data = fh.read()
    image = load_oriented_image(data, max_pixels=settings.PHOTO_MAX_PIXELS)
    loaded = engine.get_detector()
    catalog_version, catalog = engine.get_catalog()
    analysis = analyze_image(image, detector=loaded.detector, catalog=catalog)

    expected = _expected_skus(photo)
    evidence = render_evidence(image, analysis.facings, analysis.gaps, expected_skus=expected or None)
    product_ids = dict(
        Product.objects.filter(sku__in={f.sku for f in analysis.facings}).values_list("sku", "pk")
    )

    with transaction.atomic():
        DetectionRun.objects.filter(photo=photo, is_current=True).update(is_current=False)
        run = DetectionRun.objects.create(
            photo=photo,
            detector_id=loaded.model_id,
            detector_sha256=loaded.sha256,
            catalog_version=catalog_version if catalog is not None else "",
            quality_ok=analysis.quality.ok,
            quality_reasons=analysis.quality.reasons,
            quality_metrics={k: float(v) for k, v in analysis.quality.metrics.items()},
            rows=[{"level": r.level, "y1": r.y1, "y2": r.y2, "x1": r.x1, "x2": r.x2} for r in analysis.rows],
            gaps=[
                {"row": g.row, "x1": g.box.x1, "y1": g.box.y1, "x2": g.box.x2, "y2": g.box.y2,
                 "width_in_facings": g.width_in_facings}
                for g in analysis.gaps
            ],
            timings_ms={k: round(float(v), 1) for k, v in analysis.timings_ms.items()},
            facing_count=len(analysis.facings),
        )
        Detection.objects.bulk_create(
            [
                Detection(
                    run=run,
                    x1=f.box.x1, y1=f.box.y1, x2=f.box.x2, y2=f.box.y2,
                    confidence=f.box.confidence,
                    product_id=product_ids.get(f.sku),
                    sku_confidence=f.sku_confidence,
                    shelf_level=f.row,
                )
                for f in analysis.facings
            ],
            batch_size=1000,
        )
        photo.evidence_image.save(f"{photo.public_id}.jpg", ContentFile(evidence), save=False)
        now = timezone.now()
        if analysis.quality.ok:
            photo.status, photo.status_reason = Photo.Status.ANALYZED, ""
        else:
            photo.status, photo.status_reason = Photo.Status.RETAKE, " ".join(analysis.quality.reasons)
            photo.finished_at = now
        photo.analyzed_at = now
        photo.save(update_fields=["evidence_image", "status", "status_reason", "analyzed_at", "finished_at"])
        transaction.on_commit(lambda: _enqueue_scoring(photo.pk))
    return photo.status


def _expected_skus(photo: Photo) -> set[str]:
    from shelfai.compliance.selectors import planogram_for

    planogram = planogram_for(store=photo.visit.store, on=photo.uploaded_at.date())
    if planogram is None:
        return set()
    return set(planogram.shelves.values_list("facings__product__sku", flat=True)) - {None}


def _enqueue_scoring(photo_id: int) -> None:
    from shelfai.compliance.tasks import score_photo

    score_photo.apply_async(args=[photo_id])
