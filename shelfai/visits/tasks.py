"""Visit housekeeping run by beat."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from shelfai.visits import services


@shared_task(acks_late=True)
def close_stale_visits() -> int:
    return services.visits_close_stale(older_than=timedelta(hours=settings.VISIT_CLOSE_AFTER_HOURS))
