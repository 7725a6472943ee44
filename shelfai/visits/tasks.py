"""Visit housekeeping run by beat."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from shelfai.visits import services


@shared_task(acks_late=True)
def close_stale_visits() -> int:
    """Close visits idle for VISIT_IDLE_CLOSE_MINUTES or left open past their store's local day."""
    return services.visits_close_idle(idle=timedelta(minutes=settings.VISIT_IDLE_CLOSE_MINUTES))
