"""Detection of decoded photos: pixels in, a stored DetectionRun with its detections and an evidence image.

This stage only detects and records. It does not claim photos, change their status or decide what
runs next: ``shelfai.pipeline`` does, around these calls.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from shelfai.detection import engine
from shelfai.detection.models import Detection, DetectionRun
from shelfai.stores.models import Product
from shelfai.vision.evidence import render_evidence
from shelfai.vision.pipeline import analyze_images
from shelfai.vision.types import PhotoAnalysis
from shelfai.visits.models import Photo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DetectionBatch:
    """What a batch of photos was analysed with, and each photo's analysis (in the order given)."""

    loaded: engine.LoadedDetector
    catalog_version: str
    analyses: list[PhotoAnalysis]


def batch_size() -> int:
    """Photos one analysis task takes on: ``ANALYSIS_BATCH_SIZE``, or by default the detector's CUDA
    batch on a GPU worker and 1 on a CPU worker (where batching gains nothing)."""
    if settings.ANALYSIS_BATCH_SIZE:
        return settings.ANALYSIS_BATCH_SIZE
    loaded = engine.get_detector()
    return loaded.detector.settings.batch if loaded.detector.device.startswith("cuda") else 1


def images_detect(images: list[np.ndarray]) -> DetectionBatch:
    """One batched detector call (and SKU recognition) for already decoded, upright photos."""
    loaded = engine.get_detector()
    version, catalog = engine.get_catalog()
    analyses = analyze_images(images, detector=loaded.detector, catalog=catalog) if images else []
    return DetectionBatch(loaded, version if catalog is not None else "", analyses)


def evidence_save(photo: Photo, image: np.ndarray, analysis: PhotoAnalysis, *, expected_skus: set[str]) -> str:
    """Render the boxes-and-gaps image and write it to storage; returns its name.

    Outside any transaction: writing a file (to S3 in production) can take long, and a row lock
    held for it would stall every other writer of the photo.
    """
    evidence = render_evidence(image, analysis.facings, analysis.gaps, expected_skus=expected_skus or None)
    return photo.evidence_image.storage.save(
        photo.evidence_image.field.generate_filename(photo, f"{photo.public_id}.jpg"), ContentFile(evidence))


def run_store(*, photo: Photo, analysis: PhotoAnalysis, batch: DetectionBatch, evidence_name: str) -> DetectionRun:
    """The run becomes the photo's current one; earlier runs are kept, marked not current."""
    loaded = batch.loaded
    product_ids = dict(Product.objects.filter(sku__in={f.sku for f in analysis.facings}).values_list("sku", "pk"))
    with transaction.atomic():
        DetectionRun.objects.filter(photo=photo, is_current=True).update(is_current=False)
        run = DetectionRun.objects.create(
            photo=photo,
            detector_id=loaded.model_id,
            detector_sha256=loaded.sha256,
            catalog_version=batch.catalog_version,
            quality_ok=analysis.quality.ok,
            quality_reasons=analysis.quality.reasons,
            quality_codes=analysis.quality.codes,
            quality_metrics={k: float(v) for k, v in analysis.quality.metrics.items()},
            detector_settings=loaded.detector.run_settings,
            **_analysis_fields(analysis),
        )
        _detections_store(run, analysis, product_ids)
        Photo.objects.filter(pk=photo.pk).update(evidence_image=evidence_name)
    photo.evidence_image.name = evidence_name
    return run


def _analysis_fields(analysis: PhotoAnalysis) -> dict:
    """A run's rows, gaps, timings and count as stored, whoever found the boxes."""
    return {
        "rows": [{"level": r.level, "y1": r.y1, "y2": r.y2, "x1": r.x1, "x2": r.x2} for r in analysis.rows],
        "gaps": [{"row": g.row, "x1": g.box.x1, "y1": g.box.y1, "x2": g.box.x2, "y2": g.box.y2,
                  "width_in_facings": g.width_in_facings} for g in analysis.gaps],
        "timings_ms": {k: round(float(v), 1) for k, v in analysis.timings_ms.items()},
        "facing_count": len(analysis.facings),
    }


def _detections_store(run: DetectionRun, analysis: PhotoAnalysis, product_ids: dict[str, int]) -> None:
    Detection.objects.bulk_create(
        [Detection(run=run, x1=f.box.x1, y1=f.box.y1, x2=f.box.x2, y2=f.box.y2, confidence=f.box.confidence,
                   product_id=product_ids.get(f.sku), sku_confidence=f.sku_confidence, shelf_level=f.row)
         for f in analysis.facings], batch_size=1000)


def run_store_reviewed(*, photo: Photo, previous: DetectionRun, analysis: PhotoAnalysis, reviewer,
                       evidence_name: str, skus: dict[str, int]) -> DetectionRun:
    """A reviewer's corrected boxes become the photo's current run: the same detector, catalog and quality
    verdict as ``previous`` (which is kept, not current), the boxes, rows and gaps of ``analysis``.
    ``skus`` maps the SKU codes in ``analysis`` to product ids (the pipeline looked them up)."""
    from django.utils import timezone

    with transaction.atomic():
        DetectionRun.objects.filter(photo=photo, is_current=True).update(is_current=False)
        run = DetectionRun.objects.create(
            photo=photo, detector_id=previous.detector_id, detector_sha256=previous.detector_sha256,
            catalog_version=previous.catalog_version, quality_ok=previous.quality_ok,
            quality_reasons=previous.quality_reasons, quality_codes=previous.quality_codes,
            quality_metrics=previous.quality_metrics,
            detector_settings=previous.detector_settings, reviewed_by=reviewer, reviewed_at=timezone.now(),
            **_analysis_fields(analysis))
        _detections_store(run, analysis, skus)
        Photo.objects.filter(pk=photo.pk).update(evidence_image=evidence_name)
    photo.evidence_image.name = evidence_name
    return run
