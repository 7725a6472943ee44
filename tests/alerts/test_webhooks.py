"""Webhooks against a real HTTP receiver on 127.0.0.1 that checks each request's HMAC signature."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from shelfai.alerts import delivery, rules, services
from shelfai.alerts.models import Alert, WebhookDelivery
from tests.alerts.conftest import SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def backlog(people, monkeypatch, settings):
    """One fact for the admins: the gpu queue is backed up."""
    settings.ALERTS_QUEUE_MAX_DEPTH = 10
    monkeypatch.setattr("shelfai.pipeline.dispatch.queue_depth", lambda queue: 25 if queue == "gpu" else 0)
    return people


def test_the_signature_is_hmac_sha256_of_time_and_body_and_a_tampered_or_old_one_fails():
    body = b'{"rule": "photo_failed"}'
    header = delivery.sign(SECRET, body, 1_700_000_000)
    assert header.startswith("t=1700000000,v1=") and len(header.split("v1=")[1]) == 64
    assert delivery.verify(SECRET, body, header, now=1_700_000_010)
    assert not delivery.verify(SECRET, body + b" ", header, now=1_700_000_010)  # body changed
    assert not delivery.verify("other-secret", body, header, now=1_700_000_010)
    assert not delivery.verify(SECRET, body, header, now=1_700_000_000 + 301)  # a replay, five minutes on
    assert not delivery.verify(SECRET, body, "v1=abc", now=1_700_000_000)


def test_an_alert_is_posted_once_signed_and_the_receiver_verifies_it(backlog, receiver, endpoint):
    r = receiver()
    endpoint(r.url, rules=["queue_backlog"])
    services.alerts_evaluate()
    services.alerts_evaluate()  # the next sweep: same fact, nothing posted again
    assert len(r.requests) == 1
    got = r.requests[0]
    assert got["valid"] is True
    assert got["body"]["rule"] == "queue_backlog" and "25 messages ready" in got["body"]["body"]
    assert abs(int(got["signature"].split(",")[0][2:]) - time.time()) < 60
    row = WebhookDelivery.objects.get()
    assert (row.status, row.response_code, row.attempt) == ("sent", 200, 1)
    assert got["delivery"] == str(row.pk)


def test_a_500_is_retried_with_backoff_and_the_log_shows_both_attempts(backlog, receiver, endpoint, settings):
    settings.ALERTS_WEBHOOK_BACKOFF_SECONDS = 30
    r = receiver(codes=[500])
    endpoint(r.url, rules=["queue_backlog"])
    services.alerts_evaluate()  # eager tasks: the retry runs at once here; a worker waits for next_try_at
    first, second = WebhookDelivery.objects.order_by("attempt")
    assert (first.attempt, first.status, first.response_code) == (1, "retrying", 500)
    assert "HTTP 500" in first.error
    assert first.next_try_at - first.attempted_at == timedelta(seconds=30)
    assert (second.attempt, second.status, second.response_code, second.error) == (2, "sent", 200, "")
    assert [req["valid"] for req in r.requests] == [True, True]
    assert r.requests[0]["body"] == r.requests[1]["body"]


def test_the_backoff_doubles_each_time_until_it_gives_up(backlog, receiver, endpoint, settings):
    settings.ALERTS_WEBHOOK_MAX_ATTEMPTS = 4
    r = receiver(codes=[503, 503, 503, 503, 503])
    endpoint(r.url, rules=["queue_backlog"])
    services.alerts_evaluate()
    rows = list(WebhookDelivery.objects.order_by("attempt"))
    assert [row.status for row in rows] == ["retrying", "retrying", "retrying", "gave_up"]
    assert [(row.next_try_at - row.attempted_at).seconds for row in rows[:3]] == [30, 60, 120]
    assert len(r.requests) == 4


def test_a_receiver_that_is_down_never_stops_the_sweep_or_the_e_mails(backlog, dead_url, endpoint, settings):
    settings.ALERTS_WEBHOOK_MAX_ATTEMPTS = 3
    endpoint(dead_url, rules=["queue_backlog"])
    counts = services.alerts_evaluate()  # does not raise
    assert counts["new_queue_backlog"] == 1
    assert [m.to for m in mail.outbox if "backed up" in m.subject] == [["admin@example.com"]]  # still e-mailed
    rows = list(WebhookDelivery.objects.order_by("attempt"))
    assert [row.status for row in rows] == ["retrying", "retrying", "gave_up"]
    assert all(row.response_code is None and "Connection refused" in row.error for row in rows)


def test_an_endpoint_gets_only_the_rules_it_asked_for(backlog, receiver, endpoint):
    r = receiver()
    endpoint(r.url, rules=["photo_failed"])
    services.alerts_evaluate()
    assert Alert.objects.filter(rule="queue_backlog").exists() and r.requests == []


def test_a_delivery_whose_message_was_lost_is_sent_by_a_later_sweep(people, receiver, endpoint):
    """A retry handed to a broker that then lost it (a restart without persistence) still goes out."""
    r = receiver()
    hook = endpoint(r.url)
    alert = services.alert_record(delivery_fact(), [])
    row = WebhookDelivery.objects.get(alert=alert)  # recorded, never handed to a worker
    long_ago = timezone.now() - services.LOST_DELIVERY_AFTER - timedelta(minutes=1)
    WebhookDelivery.objects.filter(pk=row.pk).update(created_at=long_ago, next_try_at=long_ago, attempt=2)
    assert services.webhooks_enqueue_due(timezone.now()) == 1
    row.refresh_from_db()
    assert row.status == "sent" and len(r.requests) == 1 and r.requests[0]["valid"]
    assert hook.deliveries.count() == 1


def delivery_fact():
    return rules.photo_failed(rules.FailedPhoto(id=1, public_id="p1", store="Riverside", reason="lost"))
