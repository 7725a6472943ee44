"""``python manage.py evaluate_detector --data DIR [--json] [--weights PATH]``

DIR holds ``images/`` and ``labels/`` in YOLO format (class 0 = product), optionally split into ``train/``
and ``val/`` (then ``val`` is evaluated). Without ``--weights`` the model the workers use is evaluated:
DETECTOR_WEIGHTS, else the active registered model, else the shipped default.

After the mAP figures, where the detector fails, on the path production runs (``ProductDetector``: its
mirror and zoom-out passes and confidence threshold): recall and precision by facing size and the ten
worst photos (``shelfai.vision.offline.breakdown``). ``--no-breakdown`` skips that second pass.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from shelfai.vision.detector import DetectorSettings, DetectorUnavailable, ProductDetector
from shelfai.vision.offline.breakdown import SIZE_EDGES, Breakdown
from shelfai.vision.offline.recognition import RecognitionDataError, load_image, read_yolo_folder
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
        parser.add_argument("--no-breakdown", action="store_true",
                            help="skip the figures by facing size and the worst photos (a second pass)")

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
        breakdown = None if options["no_breakdown"] else self._breakdown(weights, options)
        if options["json"]:
            keys = ("map50", "map50_95", "precision", "recall", "images", "seconds_per_image")
            out = {k: metrics[k] for k in keys}
            if breakdown is not None:
                out |= {"by_size": breakdown.by_size(), "worst_photos": breakdown.worst()}
            self.stdout.write(json.dumps(out))
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
        if breakdown is not None:
            self._print_breakdown(breakdown)

    def _breakdown(self, weights: Path, options) -> Breakdown:
        data = Path(options["data"])
        folder = data
        if (data / "images" / "val").is_dir():  # the split evaluate() scored
            folder = _split_view(data, "val")
        try:
            photos = read_yolo_folder(folder)
            detector = ProductDetector.load(weights, device=options["device"],
                                            settings=DetectorSettings(imgsz=options["imgsz"]))
        except (RecognitionDataError, DetectorUnavailable) as exc:
            raise CommandError(str(exc)) from exc
        result = Breakdown(imgsz=detector.settings.imgsz)
        for n, photo in enumerate(photos, start=1):
            image = load_image(photo.image_path)
            h, w = image.shape[:2]
            boxes = detector.detect([image])[0]
            pred = np.array([[b.x1, b.y1, b.x2, b.y2] for b in boxes], float).reshape(-1, 4)
            truth = np.array([[b.x1, b.y1, b.x2, b.y2] for b in photo.pixel_boxes(w, h)], float).reshape(-1, 4)
            result.add(photo.image_path.name, pred, truth, w, h)
            if not options["json"] and (n % 10 == 0 or n == len(photos)):
                self.stderr.write(f"  where it fails: {n}/{len(photos)} photos")
        return result

    def _print_breakdown(self, breakdown: Breakdown) -> None:
        small, medium = SIZE_EDGES
        self.stdout.write(f"\nWhere it fails (as deployed: ProductDetector, IoU >= 0.5; facing side at the "
                          f"{breakdown.imgsz} px input: small < {small:.0f}, medium < {medium:.0f}, large):")
        self.stdout.write(f"  {'size':<8}{'facings':>9}{'recall':>9}{'boxes':>8}{'precision':>11}")
        for size, row in breakdown.by_size().items():
            recall = "—" if row["recall"] is None else f"{row['recall']:.3f}"
            precision = "—" if row["precision"] is None else f"{row['precision']:.3f}"
            self.stdout.write(f"  {size:<8}{row['truth']:>9}{recall:>9}{row['predicted']:>8}{precision:>11}")
        self.stdout.write("  worst photos (lowest F1):")
        for row in breakdown.worst():
            self.stdout.write(f"    {row['photo']}: {row['truth']} facings, {row['predicted']} boxes, "
                              f"recall {row['recall']:.3f}, precision {row['precision']:.3f}")

    def _active_weights(self) -> Path:
        from django.db import DatabaseError

        from shelfai.detection.engine import DEFAULT_WEIGHTS, resolve_weights

        try:
            return resolve_weights()[0]
        except DatabaseError:  # no migrated database here: the registry cannot be read, use the default
            self.stderr.write(f"Model registry unavailable (run migrate); evaluating {DEFAULT_WEIGHTS.name}.")
            return DEFAULT_WEIGHTS


_views: list[tempfile.TemporaryDirectory] = []


def _split_view(data: Path, split: str) -> Path:
    """``data/images/<split>`` and ``data/labels/<split>`` seen as one flat YOLO folder (symlinks)."""
    holder = tempfile.TemporaryDirectory(prefix="shelfai-eval-")
    _views.append(holder)  # removed when the process ends
    view = Path(holder.name)
    for kind in ("images", "labels"):
        (view / kind).symlink_to((data / kind / split).resolve(), target_is_directory=True)
    return view
