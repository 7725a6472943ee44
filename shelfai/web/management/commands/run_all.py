"""`make run`: seed the demo once, then serve the app with a real Celery worker beside it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from shelfai.celery import ensure_broker_dirs

# A worker finishing its current photo on SIGTERM needs ~1 s on CPU; more means it is stuck.
STOP_GRACE_SECONDS = 8


class Command(BaseCommand):
    help = "Start the web server and a Celery worker (queues gpu and default, with the sweeper)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-seed", action="store_true", help="Do not create the demo world.")

    def handle(self, *args, host: str, port: int, no_seed: bool, **options):
        if not no_seed:
            call_command("seed_demo", if_empty=True, stdout=self.stdout)
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        ensure_broker_dirs()
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "shelfai", "worker", "-Q", "gpu,default", "-B",
                  "--concurrency", "1", "--loglevel", "INFO",
                  "--schedule", str(settings.VAR_DIR / "celerybeat-schedule")]
        web = [python, "-m", "gunicorn", "shelfai.wsgi", "--bind", f"{host}:{port}", "--workers", "2",
               "--threads", "4", "--timeout", "60", "--access-logfile", "-"]
        # Each child leads its own process group, so stopping it reaches its own children too (the
        # worker's pool process, gunicorn's workers); a worker stuck in shutdown is killed.
        procs = [subprocess.Popen(celery, start_new_session=True), subprocess.Popen(web, start_new_session=True)]
        broker = settings.CELERY_BROKER_URL.split("://")[0]
        self.stdout.write(self.style.SUCCESS(
            f"\nShelfAI is running at http://{host}:{port}/  (API docs: /api/docs/, admin: /admin/)\n"
            f"Worker: celery on queues gpu+default, broker {broker}. Ctrl-C stops both.\n"
        ))
        # A plain `kill` (SIGTERM) or a closed terminal (SIGHUP) stops everything, like Ctrl-C.
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, _interrupt)
        try:
            call_command("seed_demo", print_logins=True, stdout=self.stdout)
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
                signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not cut the shutdown short
            _stop(procs)
        failed = [p.args[2] for p in procs if p.returncode not in (0, -signal.SIGTERM, -signal.SIGKILL, None)]
        if failed:
            self.stderr.write(f"A process stopped with an error: {failed}. See the log above.")
            sys.exit(1)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _stop(procs: list[subprocess.Popen], grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM to each child's process group, then SIGKILL to whatever is left after ``grace`` seconds."""
    for p in procs:
        _signal_group(p, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for p in procs:
        _signal_group(p, signal.SIGKILL)  # also reaps a pool child the worker left behind
        p.wait()


def _signal_group(p: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(p.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
