"""The photo's journey in one process: the status machine, the sweeper's decisions, the stage order.

The broker is replaced by a recorder here (what would be sent, to which stage); the real broker and
workers are in tests/integration/test_pipeline_faults.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.utils import timezone

from shelfai.pipeline import status, sweeper
from shelfai.pipeline.status import ANALYSIS, SCORING
from shelfai.visits.models import Photo

pytestmark = pytest.mark.django_db


class Sent(list):
    depth: dict[str, int | None]


@pytest.fixture
def sent(monkeypatch):
    """What the pipeline hands to the broker, as (stage, photo id); the broker's depth is what the test says."""
    messages = Sent()
    depth: dict[str, int | None] = {"gpu": None, "default": None}

    def send(stage, photo_ids):
        messages.extend((stage.name, pk) for pk in photo_ids)
        status.mark_sent(stage, photo_ids, sent=True)
        return True

    monkeypatch.setattr("shelfai.pipeline.dispatch.send", send)
    monkeypatch.setattr("shelfai.pipeline.dispatch.queue_depth", lambda queue: depth[queue])
    messages.depth = depth
    return messages


@pytest.fixture
def upload(world, api_for, make_jpeg, django_capture_on_commit_callbacks):
    client = api_for(world.users["rep"])
    visit = client.post("/api/visits/", {"store": "s1"}, format="json").json()["id"]

    def make(client_id: str, data: bytes | None = None) -> Photo:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/api/visits/{visit}/photos/", {
                "photos": [SimpleUploadedFile("p.jpg", data or make_jpeg(seed=len(client_id)))],
                "client_upload_ids": [client_id]}, format="multipart")
        assert response.status_code == 202, response.content
        return Photo.objects.get(client_upload_id=client_id)

    return make


def _age(photo: Photo, **fields) -> None:
    long_ago = timezone.now() - timedelta(hours=1)
    Photo.objects.filter(pk=photo.pk).update(**{name: long_ago for name in fields})


def test_an_upload_is_sent_to_analysis_once_its_row_is_committed(upload, sent):
    photo = upload("a")
    assert sent == [("analysis", photo.pk)]
    assert photo.status == Photo.Status.QUEUED and Photo.objects.get(pk=photo.pk).sent_at is not None


def test_a_claim_is_taken_once_and_finishing_needs_the_claims_token(upload, sent):
    photo = upload("a")
    token = status.claim(ANALYSIS, photo.pk)
    assert token is not None
    assert status.claim(ANALYSIS, photo.pk) is None  # a second delivery finds it taken
    assert not status.finish_analysis(photo.pk, token - timedelta(seconds=1), retake_reason=None)
    assert status.finish_analysis(photo.pk, token, retake_reason=None)
    photo.refresh_from_db()
    assert photo.status == Photo.Status.ANALYZED and photo.sent_at is None  # scoring's message not yet sent


def test_the_sweeper_sends_an_upload_whose_send_failed(upload, sent):
    photo = upload("a")
    Photo.objects.filter(pk=photo.pk).update(sent_at=None)  # the broker refused it
    assert sweeper.sweep() == {}  # within the grace period: the send may still be in flight
    _age(photo, queued_at=True)
    sent.clear()
    assert sweeper.sweep() == {"analysis_resent": 1}
    assert sent == [("analysis", photo.pk)]


def test_a_waiting_photo_is_not_resent_while_the_queue_still_holds_its_message(upload, sent):
    photos = [upload(f"p{i}") for i in range(3)]
    for photo in photos:
        _age(photo, queued_at=True, sent_at=True)
    sent.clear()
    sent.depth["gpu"] = 3  # a backlog: all three still queued at the broker
    assert sweeper.sweep() == {}
    sent.depth["gpu"] = 1  # two messages gone: the two oldest are re-sent, oldest first
    Photo.objects.filter(pk=photos[0].pk).update(sent_at=timezone.now() - timedelta(hours=2))
    assert sweeper.sweep() == {"analysis_resent": 2}
    assert [pk for _, pk in sent] == [photos[0].pk, photos[1].pk]
    sent.clear()
    sent.depth["gpu"] = 3  # the broker holds the two re-sent messages and the one it kept
    assert sweeper.sweep() == {}
    sent.depth["gpu"] = 0  # ... and even if it lost them all again, not before the stale timeout
    assert sweeper.sweep() == {"analysis_resent": 1}  # only the one sent an hour ago


def test_without_a_queue_depth_time_alone_decides(upload, sent):
    photo = upload("a")
    sent.clear()
    assert sweeper.sweep() == {}  # sent just now
    _age(photo, sent_at=True)
    assert sweeper.sweep() == {"analysis_resent": 1}


