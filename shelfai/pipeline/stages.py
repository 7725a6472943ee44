"""The order of the stages, and what happens between them.

Analysis (queue ``gpu``), one worker step per photo or batch: decode once -> 1 authenticity ->
2 detection. Scoring (queue ``default``): 3 photo and visit score -> 4 placement checks -> 5 claim
evidence. Each step claims its photos first (``status``), each stage commits its own short
transaction, and the hand-on to the next step is a message sent after commit (``dispatch``).
"""

from __future__ import annotations

import logging
from datetime import datetime

import numpy as np
from django.conf import settings
from django.db import transaction

from shelfai.claims.evidence import claim_evidence_refresh, placement_checks_refresh
from shelfai.claims.selectors import claims_supported_by
from shelfai.compliance import services as scoring
from shelfai.compliance.selectors import planned_skus
from shelfai.detection import engine
from shelfai.detection import services as detection
from shelfai.pipeline import checklist, dispatch, messages, status
from shelfai.pipeline.status import ANALYSIS, SCORING
from shelfai.stores.models import Product
from shelfai.tasks_common import TRANSIENT_ERRORS
from shelfai.vision.pipeline import analyze_boxes, load_oriented_image
from shelfai.vision.types import UNKNOWN_SKU, Box, ImageRejected, QualityVerdict
from shelfai.visits.authenticity_services import photo_check_authenticity
from shelfai.visits.models import Photo, Visit

log = logging.getLogger(__name__)


class Superseded(Exception):
    """The sweeper gave the photo to another delivery while this one worked: its work is dropped."""


def unexpected_failure(step: str, exc: BaseException, photo_id: int) -> str:
    # Says where the detail is and what to do; nobody is paged, so it promises nobody was.
    return messages.failure_english("unexpected", step=step, error=type(exc).__name__, photo=photo_id)


def failure_reason(exc: BaseException, photo_id: int) -> str:
    if isinstance(exc, (engine.EngineUnavailable, ImageRejected)):
        return str(exc)  # already a sentence that says what to do
    return unexpected_failure("Analysis", exc, photo_id)


# --- Upload -> analysis ---------------------------------------------------------------------------

def photos_submitted(photo_ids: list[int]) -> None:
    """New photos are stored: send them to analysis once their rows are committed."""
    if photo_ids:
        transaction.on_commit(lambda: dispatch.send(ANALYSIS, photo_ids))


def photos_reanalyse(photos) -> int:
    """Send done photos through analysis and scoring again (after a model activation); history is kept."""
    ids = status.requeue_done(list(photos.values_list("pk", flat=True)))
    photos_submitted(ids)
    return len(ids)


# --- Analysis: authenticity, then detection --------------------------------------------------------

def analyse(photo_id: int) -> str:
    """The ``analyze_photo`` task's work. On a GPU worker other queued photos come along in one batch."""
    token = status.claim(ANALYSIS, photo_id)
    if token is None:
        return "skipped"  # another delivery got there first, or it is already done
    claimed = {photo_id: token}
    try:
        claimed |= _claim_more(photo_id, detection.batch_size() - 1)
        return _analyse_claimed(claimed).get(photo_id, Photo.Status.FAILED)
    except TRANSIENT_ERRORS:
        for pk, held in claimed.items():  # give them back: the retry (or the sweeper) claims them again
            status.hand_back(ANALYSIS, pk, held)
        raise
    except Exception as exc:
        log.exception("Analysis of photo(s) %s failed", list(claimed))
        for pk, held in claimed.items():
            status.fail(pk, failure_reason(exc, pk), stage=ANALYSIS, token=held)
        return Photo.Status.FAILED


