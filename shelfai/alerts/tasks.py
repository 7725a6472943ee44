"""Alert tasks: thin entry points into ``services`` and ``delivery``."""

from __future__ import annotations

from celery import shared_task

from shelfai.alerts import delivery, services


@shared_task(acks_late=True)
def evaluate_alerts() -> dict[str, int]:
    return services.alerts_evaluate()


@shared_task(acks_late=True)
def send_digests() -> int:
    return services.digests_send()


@shared_task(acks_late=True)
def deliver_webhook(delivery_id: int) -> str:
    """One try; a failed one schedules the next (exponential backoff) as a new row and a delayed message."""
    retry = delivery.webhook_attempt(delivery_id)
    if retry is not None:
        services.webhook_enqueue(retry)
        return f"retry {retry.attempt} at {retry.next_try_at.isoformat()}"
    return "done"
