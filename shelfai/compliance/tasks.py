"""Scoring on the ``default`` queue, after analysis stored a photo's detections."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from shelfai.tasks_common import PIPELINE_TASK_OPTIONS, TRANSIENT_ERRORS
from shelfai.visits.models import Photo

log = logging.getLogger(__name__)


@shared_task(**PIPELINE_TASK_OPTIONS)
def score_photo(self, photo_id: int) -> str:
    from shelfai.compliance import services

    photo = Photo.objects.filter(pk=photo_id, status=Photo.Status.ANALYZED).first()
    if photo is None:
        return "skipped"  # already scored, or not analysed yet
    try:
        services.photo_score(photo)
    except TRANSIENT_ERRORS:
        raise
    except Exception:
        log.exception("Scoring photo %s failed", photo_id)
        Photo.objects.filter(pk=photo_id, status=Photo.Status.ANALYZED).update(
            status=Photo.Status.FAILED,
            finished_at=timezone.now(),
            status_reason="The photo was analysed but could not be scored. Support has been notified.",
        )
        return "failed"
    # Conditional: a concurrent duplicate delivery of this task finds nothing left to do.
    Photo.objects.filter(pk=photo_id, status=Photo.Status.ANALYZED).update(
        status=Photo.Status.DONE, finished_at=timezone.now()
    )
    return "done"
