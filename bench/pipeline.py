"""Per-photo worker time of the whole journey: a 12 MP phone photo uploaded through the API, analysed
(decode, authenticity, quality gate, YOLO, rows, gaps, SKUs) and scored (photo, visit, placements, claims).

    python bench/pipeline.py [--photos 10] [--keep DIR]

Runs in one process with the tasks eager, on a fresh SQLite database with a small demo world
(``seed_demo --stores 2``), so the figure is the work a worker does per photo without broker
latency. It only talks to the API and reads ``Photo`` timestamps, so the same script measures an
earlier commit of the project too (run it from that checkout). Photos are real validation photos of
``../shared/data/sku110k_dev`` upscaled to 4000 x 3000 (generated shelves without the shared data),
each a different photo, so none is a duplicate of another.

Prints p50 / p95 of: analysis (claim to analysed), scoring (analysed to done) and the total per photo.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(Path.cwd() if (Path.cwd() / "manage.py").is_file() else Path(__file__).resolve().parents[1])


def phone_photos(count: int) -> list[bytes]:
    import cv2
    import numpy as np
    from PIL import Image

    shared = Path(os.environ.get("SHELFAI_SHARED_DATA", REPO.parent / "shared" / "data"))
    val = shared / "sku110k_dev" / "images" / "val"
    sources = sorted(val.iterdir())[:count] if val.is_dir() else []
    images = [cv2.imread(str(path)) for path in sources]
    rng = np.random.default_rng(0)
    while len(images) < count:  # without the shared data: generated shelves
        image = rng.integers(0, 255, (300, 400, 3), dtype=np.uint8)
        images.append(cv2.resize(cv2.GaussianBlur(image, (0, 0), 3), (1600, 1200)))
    out = []
    for image in images:
        h, w = image.shape[:2]
        big = cv2.resize(image, (4000, 3000) if w >= h else (3000, 4000), interpolation=cv2.INTER_CUBIC)
        buffer = io.BytesIO()
        Image.fromarray(big[:, :, ::-1]).save(buffer, format="JPEG", quality=92)
        out.append(buffer.getvalue())
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=10)
    parser.add_argument("--keep", type=Path, help="keep the database and media here (default: a temp folder)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="shelfai-bench-pipeline-"))
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.update({
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}", "MEDIA_ROOT": str(folder / "media"),
        "SHELFAI_VAR_DIR": str(folder), "CELERY_TASK_ALWAYS_EAGER": "1", "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "shelfai.settings", "LOG_LEVEL": "WARNING",
    })
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from shelfai.accounts.models import User
    from shelfai.visits.models import Photo

    setup_test_environment()  # "testserver" is an allowed host
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stores=2, sales_days=1, no_history=True, verbosity=0, stdout=io.StringIO())
    rep = User.objects.get(username="rep1")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=rep)[0].key}")
    store = client.get("/api/stores/").json()[0]["code"]
    photos = phone_photos(args.photos + 1)
    print(f"{args.photos} photos of 4000 x 3000 (+1 warm-up), store {store}, commit {_commit()}")

    analysis, scoring, total, statuses = [], [], [], []
    for index, data in enumerate(photos):
        visit = client.post("/api/visits/", {"store": store}, format="json").json()["id"]
        started = time.perf_counter()
        response = client.post(f"/api/visits/{visit}/photos/", {"photos": [_upload(data, index)],
                                                                 "client_upload_ids": [f"bench-{index}"]})
        wall = time.perf_counter() - started
        assert response.status_code == 202, response.content
        photo = Photo.objects.get(client_upload_id=f"bench-{index}")
        if index == 0:
            print(f"warm-up (model load): {wall:.1f} s, {photo.status}")
            continue
        statuses.append(photo.status)
        if photo.analyzed_at and photo.processing_started_at:
            analysis.append((photo.analyzed_at - photo.processing_started_at).total_seconds() * 1000)
        if photo.finished_at and photo.analyzed_at and photo.status == Photo.Status.DONE:
            scoring.append((photo.finished_at - photo.analyzed_at).total_seconds() * 1000)
        total.append(wall * 1000)
    print(f"statuses: { {s: statuses.count(s) for s in set(statuses)} }")
    for name, values in [("analysis (claim -> analysed)", analysis), ("scoring (analysed -> done)", scoring),
                         ("upload request, whole journey", total)]:
        if values:
            print(f"{name:32} p50 {statistics.median(values):7.0f} ms   p95 {percentile(values, 0.95):7.0f} ms"
                  f"   (n={len(values)})")


def _upload(data: bytes, index: int):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(f"shelf-{index}.jpg", data, content_type="image/jpeg")


def _commit() -> str:
    import subprocess

    try:
        return subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True).strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


if __name__ == "__main__":
    main()
