"""Photo analysis on the ``gpu`` queue. Thin: claim the photo, call the service, record failure."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db.models import F
from django.utils import timezone

from shelfai.tasks_common import PIPELINE_TASK_OPTIONS, TRANSIENT_ERRORS
from shelfai.visits.models import Photo

log = logging.getLogger(__name__)


@shared_task(**PIPELINE_TASK_OPTIONS)
def analyze_photo(self, photo_id: int) -> str:
    from shelfai.analysis import services

    claimed = Photo.objects.filter(pk=photo_id, status=Photo.Status.QUEUED).update(
        status=Photo.Status.PROCESSING, processing_started_at=timezone.now(), attempts=F("attempts") + 1
    )
    if claimed != 1:
        return "skipped"  # another worker got there first, or it is already done
    try:
        return services.photo_analyze(photo_id)
    except TRANSIENT_ERRORS:
        # Give the photo back so the retry (or the sweeper) can claim it again.
        Photo.objects.filter(pk=photo_id, status=Photo.Status.PROCESSING).update(status=Photo.Status.QUEUED)
        raise
    except Exception as exc:
        log.exception("Analysis of photo %s failed", photo_id)
        services.photo_fail(photo_id, services.failure_reason(exc))
        return "failed"
