"""Faults between the stages, with real Celery workers on a private Redis and the test database.

Each test starts its own Redis (another port, no persistence, so a restart loses every message as a
production Redis without AOF does) and stops it, kills or restarts it, and kills whole workers,
then runs the sweeper as celery beat would. What must hold every time: each photo ends scored
exactly once, with one current result, and the queue never holds more than one message per
waiting photo (plus a small margin).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from tests.integration.test_worker_pipeline import _database_url, _shelf_jpeg

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SCORE_QUEUE, DETECT_QUEUE = "default", "gpu"


class PrivateRedis:
    """A redis-server of our own on a free loopback port; never the shared one."""

    def __init__(self, folder: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            message = "redis-server is not installed: the pipeline fault tests need it"
            if os.environ.get("SHELFAI_REQUIRE_SERVICES"):
                pytest.fail(message)
            pytest.skip(message)
        self.binary, self.folder = binary, folder
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if self._ping():
                return
            time.sleep(0.05)
        raise RuntimeError(f"private redis on port {self.port} did not start")

    def stop(self) -> None:
        """Gone at once, as a crashed or restarted server without persistence: every message is lost."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def command(self, *args: str):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port).execute_command(*args)

    def depth(self, queue: str) -> int:
        return int(self.command("LLEN", queue))

    def unacked(self) -> int:
        return int(self.command("HLEN", "unacked"))


@pytest.fixture
def broker(tmp_path, settings, monkeypatch):
    """A private Redis, and this process's Celery app sending to it."""
    from shelfai.celery import app

    redis = PrivateRedis(tmp_path)
    saved = (app.conf.broker_url, app.conf.broker_transport_options)
    # Celery reads CELERY_BROKER_URL from the environment before its own setting (CI exports it).
    monkeypatch.setenv("CELERY_BROKER_URL", redis.url)
    settings.CELERY_BROKER_URL = redis.url
    app.conf.broker_url = redis.url
    app.conf.broker_transport_options = {"visibility_timeout": 3600}
    _reconnect(app)
    yield redis
    monkeypatch.undo()
    app.conf.broker_url, app.conf.broker_transport_options = saved
    _reconnect(app)
    redis.stop()


def _reconnect(app) -> None:
    app._pool = None  # kombu keys its pools by URL and options: drop them
    app.amqp._producer_pool = None


