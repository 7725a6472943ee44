"""`python manage.py import_labels --data DIR --out DATASET`: corrected labels back, as a training set."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shelfai.detection.labels import import_labels


class Command(BaseCommand):
    help = "Validate corrected YOLO labels and lay them out as a train/val dataset for train_detector."

    def add_arguments(self, parser):
        parser.add_argument("--data", required=True, type=Path, help="Folder with images/ and labels/.")
        parser.add_argument("--out", required=True, type=Path, help="New dataset folder to create.")
        parser.add_argument("--val-fraction", type=float, default=0.15)

    def handle(self, *args, data: Path, out: Path, val_fraction: float, **options):
        try:
            counts = import_labels(data=data, out=out, val_fraction=val_fraction)
        except ValueError as exc:
            raise CommandError(f"Nothing was imported:\n{exc}") from None
        self.stdout.write(self.style.SUCCESS(
            f"Dataset ready at {out}: {counts['train']} training and {counts['val']} validation photos "
            f"({counts['reviewed']} with boxes a reviewer corrected). Next: "
            f"python manage.py train_detector --data {out / 'data.yaml'} --epochs 50 --imgsz 800, then "
            "evaluate_detector and activate_detector."
        ))
