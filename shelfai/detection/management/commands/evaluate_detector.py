"""``python manage.py evaluate_detector --data DIR [--json] [--weights PATH]``

DIR holds ``images/`` and ``labels/`` in YOLO format (class 0 = product), optionally split into ``train/``
and ``val/`` (then ``val`` is evaluated). Without ``--weights`` the model the workers use is evaluated:
DETECTOR_WEIGHTS, else the active registered model, else the shipped default.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shelfai.vision.detector import DetectorSettings
from shelfai.vision.offline.training import TrainingError, evaluate


class Command(BaseCommand):
    help = "Measure precision, recall, mAP50 and mAP50-95 of the product detector on a labelled YOLO folder."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--data", required=True, type=Path, help="folder with images/ and labels/")
        parser.add_argument("--weights", type=Path, help="weights to evaluate (default: the active model)")
        parser.add_argument("--imgsz", type=int, default=DetectorSettings().imgsz,
                            help="inference size, pixels (default: the deployed %(default)s)")
        parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    def handle(self, *args, **options) -> None:
        weights = options["weights"] or self._active_weights()
        if not weights.is_file():
            raise CommandError(f"Weights not found: {weights}. Pass --weights or train one with train_detector.")
        try:
            metrics = evaluate(weights, options["data"], imgsz=options["imgsz"], device=options["device"])
        except TrainingError as exc:
            raise CommandError(str(exc)) from exc
        except Exception as exc:  # ultralytics reports bad weights in many ways
            raise CommandError(f"Could not evaluate {weights}: {type(exc).__name__}: {exc}") from exc
        if options["json"]:
            keys = ("map50", "map50_95", "precision", "recall", "images", "seconds_per_image")
            self.stdout.write(json.dumps({k: metrics[k] for k in keys}))
            return
        self.stdout.write(
            f"weights            {weights}\n"
            f"images             {metrics['images']}\n"
            f"precision          {metrics['precision']:.3f}\n"
            f"recall             {metrics['recall']:.3f}\n"
            f"mAP50              {metrics['map50']:.3f}\n"
            f"mAP50-95           {metrics['map50_95']:.3f}\n"
            f"seconds per image  {metrics['seconds_per_image']:.3f}  (imgsz {metrics['imgsz']}, "
            f"{options['device']})"
        )

    def _active_weights(self) -> Path:
        from django.db import DatabaseError

        from shelfai.detection.engine import DEFAULT_WEIGHTS, resolve_weights

        try:
            return resolve_weights()[0]
        except DatabaseError:  # no migrated database here: the registry cannot be read, use the default
            self.stderr.write(f"Model registry unavailable (run migrate); evaluating {DEFAULT_WEIGHTS.name}.")
            return DEFAULT_WEIGHTS
