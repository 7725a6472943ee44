"""``python manage.py average_detector --out PATH CHECKPOINT CHECKPOINT [...] [--data DIR]``

Averages the weights of two or more checkpoints of one lineage (a "model soup"): a run's last epochs
(``var/train/train/weights/epoch*.pt``), or a fine-tuned model and the one it started from. With
``--data`` each input and the average are evaluated on its validation photos, so the one to keep is a
measured choice. The shipped weights were made this way (docs/MODEL_CARD.md).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shelfai.vision.detector import DetectorSettings
from shelfai.vision.offline.training import TrainingError, average_weights, evaluate


class Command(BaseCommand):
    help = "Average the weights of detector checkpoints of one training lineage, and optionally evaluate them."

    def add_arguments(self, parser) -> None:
        parser.add_argument("checkpoints", nargs="+", type=Path, help="two or more .pt checkpoints")
        parser.add_argument("--out", required=True, type=Path, help="where to write the averaged .pt")
        parser.add_argument("--data", type=Path, help="YOLO folder to evaluate the inputs and the average on")
        parser.add_argument("--imgsz", type=int, default=DetectorSettings().imgsz,
                            help="evaluation size, pixels (default: the deployed %(default)s)")

    def handle(self, *args, **options) -> None:
        missing = [str(p) for p in options["checkpoints"] if not p.is_file()]
        if missing:
            raise CommandError(f"Checkpoint not found: {', '.join(missing)}")
        try:
            out = average_weights(options["checkpoints"], options["out"])
            self.stdout.write(f"Averaged {len(options['checkpoints'])} checkpoints into {out}")
            if options["data"] is None:
                return
            for weights in [*options["checkpoints"], out]:
                self.stdout.write(f"Evaluating {weights} at {options['imgsz']} px ...")
                self.stdout.flush()
                metrics = evaluate(weights, options["data"], imgsz=options["imgsz"])
                self.stdout.write(json.dumps({"weights": str(weights), **metrics}))
        except TrainingError as exc:
            raise CommandError(str(exc)) from exc
