"""Photo analysis on the ``gpu`` queue. Thin: claim the photo, call the service, record failure."""

from __future__ import annotations

import logging

from celery import shared_task

from shelfai.tasks_common import PIPELINE_TASK_OPTIONS, TRANSIENT_ERRORS
from shelfai.visits.models import Photo

log = logging.getLogger(__name__)


@shared_task(**PIPELINE_TASK_OPTIONS)
def analyze_photo(self, photo_id: int) -> str:
    from shelfai.analysis import services

    if not services.photo_claim(photo_id):
        return "skipped"  # another worker got there first, or it is already done
    photo_ids = [photo_id]
    try:
        # On a GPU worker, take other queued photos along: one batched forward pass for all of them
        photo_ids += services.claim_more(photo_id, services.batch_size() - 1)
        return services.photos_analyze(photo_ids).get(photo_id, "failed")
    except TRANSIENT_ERRORS:
        # Give the photos back so the retry (or the sweeper) can claim them again.
        Photo.objects.filter(pk__in=photo_ids, status=Photo.Status.PROCESSING).update(status=Photo.Status.QUEUED)
        raise
    except Exception as exc:
        log.exception("Analysis of photo(s) %s failed", photo_ids)
        for pk in photo_ids:
            services.photo_fail(pk, services.failure_reason(exc))
        return "failed"
