"""`python manage.py refresh_analytics [--full]`: bring the dashboard's summaries up to date."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from analytics import summaries


class Command(BaseCommand):
    help = "Rebuild the analytics summaries for days with new visits, photos, scores or observations."

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true",
                            help="Rebuild every day from scratch (after deleting data, or to backfill).")

    def handle(self, *args, full: bool, **options):
        start = time.perf_counter()
        days = summaries.refresh_all() if full else summaries.refresh_pending()
        self.stdout.write(self.style.SUCCESS(f"Rebuilt {days} day(s) in {time.perf_counter() - start:.1f} s."))
