"""A GPU worker analyses several queued photos in one detector call; each photo still ends on its own.

Runs the real shipped detector on the CPU (batching is forced with ANALYSIS_BATCH_SIZE, as a CUDA worker
does by default) on generated shelf photos.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.integration.test_worker_pipeline import _shelf_jpeg

pytestmark = pytest.mark.django_db

# scoring runs on commit, after these tests' transaction: analysed is as far as a photo gets here
ANALYSED = ("analyzed", "retake")


def _queued_photos(world, api_for, count: int, monkeypatch) -> list[int]:
    """A rep's visit with ``count`` photos stored and queued, but no task sent yet: the queue then holds
    them all at once, as a GPU worker's queue does under load."""
    from shelfai.visits.models import Photo

    client = api_for(world.users["rep"])
    visit_id = client.post("/api/visits/", {"store": "s1"}, format="json").json()["id"]
    monkeypatch.setattr("shelfai.pipeline.dispatch.send", lambda stage, photo_ids: True)
    response = client.post(
        f"/api/visits/{visit_id}/photos/",
        {"photos": [SimpleUploadedFile(f"shelf{i}.jpg", _shelf_jpeg(10 + i)) for i in range(count)],
         "client_upload_ids": [f"batch-{i}" for i in range(count)]},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    monkeypatch.undo()
    return [Photo.objects.get(client_upload_id=f"batch-{i}").pk for i in range(count)]


def test_one_task_analyses_the_queued_photos_together_and_their_own_tasks_skip(world, api_for, settings,
                                                                               monkeypatch):
    from shelfai.detection.models import DetectionRun
    from shelfai.pipeline.tasks import analyze_photo
    from shelfai.visits.models import Photo

    settings.ANALYSIS_BATCH_SIZE = 3
    first, second, third = _queued_photos(world, api_for, 3, monkeypatch)

    assert analyze_photo.apply(args=[first]).get() in ANALYSED
    for pk in (first, second, third):
        photo = Photo.objects.get(pk=pk)
        assert photo.status in ANALYSED, photo.status_reason
        assert photo.attempts == 1
        assert DetectionRun.objects.filter(photo=photo, is_current=True).count() == 1
    # one detector call for the three: each run records the same share of it
    shares = {DetectionRun.objects.get(photo_id=pk).timings_ms["detect"] for pk in (first, second, third)}
    assert len(shares) == 1
    from shelfai.vision.detector import DetectorSettings

    assert DetectionRun.objects.get(photo_id=first).detector_settings["flip"] is DetectorSettings().flip
    # their own tasks arrive later and find the work done
    assert analyze_photo.apply(args=[second]).get() == "skipped"
    assert analyze_photo.apply(args=[third]).get() == "skipped"
    assert DetectionRun.objects.filter(photo_id__in=[first, second, third]).count() == 3


def test_a_damaged_photo_fails_alone_and_the_rest_of_the_batch_is_analysed(world, api_for, settings,
                                                                             monkeypatch):
    from shelfai.pipeline.tasks import analyze_photo
    from shelfai.visits.models import Photo

    settings.ANALYSIS_BATCH_SIZE = 4
    first, damaged, third = _queued_photos(world, api_for, 3, monkeypatch)
    photo = Photo.objects.get(pk=damaged)
    stored = photo.original.path
    with open(stored, "r+b") as fh:  # the storage lost the end of the file
        fh.truncate(len(fh.read()) // 3)

    analyze_photo.apply(args=[first]).get()
    statuses = dict(Photo.objects.filter(pk__in=[first, damaged, third]).values_list("pk", "status"))
    assert statuses[damaged] == Photo.Status.FAILED
    assert "damaged or incomplete" in Photo.objects.get(pk=damaged).status_reason
    assert statuses[first] in ANALYSED
    assert statuses[third] in ANALYSED


def test_a_cpu_worker_takes_one_photo_per_task(world, api_for, settings, monkeypatch):
    from shelfai.detection.services import batch_size
    from shelfai.pipeline.tasks import analyze_photo
    from shelfai.visits.models import Photo

    settings.ANALYSIS_BATCH_SIZE = 0  # the default: the detector's device decides
    settings.DETECTOR_DEVICE = "cpu"
    assert batch_size() == 1
    first, second = _queued_photos(world, api_for, 2, monkeypatch)
    analyze_photo.apply(args=[first]).get()
    assert Photo.objects.get(pk=second).status == Photo.Status.QUEUED