def _claim_more(photo_id: int, count: int) -> dict[int, datetime]:
    """Up to ``count`` other queued photos, oldest first. Their own messages, when they arrive, find
    them claimed and skip; a photo handed back after an error is claimed again by a later delivery."""
    if count <= 0:
        return {}
    candidates = (Photo.objects.filter(status=Photo.Status.QUEUED).exclude(pk=photo_id)
                  .order_by("queued_at", "pk").values_list("pk", flat=True)[: count * 2])
    claimed: dict[int, datetime] = {}
    for pk in candidates:
        if len(claimed) == count:
            break
        if (token := status.claim(ANALYSIS, pk)) is not None:
            claimed[pk] = token
    return claimed


def _analyse_claimed(claimed: dict[int, datetime]) -> dict[int, str]:
    """Decode each photo once, check its authenticity, detect them together, record each run.

    A photo that cannot be decoded, checked or stored fails alone with its reason; the others go on.
    Transient errors propagate so the task hands the photos back and retries.
    """
    results: dict[int, str] = {}
    ready: list[tuple[Photo, np.ndarray]] = []
    for photo in Photo.objects.select_related("visit__store").filter(pk__in=claimed).order_by("pk"):
        try:
            with photo.original.open("rb") as fh:
                image = load_oriented_image(fh.read(), max_pixels=settings.PHOTO_MAX_PIXELS)
            # Stage 1 before the detector: a copied photo is flagged whatever happens next.
            photo_check_authenticity(photo, image=image)
            ready.append((photo, image))
        except TRANSIENT_ERRORS:
            raise
        except Exception as exc:  # noqa: BLE001 - one unreadable photo must not sink the batch
            if len(claimed) == 1:
                raise
            log.warning("Photo %s could not be decoded or checked: %s", photo.pk, exc)
            status.fail(photo.pk, failure_reason(exc, photo.pk), stage=ANALYSIS, token=claimed[photo.pk])
            results[photo.pk] = Photo.Status.FAILED
    batch = detection.images_detect([image for _, image in ready])
    for (photo, image), analysis in zip(ready, batch.analyses, strict=True):
        try:
            results[photo.pk] = _record_detection(photo, image, analysis, batch, claimed[photo.pk])
        except TRANSIENT_ERRORS:
            raise
        except Exception as exc:  # noqa: BLE001
            if len(claimed) == 1:
                raise
            log.exception("Photo %s could not be stored", photo.pk)
            status.fail(photo.pk, failure_reason(exc, photo.pk), stage=ANALYSIS, token=claimed[photo.pk])
            results[photo.pk] = Photo.Status.FAILED
    return results


def _record_detection(photo: Photo, image: np.ndarray, analysis, batch: detection.DetectionBatch,
                      token: datetime) -> str:
    expected = planned_skus(store=photo.visit.store, on=photo.visit.local_date)  # the visit's store-local day
    evidence_name = detection.evidence_save(photo, image, analysis, expected_skus=expected)
    retake = None if analysis.quality.ok else " ".join(analysis.quality.reasons)
    try:
        with transaction.atomic():
            if not status.holds(ANALYSIS, photo.pk, token):
                raise Superseded
            detection.run_store(photo=photo, analysis=analysis, batch=batch, evidence_name=evidence_name)
            status.finish_analysis(photo.pk, token, retake_reason=retake)
            if retake is None:
                transaction.on_commit(lambda: dispatch.send(SCORING, [photo.pk]))
    except Superseded:
        photo.evidence_image.storage.delete(evidence_name)
        return "skipped"
    if retake is not None and photo.visit.checklist:
        checklist.checklist_refresh(photo.visit)  # its task is not done until the retake arrives
    return Photo.Status.RETAKE if retake is not None else Photo.Status.ANALYZED


# --- Scoring: photo and visit, placement checks, claim evidence -------------------------------------