class Workers:
    """Real Celery worker processes, each the leader of its own process group (so a kill takes its
    pool children too), on the private broker and the test database."""

    def __init__(self, broker: PrivateRedis, folder: Path, media_root: str):
        self.broker, self.folder, self.media_root = broker, folder, media_root
        self.procs: list[subprocess.Popen] = []

    def start(self, queues: str, *, pool: str = "solo", **env: str) -> subprocess.Popen:
        name = f"w{len(self.procs)}-{os.getpid()}"
        log = open(self.folder / f"{name}.log", "w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "shelfai", "worker", "-Q", queues, "--pool", pool,
             "--concurrency", "1", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
             "--hostname", f"{name}@%h"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "DATABASE_URL": _database_url(), "MEDIA_ROOT": self.media_root,
                 "CELERY_BROKER_URL": self.broker.url, "DEBUG": "1", "SHELFAI_TESTING": "1",
                 "PYTHONUNBUFFERED": "1", **env},
        )
        proc.log_path = log.name  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL to the worker and everything it started: no warm shutdown, no acknowledgement."""
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                self.kill(proc)
        for proc in self.procs:
            sys.stdout.write(f"--- {proc.log_path}\n{Path(proc.log_path).read_text()[-3000:]}\n")


@pytest.fixture
def workers(broker, tmp_path, settings):
    pool = Workers(broker, tmp_path, str(settings.MEDIA_ROOT))
    yield pool
    pool.stop_all()


def _upload(world, api_for, seeds: list[int], prefix: str) -> list[int]:
    from shelfai.visits.models import Photo

    client = api_for(world.users["rep"])
    visit = client.post("/api/visits/", {"store": "s1"}, format="json").json()
    response = client.post(
        f"/api/visits/{visit['id']}/photos/",
        {"photos": [SimpleUploadedFile(f"{prefix}{s}.jpg", _shelf_jpeg(s)) for s in seeds],
         "client_upload_ids": [f"{prefix}-{s}" for s in seeds]},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    return [Photo.objects.get(client_upload_id=f"{prefix}-{s}").pk for s in seeds]


def _wait(condition, what: str, timeout: float = 180, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def _status(pk: int) -> str:
    from shelfai.visits.models import Photo

    return Photo.objects.filter(pk=pk).values_list("status", flat=True).get()


def _assert_scored_once(pks: list[int]) -> None:
    from shelfai.compliance.models import ComplianceResult
    from shelfai.detection.models import DetectionRun
    from shelfai.visits.models import Photo

    for photo in Photo.objects.filter(pk__in=pks):
        assert photo.status == Photo.Status.DONE, (photo.pk, photo.status, photo.status_reason)
        assert DetectionRun.objects.filter(photo=photo).count() == 1, "analysed more than once"
        results = ComplianceResult.objects.filter(photo=photo, scope=ComplianceResult.Scope.PHOTO)
        assert results.count() == 1, "scored more than once"
        assert results.filter(is_current=True).count() == 1


def _age_messages(pks: list[int], seconds: float) -> None:
    """As if the stale timeout had passed since the photos were sent (instead of sleeping through it)."""
    from shelfai.visits.models import Photo

    before = timezone.now() - timedelta(seconds=seconds)
    Photo.objects.filter(pk__in=pks, sent_at__isnull=False).update(sent_at=before)
    Photo.objects.filter(pk__in=pks).update(queued_at=before, analyzed_at=before)
    Photo.objects.filter(pk__in=pks, scoring_started_at__isnull=False).update(scoring_started_at=before)


def test_the_broker_down_between_analysis_and_scoring_loses_nothing(world, api_for, broker, workers):
    from shelfai.pipeline.sweeper import sweep
    from shelfai.visits.models import Photo

    workers.start(f"{DETECT_QUEUE},{SCORE_QUEUE}")
    [pk] = _upload(world, api_for, [41], "down")
    _wait(lambda: _status(pk) == Photo.Status.PROCESSING, "the worker to claim the photo")
    broker.stop()  # while the detector runs: its hand-on to scoring cannot be sent
    _wait(lambda: _status(pk) != Photo.Status.PROCESSING, "analysis to end", timeout=120)
    photo = Photo.objects.get(pk=pk)
    assert photo.status == Photo.Status.ANALYZED, photo.status_reason  # kept, not failed
    assert photo.sent_at is None  # and known to be unsent
    broker.start()
    _age_messages([pk], 60)
    started = time.monotonic()
    assert sweep()["scoring_resent"] == 1
    _wait(lambda: _status(pk) in Photo.TERMINAL, "scoring after the broker came back")
    print(f"recovered {time.monotonic() - started:.1f} s after the sweep")
    _assert_scored_once([pk])


def test_a_killed_worker_and_a_broker_restart_while_scoring_waits(world, api_for, broker, workers, settings):
    """The whole worker is killed holding the scoring message unacknowledged, then the broker restarts
    without persistence: the message is gone for good. The sweeper sees the queue empty and re-sends."""
    from shelfai.pipeline import sweeper
    from shelfai.pipeline.tasks import score_photo
    from shelfai.visits.models import Photo

    detect = workers.start(DETECT_QUEUE)
    [pk] = _upload(world, api_for, [42], "kill")
    _wait(lambda: _status(pk) == Photo.Status.ANALYZED, "analysis", timeout=240)
    _wait(lambda: broker.depth(SCORE_QUEUE) == 1, "the hand-on to scoring (sent after commit)")
    workers.kill(detect)
    # Hold the photo's row so the scoring worker takes the message and then waits on its claim.
    with transaction.atomic():
        Photo.objects.filter(pk=pk).update(status_reason="")
        scorer = workers.start(SCORE_QUEUE, pool="prefork")
        _wait(lambda: broker.depth(SCORE_QUEUE) == 0 and broker.unacked() == 1,
              "the worker to take the scoring message", timeout=120)
        time.sleep(0.5)
        workers.kill(scorer)  # main process and pool child, no warm shutdown
    # On PostgreSQL the dead worker's waiting UPDATE still runs once the lock goes: its claim lands
    # and goes stale, the other way a killed worker leaves a photo. On SQLite it never ran.
    time.sleep(1)
    assert _status(pk) in (Photo.Status.ANALYZED, Photo.Status.SCORING)
    assert broker.unacked() == 1  # in Redis the message would come back only after the visibility timeout
    broker.restart()  # ... and with a restart without persistence, never

    settings.PHOTO_STALE_AFTER_SECONDS = 30
    assert sweeper.sweep().get("scoring_resent", 0) == 0  # not stale yet: nothing re-sent
    _age_messages([pk], 31)
    assert sweeper.sweep()["scoring_resent"] == 1
    assert sweeper.sweep().get("scoring_resent", 0) == 0  # sent again just now: not re-sent twice
    started = time.monotonic()
    workers.start(SCORE_QUEUE)
    _wait(lambda: _status(pk) in Photo.TERMINAL, "scoring by a new worker")
    print(f"scored {time.monotonic() - started:.1f} s after the new worker started")
    # The old message coming back after all (Redis restores unacked messages): it finds nothing to do.
    score_photo.apply_async(args=[pk], queue=SCORE_QUEUE)
    _wait(lambda: broker.depth(SCORE_QUEUE) == 0 and broker.unacked() == 0, "the duplicate to be consumed")
    _assert_scored_once([pk])


def test_the_same_scoring_message_twice_scores_once(world, api_for, broker, workers):
    from shelfai.pipeline.tasks import score_photo
    from shelfai.visits.models import Photo

    workers.start(DETECT_QUEUE)
    [pk] = _upload(world, api_for, [43], "twice")
    _wait(lambda: _status(pk) == Photo.Status.ANALYZED, "analysis", timeout=240)
    _wait(lambda: broker.depth(SCORE_QUEUE) == 1, "the hand-on to scoring (sent after commit)")
    score_photo.apply_async(args=[pk], queue=SCORE_QUEUE)  # a redelivery of the same message
    assert broker.depth(SCORE_QUEUE) == 2
    workers.start(SCORE_QUEUE)
    _wait(lambda: broker.depth(SCORE_QUEUE) == 0 and broker.unacked() == 0, "both messages to be consumed")
    _assert_scored_once([pk])


BACKLOG = int(os.environ.get("SHELFAI_BACKLOG_PHOTOS", "2000"))


def _analysed_backlog(world, count: int) -> list[int]:
    """``count`` photos analysed (each with a stored detection run), waiting for scoring, 10 per visit."""
    from shelfai.detection.models import DetectionRun
    from shelfai.visits.models import Photo, Visit

    now = timezone.now()
    visits = Visit.objects.bulk_create(
        [Visit(rep=world.users["rep"], store=world.store) for _ in range((count + 9) // 10)])
    photos = Photo.objects.bulk_create([
        Photo(visit=visits[i // 10], uploaded_by=world.users["rep"], client_upload_id=f"backlog-{i}",
              original=f"photos/00/{i:064x}/x.jpg", content_type="image/jpeg", file_ext="jpg", size_bytes=1,
              sha256=f"{i:064x}", width=640, height=480, status=Photo.Status.ANALYZED, queued_at=now,
              attempts=1, analyzed_at=now, sent_at=now)
        for i in range(count)
    ], batch_size=500)
    DetectionRun.objects.bulk_create([
        DetectionRun(photo=p, detector_sha256="f" * 64, quality_ok=True, rows=[], gaps=[], facing_count=0)
        for p in photos
    ], batch_size=500)
    return [p.pk for p in photos]


def test_a_backlog_longer_than_the_stale_timeout_is_never_multiplied(world, broker, workers, settings):
    """Scoring messages for a backlog of photos wait far longer than the stale timeout while one slow
    worker drains them; the sweeper runs all along (as beat would) and must not re-send any of them.
    Then part of the queue is lost (the broker restarts): exactly the lost photos are sent again."""
    from shelfai.pipeline import dispatch, sweeper
    from shelfai.pipeline.status import SCORING
    from shelfai.visits.models import Photo

    settings.PHOTO_STALE_AFTER_SECONDS = 2
    pks = _analysed_backlog(world, BACKLOG)
    assert dispatch.send(SCORING, pks)
    assert broker.depth(SCORE_QUEUE) == BACKLOG
    time.sleep(settings.PHOTO_STALE_AFTER_SECONDS + 0.5)  # every message is now "stale" by time alone
    assert sweeper.sweep().get("scoring_resent", 0) == 0  # but the queue still holds them all

    workers.start(SCORE_QUEUE)
    worst, resent, restarted = 0, 0, False
    started = time.monotonic()
    while Photo.objects.filter(pk__in=pks).exclude(status__in=Photo.TERMINAL).exists():
        waiting = Photo.objects.filter(pk__in=pks, status__in=[Photo.Status.ANALYZED, Photo.Status.SCORING]).count()
        worst = max(worst, broker.depth(SCORE_QUEUE) - waiting)
        if not restarted and waiting < BACKLOG // 2:
            broker.restart()  # half the backlog's messages are gone
            restarted = True
        resent += sweeper.sweep().get("scoring_resent", 0)
        assert time.monotonic() - started < 900, "the backlog did not drain"
        time.sleep(1)
    elapsed = time.monotonic() - started
    print(f"{BACKLOG} photos scored in {elapsed:.0f} s; re-sent {resent}; queue beyond waiting photos <= {worst}")
    assert restarted
    assert worst <= 3  # at most a worker's prefetch beyond one message per waiting photo
    assert 0 < resent <= BACKLOG // 2 + 3  # only what the restart lost (and what the worker held)
    _assert_backlog_scored_once(pks)


def _assert_backlog_scored_once(pks: list[int]) -> None:
    from django.db.models import Count

    from shelfai.compliance.models import ComplianceResult
    from shelfai.visits.models import Photo

    assert set(Photo.objects.filter(pk__in=pks).values_list("status", flat=True)) == {Photo.Status.DONE}
    per_photo = (ComplianceResult.objects.filter(photo_id__in=pks, scope=ComplianceResult.Scope.PHOTO)
                 .values("photo_id").annotate(n=Count("pk")).values_list("n", flat=True))
    assert len(per_photo) == len(pks) and set(per_photo) == {1}


def test_uploads_during_a_broker_outage_are_sent_when_it_returns(world, api_for, broker, workers):
    from shelfai.pipeline.sweeper import sweep
    from shelfai.visits.models import Photo

    broker.stop()
    started = time.monotonic()
    pks = _upload(world, api_for, [44], "outage")  # accepted, stored, not sent
    assert time.monotonic() - started < 10, "an upload must not hang on a dead broker"
    assert Photo.objects.get(pk=pks[0]).sent_at is None
    broker.start()
    workers.start(f"{DETECT_QUEUE},{SCORE_QUEUE}")
    _age_messages(pks, 60)
    assert sweep()["analysis_resent"] == 1
    _wait(lambda: _status(pks[0]) in Photo.TERMINAL, "the photo's journey", timeout=240)
    _assert_scored_once(pks)
