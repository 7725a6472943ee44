"""`make run` stops everything it started: Ctrl-C or a plain `kill` of run_all, within seconds.

Starts the real `manage.py run_all` (gunicorn, a Celery worker with its pool child and embedded beat)
on a private SQLite database and embedded broker, then signals it as a terminal or a `kill` would.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _sessions() -> dict[int, int]:
    """pid -> session id of every process on the machine."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":  # a zombie is already gone, only not reaped yet
                found[int(entry.name)] = int(fields[3])
    return found


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["kill", "ctrl-c"])
def test_run_all_stops_every_process_it_started(tmp_path, sig):
    if not Path("/proc").is_dir():
        pytest.skip("needs /proc to list processes")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SHELFAI_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}",
           "CELERY_BROKER_URL": "filesystem://", "CELERY_BROKER_FOLDER": str(tmp_path / "broker"),
           "MEDIA_ROOT": str(tmp_path / "media"), "DEBUG": "1", "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    env.pop("SHELFAI_TESTING", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    log = open(tmp_path / "run_all.log", "w")
    proc = subprocess.Popen([sys.executable, "manage.py", "run_all", "--no-seed"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    started: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (tmp_path / "run_all.log").read_text()
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
                if "ready" in (tmp_path / "run_all.log").read_text():  # the worker is consuming
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "run_all.log").read_text()[-3000:]
            time.sleep(0.5)
        started = set(_children(proc.pid))
        assert len(started) == 2  # gunicorn and the worker, each leading its own session
        sessions = {pid for pid, sid in _sessions().items() if sid in started}
        assert len(sessions) > 2  # their own children: gunicorn workers, the worker's pool and beat

        stopped_at = time.monotonic()
        proc.send_signal(sig)
        proc.wait(timeout=30)
        while {pid for pid, sid in _sessions().items() if sid in started} and time.monotonic() - stopped_at < 30:
            time.sleep(0.2)
        left = {pid for pid, sid in _sessions().items() if sid in started}
        took = time.monotonic() - stopped_at
        assert not left, f"still running after {took:.0f} s: {left}"
        assert took < 15, f"stopping took {took:.1f} s"
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid, sid in _sessions().items():
            if sid in started:
                os.kill(pid, signal.SIGKILL)
        log.close()
