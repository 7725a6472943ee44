"""A real Celery worker retries a webhook after the backoff (eager tests cannot show the wait)."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from shelfai.alerts import rules, services
from shelfai.alerts.models import WebhookDelivery
from tests.integration.test_worker_pipeline import worker  # noqa: F401  (a real worker process)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_env():
    """The worker's own settings: a short backoff, so the wait is seen in seconds."""
    return {"ALERTS_WEBHOOK_BACKOFF_SECONDS": "2", "ALERTS_WEBHOOK_MAX_ATTEMPTS": "3"}


def test_a_500_is_tried_again_by_the_worker_after_the_backoff(db, receiver, endpoint, worker):  # noqa: F811
    r = receiver(codes=[500])
    endpoint(r.url)
    fact = rules.photo_failed(rules.FailedPhoto(id=1, public_id="p1", store="Riverside", reason="worker died"))
    services.alert_record(fact, [])
    assert services.webhooks_enqueue_due(timezone.now()) == 1
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not WebhookDelivery.objects.filter(status="sent").exists():
        assert worker.poll() is None, "the worker process died"
        time.sleep(0.25)
    first, second = WebhookDelivery.objects.order_by("attempt")
    assert (first.status, first.response_code, second.status, second.response_code) == ("retrying", 500, "sent", 200)
    waited = (second.attempted_at - first.attempted_at).total_seconds()
    assert 2 <= waited < 30, waited  # the worker held the retry until its next_try_at
    assert [req["valid"] for req in r.requests] == [True, True]
