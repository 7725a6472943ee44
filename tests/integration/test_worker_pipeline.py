"""A real Celery worker process, on the configured broker and database, processes uploaded photos.

In CI the broker is Redis and the database PostgreSQL (see .ci/run); locally the embedded
filesystem broker and SQLite. Nothing is mocked: the photo goes through the API, the broker,
the worker's YOLO model, and comes back as a result.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _check_broker() -> None:
    from shelfai.celery import app, ensure_broker_dirs

    ensure_broker_dirs()
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=2, timeout=5)
    except Exception as exc:  # CI must never skip quietly: fail there, skip only on a laptop
        message = f"Broker {settings.CELERY_BROKER_URL} unreachable: {exc}"
        if os.environ.get("SHELFAI_REQUIRE_SERVICES"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def worker_env() -> dict[str, str]:
    """Extra environment for the worker process; a test overrides it with a parametrize."""
    return {}


@pytest.fixture
def worker(settings, tmp_path, worker_env):
    from shelfai.celery import app

    broker_env = {}
    if settings.CELERY_BROKER_URL == "filesystem://":
        # A private embedded broker folder: no other worker on this machine can take our messages.
        folder = tmp_path / "broker"
        options = {"data_folder_in": str(folder / "out"), "data_folder_out": str(folder / "out"),
                   "processed_folder": str(folder / "processed"), "control_folder": str(folder / "control"),
                   "store_processed": False}
        settings.CELERY_BROKER_TRANSPORT_OPTIONS = options
        app.conf.broker_transport_options = options
        app._pool = None  # reconnect with the new options (kombu keys its pools by them)
        app.amqp._producer_pool = None
        broker_env["CELERY_BROKER_FOLDER"] = str(folder)
    _check_broker()
    if not settings.CELERY_BROKER_URL.startswith("filesystem"):
        app.control.purge()
    env = {
        **broker_env,
        **os.environ,
        "DATABASE_URL": _database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "PHOTO_STALE_AFTER_SECONDS": "10",
        "DEBUG": "1",
        "SHELFAI_TESTING": "1",
        "PYTHONUNBUFFERED": "1",
        **worker_env,
    }
    log = open(tmp_path / "worker.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "shelfai", "worker", "-Q", "gpu,default", "--pool", "solo",
         "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--hostname", f"test-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    sys.stdout.write((tmp_path / "worker.log").read_text()[-4000:])


def _wait_for(photo_id: int, worker, timeout: float = 240) -> object:
    from shelfai.visits.models import Photo

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        photo = Photo.objects.get(pk=photo_id)
        if photo.status in Photo.TERMINAL:
            return photo
        assert worker.poll() is None, "the worker process died"
        time.sleep(0.5)
    pytest.fail(f"photo still {photo.status} after {timeout}s")


def _shelf_jpeg(seed: int = 3) -> bytes:
    import cv2
    import numpy as np

    from shelfai.vision.offline.packart import random_catalog
    from shelfai.vision.offline.synthetic import RenderOptions, random_layout, render_shelf

    rng = np.random.default_rng(seed)
    catalog = random_catalog(12, 4, rng)
    layout = random_layout(catalog.codes, rng)
    scene = render_shelf(layout, catalog.pack_images, options=RenderOptions(size=(1280, 960)), rng=rng)
    return cv2.imencode(".jpg", scene.image, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()


def test_an_uploaded_photo_is_analysed_by_a_real_worker(world, api_for, worker):
    from shelfai.detection.models import Detection, DetectionRun

    client = api_for(world.users["rep"])
    visit = client.post("/api/visits/", {"store": "s1"}, format="json").json()
    response = client.post(
        f"/api/visits/{visit['id']}/photos/",
        {"photos": [SimpleUploadedFile("shelf.jpg", _shelf_jpeg())], "client_upload_ids": ["int-1"]},
        format="multipart",
    )
    assert response.status_code == 202
    from shelfai.visits.models import Photo

    photo = _wait_for(Photo.objects.get(client_upload_id="int-1").pk, worker)
    assert photo.status in (Photo.Status.DONE, Photo.Status.RETAKE), photo.status_reason
    run = DetectionRun.objects.get(photo=photo, is_current=True)
    assert run.detector_sha256 and Detection.objects.filter(run=run).count() == run.facing_count
    # how the detector ran is on record with the weights' hash: the same weights give other boxes otherwise
    assert run.detector_settings["backend"] in ("onnxruntime", "pytorch")
    assert {"imgsz", "conf", "iou", "merge_iou", "flip"} <= set(run.detector_settings)
    assert photo.evidence_image
    body = client.get(response.json()[0]["status_url"]).json()
    assert body["status"] == photo.status and body["result"]["facings"] == run.facing_count


def test_the_sweeper_recovers_a_photo_whose_task_was_lost(world, api_for, worker, monkeypatch):
    from shelfai.pipeline.tasks import sweep_stale_photos
    from shelfai.visits.models import Photo

    client = api_for(world.users["rep"])
    visit = client.post("/api/visits/", {"store": "s1"}, format="json").json()
    # The broker "loses" the message: intake stores the photo but nothing reaches the worker.
    monkeypatch.setattr("shelfai.pipeline.dispatch.send", lambda stage, photo_ids: True)
    client.post(
        f"/api/visits/{visit['id']}/photos/",
        {"photos": [SimpleUploadedFile("shelf.jpg", _shelf_jpeg(5))], "client_upload_ids": ["lost-1"]},
        format="multipart",
    )
    monkeypatch.undo()
    photo = Photo.objects.get(client_upload_id="lost-1")
    Photo.objects.filter(pk=photo.pk).update(queued_at=timezone.now() - timedelta(minutes=30))
    sweep_stale_photos.apply_async(queue="default")  # what celery beat sends every minute
    photo = _wait_for(photo.pk, worker)
    assert photo.status in (Photo.Status.DONE, Photo.Status.RETAKE), photo.status_reason


@pytest.mark.parametrize("worker_env", [{"ANALYSIS_BATCH_SIZE": "3"}])
def test_a_gpu_style_worker_detects_a_visits_photos_in_one_batch(world, api_for, worker):
    """As on a CUDA worker: the first task takes the other queued photos along, one detector call for all."""
    from shelfai.detection.models import DetectionRun
    from shelfai.visits.models import Photo

    client = api_for(world.users["rep"])
    visit = client.post("/api/visits/", {"store": "s1"}, format="json").json()
    response = client.post(
        f"/api/visits/{visit['id']}/photos/",
        {"photos": [SimpleUploadedFile(f"shelf{i}.jpg", _shelf_jpeg(20 + i)) for i in range(3)],
         "client_upload_ids": [f"gpu-{i}" for i in range(3)]},
        format="multipart",
    )
    assert response.status_code == 202
    photos = [_wait_for(Photo.objects.get(client_upload_id=f"gpu-{i}").pk, worker) for i in range(3)]
    assert all(p.status in (Photo.Status.DONE, Photo.Status.RETAKE) for p in photos), [p.status_reason for p in photos]
    runs = [DetectionRun.objects.get(photo=p, is_current=True) for p in photos]
    assert len({run.timings_ms["detect"] for run in runs}) == 1  # one batched call, its time shared
    assert all(p.attempts == 1 for p in photos)  # each analysed once; the other two tasks skipped
