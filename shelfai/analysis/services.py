"""Analysis of one photo: pixels in, a DetectionRun with its detections and an evidence image out."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from shelfai.analysis import engine
from shelfai.analysis.models import Detection, DetectionRun
from shelfai.stores.models import Product
from shelfai.visits.models import Photo

if TYPE_CHECKING:
    import numpy as np

    from shelfai.vision.types import PhotoAnalysis

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
    statuses = photos_analyze([photo_id])
    if photo_id not in statuses:
        raise Photo.DoesNotExist(f"Photo {photo_id} does not exist.")
    return statuses[photo_id]


def photo_claim(photo_id: int) -> bool:
    """``queued -> processing`` if nobody else has taken the photo; True when this caller got it."""
    return bool(Photo.objects.filter(pk=photo_id, status=Photo.Status.QUEUED).update(
        status=Photo.Status.PROCESSING, processing_started_at=timezone.now(), attempts=F("attempts") + 1
    ))


def batch_size() -> int:
    """Photos one analysis task takes on: ``ANALYSIS_BATCH_SIZE``, or by default the detector's CUDA
    batch on a GPU worker and 1 on a CPU worker (where batching gains nothing)."""
    if settings.ANALYSIS_BATCH_SIZE:
        return settings.ANALYSIS_BATCH_SIZE
    loaded = engine.get_detector()
    return loaded.detector.settings.batch if loaded.detector.device.startswith("cuda") else 1


def claim_more(photo_id: int, count: int) -> list[int]:
    """Claim up to ``count`` other queued photos, oldest first, to analyse in one batch with ``photo_id``.

    Each claim is the conditional update (:func:`photo_claim`) the task makes for its own photo, so a photo is never
    analysed twice: its own task, when it runs, finds it claimed and skips it. A photo handed back after a
    transient error is picked up again by its task's retry or by the sweeper.
    """
    if count <= 0:
        return []
    candidates = list(
        Photo.objects.filter(status=Photo.Status.QUEUED).exclude(pk=photo_id)
        .order_by("queued_at", "pk").values_list("pk", flat=True)[: count * 2]
    )
    claimed = []
    for pk in candidates:
        if len(claimed) == count:
            break
        if photo_claim(pk):
            claimed.append(pk)
    return claimed


def photos_analyze(photo_ids: list[int]) -> dict[int, str]:
    """Analyse claimed photos together (one batched detector call) and store each one's result.

    A photo that cannot be decoded or saved fails alone, with its reason; the others go on. Transient
    errors (database, storage connection) propagate, so the task can hand the photos back and retry.
    """
    from shelfai.tasks_common import TRANSIENT_ERRORS
    from shelfai.vision.pipeline import analyze_images, load_oriented_image

    loaded = engine.get_detector()
    catalog_version, catalog = engine.get_catalog()
    statuses: dict[int, str] = {}
    photos, images = [], []
    for photo in Photo.objects.select_related("visit").filter(pk__in=photo_ids).order_by("pk"):
        try:
            with photo.original.open("rb") as fh:
                data = fh.read()
            images.append(load_oriented_image(data, max_pixels=settings.PHOTO_MAX_PIXELS))
            photos.append(photo)
        except TRANSIENT_ERRORS:
            raise
        except Exception as exc:  # noqa: BLE001 - one unreadable photo must not sink the batch
            if len(photo_ids) == 1:
                raise
            log.warning("Photo %s could not be decoded: %s", photo.pk, exc)
            photo_fail(photo.pk, failure_reason(exc))
            statuses[photo.pk] = Photo.Status.FAILED
    analyses = analyze_images(images, detector=loaded.detector, catalog=catalog) if images else []
    for photo, image, analysis in zip(photos, images, analyses, strict=True):
        try:
            statuses[photo.pk] = _store(photo, image, analysis, loaded, catalog_version if catalog is not None else "")
        except TRANSIENT_ERRORS:
            raise
        except Exception as exc:  # noqa: BLE001
            if len(photo_ids) == 1:
                raise
            log.exception("Photo %s could not be stored", photo.pk)
            photo_fail(photo.pk, failure_reason(exc))
            statuses[photo.pk] = Photo.Status.FAILED
    return statuses


def _store(photo: Photo, image: np.ndarray, analysis: PhotoAnalysis, loaded: engine.LoadedDetector,
           catalog_version: str) -> str:
    from shelfai.vision.evidence import render_evidence

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
            catalog_version=catalog_version,
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
            detector_settings=loaded.detector.run_settings,
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
