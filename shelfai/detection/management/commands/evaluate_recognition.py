"""``python manage.py evaluate_recognition --references DIR --data DIR [--shots K] [--json]``

Both DIRs hold ``images/`` and ``labels/`` in YOLO format; class 0 is "a product not in the catalog",
each class >= 1 one catalog item. The catalog is built from the first K boxes of every class >= 1 in
``--references`` (file-name order); every labelled box of ``--data`` is then recognised from its true box
and end to end from the detector's boxes (the model the workers use, as for ``evaluate_detector``).
The measuring itself is ``shelfai.vision.offline.recognition``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from shelfai.detection.engine import DEFAULT_WEIGHTS, resolve_weights
from shelfai.vision.detector import DetectorUnavailable, ProductDetector
from shelfai.vision.offline.recognition import RecognitionDataError, RecognitionReport, evaluate_recognition
from shelfai.vision.sku import RecognitionSettings


class Command(BaseCommand):
    help = "Measure SKU recognition (true boxes and end to end through the detector) on labelled YOLO folders."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--references", required=True, type=Path,
                            help="folder with images/ and labels/ whose first K boxes per class make the catalog")
        parser.add_argument("--data", required=True, type=Path, help="folder with images/ and labels/ to recognise")
        parser.add_argument("--shots", type=int, default=5, help="reference boxes per class (default 5)")
        defaults = RecognitionSettings()
        parser.add_argument("--known-quantile", type=float, default=defaults.known_quantile,
                            help="operating point: share of a known pack's held-out views accepted "
                                 "(default %(default)s, as the pipeline runs)")
        parser.add_argument("--other-image-quantile", type=float, default=defaults.other_image_quantile,
                            help="operating point: share of a known pack's views accepted against its other "
                                 "reference images (default %(default)s, as the pipeline runs)")
        parser.add_argument("--max-ratio", type=float, default=defaults.max_ratio,
                            help="operating point: best/runner-up distance ratio above which a match is "
                                 "ambiguous (default %(default)s, as the pipeline runs)")
        parser.add_argument("--weights", type=Path, help="detector weights (default: the active model)")
        parser.add_argument("--device", default="cpu", help="detector device: cpu, cuda or cuda:N (default cpu)")
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    def handle(self, *args, **options) -> None:
        if options["shots"] < 1:
            raise CommandError("--shots must be at least 1")
        knobs = ("known_quantile", "other_image_quantile", "max_ratio")
        if not all(0 < options[k] <= 1 for k in knobs):
            raise CommandError("--known-quantile, --other-image-quantile and --max-ratio must lie in (0, 1]")
        settings = RecognitionSettings(**{k: options[k] for k in knobs})
        for name in ("references", "data"):
            if not options[name].is_dir():
                raise CommandError(f"--{name} {options[name]}: no such folder")
        weights = options["weights"] or self._active_weights()
        try:
            detector = ProductDetector.load(weights, device=options["device"])
        except DetectorUnavailable as exc:
            raise CommandError(str(exc)) from exc
        try:
            report = evaluate_recognition(
                options["references"], options["data"], shots=options["shots"], detect=detector.detect,
                settings=settings, progress=None if options["json"] else self._progress,
            )
        except RecognitionDataError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report.as_json()))
            return
        self.stdout.write(self._summary(report, weights))

    def _progress(self, done: int, total: int) -> None:
        # Long runs (hundreds of photos through the detector on CPU) say where they are, on stderr.
        if done == total or done % 10 == 0:
            self.stderr.write(f"  {done}/{total} photos")
            sys.stderr.flush()

    @staticmethod
    def _summary(report: RecognitionReport, weights: Path) -> str:
        def share(value: float | None) -> str:
            return "n/a (no such box in the data)" if value is None else f"{value:.3f}"

        shots = ", ".join(f"{code}: {n}" for code, n in sorted(report.shots_used.items(), key=lambda kv: int(kv[0])))
        return (
            f"catalog            {report.classes} classes (reference boxes {shots})\n"
            f"facings            {report.facings} ({report.known} catalog items, {report.unknown} not in the catalog)\n"
            f"known top-1        {share(report.known_top1)}  (true boxes; {report.confused} named as another item)\n"
            f"unknown recall     {share(report.unknown_recall)}  (true boxes of class 0 reported unknown)\n"
            f"end-to-end top-1   {share(report.end_to_end_top1)}  (detector {weights.name}; it found "
            f"{report.matched} of {report.known} catalog facings at IoU >= 0.5)\n"
            f"seconds per facing {report.seconds_per_facing:.5f}  (recognition only, catalog built)"
        )

    def _active_weights(self) -> Path:
        try:
            return resolve_weights()[0]
        except DatabaseError:  # no migrated database here: the registry cannot be read, use the default
            self.stderr.write(f"Model registry unavailable (run migrate); using {DEFAULT_WEIGHTS.name}.")
            return DEFAULT_WEIGHTS
