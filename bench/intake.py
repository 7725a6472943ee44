"""Intake throughput: uploads per second and p50/p95 latency of the photo API, served as in production.

gunicorn + PostgreSQL + Redis broker, the worker paused (no consumer), so the figure is the
intake's own. Afterwards every accepted photo must be present, hashed and queued.

    .venv/bin/python bench/intake.py [--uploads 400] [--concurrency 8] [--workers 4]

Target (issue 2): ≥ 50 uploads/s of 2 MB photos with p95 < 250 ms on 2 cores.
Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/shelfai_bench, created if missing)
and CELERY_BROKER_URL (default redis://127.0.0.1:6379/14). Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import io
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_photo(target_bytes: int = 2_000_000) -> bytes:
    """A 12 MP-class JPEG of about ``target_bytes`` (noise compresses badly, so size is easy to hit)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(1)
    base = rng.integers(0, 255, (375, 500, 3), dtype=np.uint8)
    image = Image.fromarray(base).resize((4000, 3000), Image.BILINEAR)
    for quality in (92, 85, 75, 65, 55, 45):
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=quality)
        if buf.tell() <= target_bytes * 1.15:
            break
    return buf.getvalue()


def multipart(data: bytes, client_id: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"client_upload_ids\"\r\n\r\n{client_id}\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"shelf.jpg\"\r\n"
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def setup_world(env: dict) -> tuple[str, str]:
    code = (
        "import django; django.setup();"
        "from datetime import date;"
        "from rest_framework.authtoken.models import Token;"
        "from shelfai.accounts.models import User;"
        "from shelfai.stores.models import *;"
        "from shelfai.visits.services import visit_start;"
        "r,_=Region.objects.get_or_create(code='bench',defaults={'name':'Bench'});"
        "t,_=Retailer.objects.get_or_create(code='bench',defaults={'name':'Bench'});"
        "s,_=Store.objects.get_or_create(code='bench',defaults=dict(name='Bench',region=r,retailer=t,"
        "latitude=0,longitude=0));"
        "u,_=User.objects.get_or_create(username='bench-rep',defaults={'role':'rep'});"
        "RepAssignment.objects.get_or_create(rep=u,store=s,starts_on=date(2020,1,1));"
        "v,_=visit_start(rep=u,store=s);"
        "print(Token.objects.get_or_create(user=u)[0].key, v.public_id)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    token, visit = out.stdout.split()[-2:]
    return token, visit


def ensure_database(url: str) -> None:
    if not url.startswith("postgres"):
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uploads", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--warmup", type=int, default=16,
                        help="uploads sent first and not timed: each gunicorn worker imports the app on first use")
    args = parser.parse_args()

    media = tempfile.mkdtemp(prefix="shelfai-bench-media-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shelfai.settings",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shelfai_bench"),
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14"),
        "MEDIA_ROOT": media,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "0",
        "INSECURE_HTTP": "1",  # plain HTTP on 127.0.0.1 only
        "LOG_LEVEL": "WARNING",
    }
    ensure_database(env["DATABASE_URL"])
    print(f"database {env['DATABASE_URL']}  broker {env['CELERY_BROKER_URL']}  media {media}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
    token, visit = setup_world(env)
    subprocess.run([sys.executable, "-m", "celery", "-A", "shelfai", "purge", "-f", "-Q", "gpu,default"],
                   env=env, cwd=ROOT, capture_output=True)

    photo = make_photo()
    print(f"photo: {len(photo) / 1e6:.2f} MB JPEG, 4000x3000")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "shelfai.wsgi", "--bind", f"127.0.0.1:{args.port}",
         "--workers", str(args.workers), "--worker-class", "gthread", "--threads", "2",
         "--log-level", "warning"],
        env=env, cwd=ROOT,
    )
    try:
        _wait_up(args.port)
        prefix = f"bench-{uuid.uuid4().hex[:8]}-"
        warm = [multipart(photo, f"{prefix}warm-{i}") for i in range(args.warmup)]
        _load(args, token, visit, warm)
        bodies = [multipart(photo, f"{prefix}{i}") for i in range(args.uploads)]
        latencies, failures = _load(args, token, visit, bodies)
    finally:
        server.terminate()
        server.wait(timeout=30)

    elapsed = latencies.pop("elapsed")
    times = sorted(latencies["ok"])
    ok = len(times)
    p50 = statistics.median(times) * 1000
    p95 = times[int(0.95 * (ok - 1))] * 1000
    print(f"\nuploads: {ok} accepted, {len(failures)} failed, concurrency {args.concurrency}, "
          f"gunicorn {args.workers} workers")
    print(f"throughput: {ok / elapsed:.1f} uploads/s  ({ok * len(photo) / elapsed / 1e6:.0f} MB/s)")
    print(f"latency: p50 {p50:.0f} ms  p95 {p95:.0f} ms  max {times[-1] * 1000:.0f} ms")
    if failures:
        print("first failures:", failures[:3])
    _verify(env, ok + args.warmup, hashlib.sha256(photo).hexdigest(), prefix)


def _wait_up(port: int) -> None:
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not come up; see its log above")


def _load(args, token: str, visit: str, bodies: list) -> tuple[dict, list]:
    latencies: dict = {"ok": []}
    failures: list = []
    lock = threading.Lock()
    queue = list(bodies)

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
        while True:
            with lock:
                if not queue:
                    return
                body, ctype = queue.pop()
            start = time.perf_counter()
            try:
                conn.request("POST", f"/api/visits/{visit}/photos/", body=body,
                             headers={"Authorization": f"Token {token}", "Content-Type": ctype})
                response = conn.getresponse()
                response.read()
                status = response.status
            except OSError as exc:
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
                status = repr(exc)
            took = time.perf_counter() - start
            with lock:
                (latencies["ok"].append(took) if status == 202 else failures.append(status))

    threads = [threading.Thread(target=client) for _ in range(args.concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies["elapsed"] = time.perf_counter() - started
    return latencies, failures


def _verify(env: dict, accepted: int, sha: str, prefix: str) -> None:
    code = (
        "import django; django.setup();"
        "from django.core.files.storage import default_storage as s;"
        "from shelfai.visits.models import Photo;"
        "from shelfai.celery import app;"
        f"qs=Photo.objects.filter(uploaded_by__username='bench-rep', client_upload_id__startswith='{prefix}');"
        f"bad=[p.pk for p in qs if p.sha256!='{sha}' or not s.exists(p.original.name) or p.status!='queued'];"
        "c=app.connection_for_write(); ch=c.default_channel;"
        "q=ch.queue_declare('gpu', passive=True).message_count;"
        "print(qs.count(), len(bad), q)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        print(out.stderr[-2000:])
        raise SystemExit("verification failed to run")
    stored, bad, queued = (int(x) for x in out.stdout.split()[-3:])
    print(f"verified: {stored} photos stored (accepted {accepted}), {bad} missing/unhashed/not queued, "
          f"{queued} messages waiting on queue 'gpu'")
    subprocess.run([sys.executable, "-m", "celery", "-A", "shelfai", "purge", "-f", "-Q", "gpu,default"],
                   env=env, cwd=ROOT, capture_output=True)


if __name__ == "__main__":
    main()