def score(photo_id: int) -> str:
    """The ``score_photo`` task's work."""
    token = status.claim(SCORING, photo_id)
    if token is None:
        return "skipped"  # already scored (a second delivery), or not analysed yet
    try:
        photo = Photo.objects.select_related("visit__store").get(pk=photo_id)
        assessment, best_match = _photo_assess(photo)
        with transaction.atomic():
            if not status.holds(SCORING, photo_id, token):
                raise Superseded
            _photo_result_store(photo, assessment, best_match)
        visit_refresh(photo.visit)
    except Superseded:
        return "skipped"
    except TRANSIENT_ERRORS:
        status.hand_back(SCORING, photo_id, token)
        raise
    except Exception as exc:
        log.exception("Scoring photo %s failed", photo_id)
        status.fail(photo_id, unexpected_failure("Scoring", exc, photo_id), stage=SCORING, token=token)
        return Photo.Status.FAILED
    return Photo.Status.DONE if status.finish_scoring(photo_id, token) else "skipped"


def photo_rescore(photo: Photo) -> None:
    """A reviewer corrected a done photo's boxes: its score again, then everything downstream of its
    visit. Its status does not change (it stays done)."""
    assessment, best_match = _photo_assess(photo)
    with transaction.atomic():
        _photo_result_store(photo, assessment, best_match)
    visit_refresh(photo.visit)


def photo_boxes_correct(photo: Photo, *, reviewer, keep: list, add: list) -> detection.DetectionRun:
    """A reviewer corrected a done photo's boxes: ``keep`` (the current run's detections still right,
    with the SKU each was given) plus ``add`` (``(Box, product or None)`` a reviewer drew). Rows, gaps and
    the SKUs of drawn boxes without one are worked out again from the corrected set, stored as the photo's
    current run (the detector's stays on record), and everything is scored again."""
    previous = photo.detection_runs.get(is_current=True)
    with photo.original.open("rb") as fh:
        image = load_oriented_image(fh.read(), max_pixels=settings.PHOTO_MAX_PIXELS)
    boxes = [Box(d.x1, d.y1, d.x2, d.y2, d.confidence) for d in keep] + [box for box, _ in add]
    known = [(d.product.sku, d.sku_confidence) if d.product_id else (UNKNOWN_SKU, d.sku_confidence)
             for d in keep] + [(p.sku, 1.0) if p is not None else None for _, p in add]
    _, catalog = engine.get_catalog()
    analysis = analyze_boxes(image, boxes, known=known, catalog=catalog, quality=QualityVerdict(
        ok=previous.quality_ok, reasons=list(previous.quality_reasons), metrics=dict(previous.quality_metrics),
        codes=list(previous.quality_codes)))
    expected = planned_skus(store=photo.visit.store, on=photo.visit.local_date)  # the visit's store-local day
    evidence_name = detection.evidence_save(photo, image, analysis, expected_skus=expected)
    skus = dict(Product.objects.filter(sku__in={f.sku for f in analysis.facings}).values_list("sku", "pk"))
    run = detection.run_store_reviewed(photo=photo, previous=previous, analysis=analysis, reviewer=reviewer,
                                       evidence_name=evidence_name, skus=skus)
    photo_rescore(photo)
    return run


def _photo_assess(photo: Photo):
    # The photo's task decides what it is scored against; without one, the best-matching planogram.
    planograms, best_match = checklist.scoring_plan(photo)
    return scoring.photo_assess(photo, planograms=planograms, best_match=best_match), best_match


def _photo_result_store(photo: Photo, assessment, best_match: bool) -> None:
    scoring.photo_result_store(assessment)
    if best_match:
        checklist.photo_matched(photo, assessment.planogram, assessment.matched_by)


def visit_refresh(visit: Visit) -> None:
    """Everything downstream of a visit's photos, in order: its checklist count, its merged score per
    planogram, the placement checks of its store's paid placements on that day (each read from its own
    display's photos), and the evidence of the claims those checks back."""
    if visit.checklist:
        checklist.checklist_refresh(visit)
    scoring.visit_score(visit)
    checks = placement_checks_refresh(visit=visit)
    for claim in claims_supported_by(checks=checks, visit=visit):
        try:
            claim_evidence_refresh(claim=claim)
        except TRANSIENT_ERRORS:
            raise
        except Exception:  # a packet is rebuilt on the next refresh; the rep's photo must not fail for it
            log.exception("Refreshing the evidence of claim %s failed", claim.reference)