def test_a_stale_claim_is_handed_back_and_sent_again_then_failed_after_the_attempt_limit(upload, sent, settings):
    settings.PHOTO_MAX_ATTEMPTS = 2
    photo = upload("a")
    for attempt in (1, 2):
        assert status.claim(ANALYSIS, photo.pk) is not None  # a worker takes it and is killed
        _age(photo, processing_started_at=True, queued_at=True)
        result = sweeper.sweep()
        if attempt == 1:
            assert result == {"analysis_released": 1, "analysis_resent": 1}
            assert Photo.objects.get(pk=photo.pk).status == Photo.Status.QUEUED
    photo.refresh_from_db()
    assert result == {"analysis_failed": 1}
    assert photo.status == Photo.Status.FAILED
    assert "stopped 2 times" in photo.status_reason and "notified" not in photo.status_reason


def test_a_photo_whose_messages_keep_vanishing_fails_with_what_to_check(upload, sent, settings):
    settings.PHOTO_MAX_ATTEMPTS = 2
    photo = upload("a")
    for _ in range(3):
        _age(photo, sent_at=True)
        outcome = sweeper.sweep()
    photo.refresh_from_db()
    assert outcome == {"analysis_failed": 1} and photo.status == Photo.Status.FAILED
    assert "message broker" in photo.status_reason


def test_a_late_delivery_after_the_sweeper_gave_the_photo_away_records_nothing(upload, sent):
    """A slow worker's claim goes stale; the photo is handed back and claimed again; the slow one's
    finish is refused and the photo is analysed once."""
    photo = upload("a")
    slow = status.claim(ANALYSIS, photo.pk)
    _age(photo, processing_started_at=True, queued_at=True)
    sweeper.sweep()
    fast = status.claim(ANALYSIS, photo.pk)
    assert fast is not None and fast != slow
    assert not status.holds(ANALYSIS, photo.pk, slow)
    assert not status.finish_analysis(photo.pk, slow, retake_reason=None)
    assert status.finish_analysis(photo.pk, fast, retake_reason=None)


def test_a_whole_journey_in_process_flags_a_copy_before_the_detector_runs(upload, make_jpeg, settings):
    """Eager tasks, the real detector: the copy is flagged, analysed and scored once, and its flag
    was stored before its detection run."""
    from shelfai.compliance.models import ComplianceResult
    from shelfai.detection.models import DetectionRun
    from shelfai.pipeline.tasks import score_photo

    data = make_jpeg(1280, 960, seed=77)
    first = upload("first", data)
    copy = upload("copy", data)
    for photo in (first, copy):
        photo.refresh_from_db()
        assert photo.status in (Photo.Status.DONE, Photo.Status.RETAKE), photo.status_reason
    flag = copy.flags.get(code="duplicate_in_visit")  # same visit: a retake, not fraud
    run = DetectionRun.objects.get(photo=copy)
    assert flag.created_at <= run.created_at and flag.duplicate_of == first
    assert score_photo.apply(args=[copy.pk]).get() == "skipped"  # a redelivery finds it done
    assert ComplianceResult.objects.filter(photo=copy).count() == (1 if copy.status == Photo.Status.DONE else 0)


def test_a_database_error_during_an_upload_answers_json_and_keeps_no_file(world, api_for, make_jpeg, monkeypatch,
                                                                          settings):
    client = api_for(world.users["rep"])
    visit = client.post("/api/visits/", {"store": "s1"}, format="json").json()["id"]

    def database_gone(self, *args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(Photo, "save", database_gone)
    response = client.post(f"/api/visits/{visit}/photos/", {
        "photos": [SimpleUploadedFile("p.jpg", make_jpeg())], "client_upload_ids": ["db-down"]}, format="multipart")
    assert response.status_code == 503
    assert "Send it again" in response.json()["detail"]
    monkeypatch.undo()
    assert not Photo.objects.filter(client_upload_id="db-down").exists()
    media = settings.MEDIA_ROOT / "photos"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_orphan_originals_older_than_a_day_are_removed_and_a_photos_own_file_is_kept(upload, sent, settings):
    import os

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from shelfai.pipeline.orphans import remove_orphan_originals

    photo = upload("kept")
    sha = "ab" * 32
    orphan = default_storage.save(f"photos/ab/{sha}/lost.jpg", ContentFile(b"x"))
    fresh = default_storage.save(f"photos/ab/{sha}/in-progress.jpg", ContentFile(b"x"))
    old = (timezone.now() - timedelta(days=2)).timestamp()
    for name in (orphan, photo.original.name):
        os.utime(default_storage.path(name), (old, old))
    assert remove_orphan_originals() == 1
    assert not default_storage.exists(orphan)
    assert default_storage.exists(fresh) and default_storage.exists(photo.original.name)


def test_a_scoring_failure_says_what_to_do_and_promises_nobody(upload, sent, monkeypatch):
    from shelfai.pipeline import stages

    photo = upload("a")
    token = status.claim(ANALYSIS, photo.pk)
    status.finish_analysis(photo.pk, token, retake_reason=None)

    def broken(photo, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr("shelfai.compliance.services.photo_assess", broken)
    assert stages.score(photo.pk) == Photo.Status.FAILED
    photo.refresh_from_db()
    assert photo.status == Photo.Status.FAILED
    assert "worker log" in photo.status_reason and "notified" not in photo.status_reason
    assert status.claim(SCORING, photo.pk) is None
