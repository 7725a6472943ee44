"""Periodic upkeep of the dashboard's summaries (see analytics.summaries)."""

from __future__ import annotations

from celery import shared_task

from shelfai.tasks_common import TRANSIENT_ERRORS


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=3)
def refresh_summaries(full: bool = False) -> int:
    """Bring StoreDay/SkuDay up to date: incrementally, or from scratch with ``full`` (nightly)."""
    from analytics import summaries

    return summaries.refresh_all() if full else summaries.refresh_pending()
