"""`python manage.py export_labels --out DIR`: photos and their current boxes for annotators (YOLO format)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shelfai.detection.labels import current_runs, export_labels


class Command(BaseCommand):
    help = "Export analysed photos with their current detections in YOLO format (CVAT, Label Studio)."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, type=Path, help="Folder to create (images/, labels/).")
        parser.add_argument("--store", help="Only this store code.")
        parser.add_argument("--since", type=date.fromisoformat, help="Only runs from this day (YYYY-MM-DD).")
        parser.add_argument("--limit", type=int, help="At most this many photos, newest first.")

    def handle(self, *args, out: Path, store, since, limit, **options):
        if out.exists() and any(out.iterdir()):
            raise CommandError(f"{out} is not empty: choose a new folder so no earlier export is overwritten.")
        runs = current_runs(store=store, since=since, limit=limit)
        total = runs.count() if hasattr(runs, "count") else len(runs)
        if not total:
            raise CommandError("No analysed photos match: nothing to export.")

        def progress(done: int) -> None:
            if done == total or done % 25 == 0:
                self.stdout.write(f"  {done}/{total} photos")

        count = export_labels(out=out, runs=runs, progress=progress)
        self.stdout.write(self.style.SUCCESS(
            f"Exported {count} photos to {out}. Correct the boxes, then: "
            f"python manage.py import_labels --data {out} --out <dataset folder>"
        ))
