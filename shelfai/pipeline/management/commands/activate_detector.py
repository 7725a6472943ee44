"""`python manage.py activate_detector --weights PATH [--rescore]`: make a model version the active one."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shelfai.detection.management.commands.train_detector import register_model
from shelfai.pipeline.stages import photos_reanalyse
from shelfai.vision.detector import DetectorUnavailable, ProductDetector
from shelfai.visits.models import Photo


class Command(BaseCommand):
    help = "Register weights (if new) and make them the detector every new analysis uses."

    def add_arguments(self, parser):
        parser.add_argument("--weights", required=True, type=Path)
        parser.add_argument("--name", default="")
        parser.add_argument("--metrics", default="", help="JSON from evaluate_detector --json, to record with it.")
        parser.add_argument("--rescore", action="store_true",
                            help="Re-analyse and re-score done photos with it (history is kept).")

    def handle(self, *args, weights: Path, name: str, metrics: str, rescore: bool, **options):
        try:
            ProductDetector.load(weights, device="cpu")  # refuse weights that would fail every photo
        except DetectorUnavailable as exc:
            raise CommandError(f"Not activated: {exc}") from None
        try:
            parsed = json.loads(metrics) if metrics else {}
        except json.JSONDecodeError as exc:
            raise CommandError(f"--metrics is not JSON: {exc}") from None
        model = register_model(weights, name=name or weights.stem, metrics=parsed, trained_on="", activate=True)
        self.stdout.write(self.style.SUCCESS(f"Active detector: {model} (id {model.pk})."))
        if rescore:
            count = photos_reanalyse(Photo.objects.filter(status=Photo.Status.DONE))
            self.stdout.write(f"Re-queued {count} photos for analysis with the new model.")
