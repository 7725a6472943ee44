"""The daily digest: a day's alerts in one e-mail, once per day."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from shelfai.alerts import rules, services
from shelfai.alerts.models import AlertPreference, DigestSent, Notification

pytestmark = pytest.mark.django_db


def fact(n: int) -> rules.AlertFact:
    return rules.photo_failed(rules.FailedPhoto(id=n, public_id=f"photo-{n}", store="Riverside", reason=f"reason {n}"))


@pytest.fixture
def admin_on_digest(people):
    admin = people.users["admin"]
    AlertPreference.objects.create(user=admin, rule="photo_failed", frequency="digest")
    return admin


def test_two_alerts_make_one_digest_with_both_sent_once_per_day(admin_on_digest):
    admin = admin_on_digest
    for n in (1, 2):
        services.alert_record(fact(n), [admin])
    services.immediate_send(timezone.now())
    assert mail.outbox == []  # digest alerts wait for the digest

    now = timezone.now()
    assert services.digests_send(now) == 1
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == ["admin@example.com"] and "2 alerts" in digest.subject
    assert "reason 1" in digest.body and "reason 2" in digest.body
    assert services.digests_send(now + timedelta(minutes=1)) == 0  # a later run: already sent today
    assert len(mail.outbox) == 1

    services.alert_record(fact(3), [admin])  # later the same day: waits for tomorrow's digest
    assert services.digests_send(now + timedelta(minutes=2)) == 0
    tomorrow = now + timedelta(days=1)
    assert services.digests_send(tomorrow) == 1
    assert len(mail.outbox) == 2 and "reason 3" in mail.outbox[1].body and "reason 1" not in mail.outbox[1].body
    assert DigestSent.objects.filter(user=admin).count() == 2
    assert not Notification.objects.filter(user=admin, sent_at__isnull=True).exists()


def test_no_digest_before_the_digest_hour_and_none_without_alerts(admin_on_digest, settings):
    settings.ALERTS_DIGEST_HOUR = 23
    services.alert_record(fact(1), [admin_on_digest])
    early = timezone.localtime(timezone.now()).replace(hour=8, minute=0)
    Notification.objects.update(created_at=early - timedelta(hours=1))
    assert services.digests_send(early) == 0 and mail.outbox == []
    settings.ALERTS_DIGEST_HOUR = 0
    assert services.digests_send(early) == 1
    assert services.digests_send(early + timedelta(days=1)) == 0 and len(mail.outbox) == 1  # nothing new


def test_a_digest_the_mail_server_refused_is_sent_on_a_later_run_the_same_day(admin_on_digest, settings):
    services.alert_record(fact(1), [admin_on_digest])
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    now = timezone.now()
    assert services.digests_send(now) == 0
    assert "ConnectionRefusedError" in Notification.objects.get().error and not DigestSent.objects.exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.digests_send(now + timedelta(minutes=5)) == 1 and len(mail.outbox) == 1
