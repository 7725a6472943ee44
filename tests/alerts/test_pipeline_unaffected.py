"""A webhook receiver that is down and a mail server that refuses never reach the photo pipeline.

The pipeline never calls alerts: it records a failure and returns, and the beat task reads it later.
Here a photo fails for real in the scoring stage, then the beat's tasks run with every way out down."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shelfai.alerts.models import Alert, Notification, WebhookDelivery
from shelfai.alerts.tasks import evaluate_alerts
from shelfai.pipeline import stages, status
from shelfai.pipeline.status import ANALYSIS
from shelfai.pipeline.tasks import sweep_stale_photos
from shelfai.visits.models import Photo

pytestmark = pytest.mark.django_db


def test_a_failed_photo_reaches_the_admins_and_a_dead_receiver_breaks_nothing(
        people, api_for, make_jpeg, monkeypatch, settings, dead_url, endpoint, django_capture_on_commit_callbacks):
    monkeypatch.setattr("shelfai.pipeline.dispatch.send", lambda stage, ids: status.mark_sent(stage, ids, sent=True))
    monkeypatch.setattr("shelfai.pipeline.dispatch.queue_depth", lambda queue: None)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    settings.ALERTS_WEBHOOK_MAX_ATTEMPTS = 2
    endpoint(dead_url)

    client = api_for(people.users["rep"])
    visit = client.post("/api/visits/", {"store": "s1"}, format="json").json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/visits/{visit}/photos/", {
            "photos": [SimpleUploadedFile("p.jpg", make_jpeg(seed=3))], "client_upload_ids": ["one"]},
            format="multipart")
    assert response.status_code == 202
    photo = Photo.objects.get(client_upload_id="one")
    token = status.claim(ANALYSIS, photo.pk)
    status.finish_analysis(photo.pk, token, retake_reason=None)

    def broken(photo, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr("shelfai.compliance.services.photo_assess", broken)
    assert stages.score(photo.pk) == Photo.Status.FAILED

    counts = evaluate_alerts.apply().get()  # the beat task: returns, with every way out down
    assert counts["new_photo_failed"] == 1
    assert isinstance(sweep_stale_photos.apply().get(), dict)  # the sweeper's beat task runs on as before
    photo.refresh_from_db()
    assert photo.status == Photo.Status.FAILED and "worker log" in photo.status_reason

    alert = Alert.objects.get(rule="photo_failed")
    note = Notification.objects.get(alert=alert, user=people.users["admin"])
    assert note.sent_at is None and "ConnectionRefusedError" in note.error  # kept, and tried again next sweep
    rows = list(WebhookDelivery.objects.filter(alert=alert).order_by("attempt"))
    assert [r.status for r in rows] == ["retrying", "gave_up"]
