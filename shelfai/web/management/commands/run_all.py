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


class Command(BaseCommand):
    help = "Start the web server and a Celery worker (queues gpu and default, with the sweeper)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-seed", action="store_true", help="Do not create the demo world.")

    def handle(self, *args, host: str, port: int, no_seed: bool, **options):
        from shelfai.celery import ensure_broker_dirs

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
        procs = [subprocess.Popen(celery), subprocess.Popen(web)]
        broker = settings.CELERY_BROKER_URL.split("://")[0]
        self.stdout.write(self.style.SUCCESS(
            f"\nShelfAI is running at http://{host}:{port}/  (API docs: /api/docs/, admin: /admin/)\n"
            f"Worker: celery on queues gpu+default, broker {broker}. Ctrl-C stops both.\n"
        ))
        call_command("seed_demo", print_logins=True, stdout=self.stdout)
        try:
            while all(p.poll() is None for p in procs):
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            for p in procs:
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
        failed = [p.args[2] for p in procs if p.returncode not in (0, -signal.SIGTERM, None)]
        if failed:
            self.stderr.write(f"A process stopped with an error: {failed}. See the log above.")
            sys.exit(1)
