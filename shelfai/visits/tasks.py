"""Housekeeping for photo intake."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from shelfai.visits.models import Photo

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def sweep_stale_photos() -> dict[str, int]:
    """Re-enqueue photos stuck in ``queued`` or ``processing`` (broker was down, a worker died).

    Nothing accepted is ever lost: a photo is re-sent until it reaches a final state or has used
    up PHOTO_MAX_ATTEMPTS, when it is marked failed with the reason.
    """
    from shelfai.visits.services import enqueue_analysis

    cutoff = timezone.now() - timedelta(seconds=settings.PHOTO_STALE_AFTER_SECONDS)
    stale = Photo.objects.filter(
        Q(status=Photo.Status.QUEUED, queued_at__lt=cutoff)
        | Q(status=Photo.Status.PROCESSING, processing_started_at__lt=cutoff)
    )
    requeued = failed = 0
    for photo in stale.only("pk", "status", "attempts", "queued_at", "processing_started_at")[:1000]:
        if photo.attempts >= settings.PHOTO_MAX_ATTEMPTS:
            failed += Photo.objects.filter(pk=photo.pk, status=photo.status).update(
                status=Photo.Status.FAILED,
                finished_at=timezone.now(),
                status_reason=f"Analysis did not finish after {photo.attempts} attempts. "
                "Ask support to check the workers, then re-send the photo.",
            )
            continue
        # Conditional update: only if nobody moved it since we read it.
        moved = Photo.objects.filter(
            pk=photo.pk,
            status=photo.status,
            queued_at=photo.queued_at,
            processing_started_at=photo.processing_started_at,
        ).update(status=Photo.Status.QUEUED, queued_at=timezone.now())
        if moved:
            enqueue_analysis(photo.pk)
            requeued += 1
    if requeued or failed:
        log.info("Sweeper re-enqueued %s photo(s), gave up on %s", requeued, failed)
    return {"requeued": requeued, "failed": failed}
