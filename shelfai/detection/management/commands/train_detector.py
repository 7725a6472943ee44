"""``python manage.py train_detector --data DIR_OR_YAML --epochs N --imgsz S [--resume] [--out DIR] [--activate]
[--set KEY=VALUE ...]``

Trains a one-class product detector from scratch (no download: the architecture comes from a YAML), prints
progress every epoch, saves a checkpoint every epoch so ``--resume`` continues an interrupted run, then
evaluates the best checkpoint on the validation split and registers it as a DetectorModel (``--activate``
makes the workers use it from their next photo).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shelfai.vision.detector import file_sha256
from shelfai.vision.offline.training import (
    DEFAULT_MODEL_CFG,
    TrainingError,
    copy_weights,
    evaluate,
    resolve_data,
    train,
)


def register_model(path: Path, *, name: str, metrics: dict, trained_on: str, activate: bool):
    """Create (or find, by file hash) the registry row for ``path``; optionally make it the active one."""
    from django.db import transaction

    from shelfai.detection.models import DetectorModel

    path = Path(path).resolve()
    base = Path(settings.BASE_DIR).resolve()
    file_path = str(path.relative_to(base)) if path.is_relative_to(base) else str(path)
    with transaction.atomic():
        model, created = DetectorModel.objects.get_or_create(
            sha256=file_sha256(path),
            defaults={"name": name, "file_path": file_path, "metrics": metrics, "trained_on": trained_on},
        )
        if not created:
            model.metrics, model.file_path = metrics or model.metrics, file_path
            model.save(update_fields=["metrics", "file_path"])
        if activate:
            DetectorModel.objects.filter(is_active=True).exclude(pk=model.pk).update(is_active=False)
            DetectorModel.objects.filter(pk=model.pk).update(is_active=True)
            model.is_active = True
    return model


# Set by the command's own options, or fixed by shelfai.vision.offline.training: not for --set.
_RESERVED = {"data", "epochs", "imgsz", "batch", "time", "device", "resume", "project", "name", "model"}


def parse_overrides(pairs: list[str]) -> dict:
    """``["lr0=0.0015", "cos_lr=true"]`` -> ``{"lr0": 0.0015, "cos_lr": True}``, checked against the settings
    ultralytics knows, so a typo fails before hours of training and not silently."""
    from ultralytics.cfg import DEFAULT_CFG_DICT

    out: dict = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key or not raw.strip():
            raise CommandError(f"--set {pair!r}: write KEY=VALUE, e.g. --set lr0=0.0015.")
        if key in _RESERVED:
            raise CommandError(f"--set {key}: use the command's own --{key.replace('_', '-')} option instead.")
        if key not in DEFAULT_CFG_DICT:
            raise CommandError(f"--set {key}: not an ultralytics training setting (e.g. lr0, lrf, cos_lr, "
                               "optimizer, warmup_epochs, close_mosaic, mosaic, scale, fliplr).")
        raw = raw.strip()
        lowered = raw.lower()
        if lowered in {"true", "false"}:
            value: object = lowered == "true"
        else:
            try:
                value = int(raw)
            except ValueError:
                try:
                    value = float(raw)
                except ValueError:
                    value = raw
        out[key] = value
    return out


class Command(BaseCommand):
    help = "Train the product detector on a YOLO dataset (folder or data YAML), evaluate and register it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--data", required=True, type=Path, help="folder with images/{train,val} + labels/, "
                            "or an ultralytics data YAML")
        parser.add_argument("--epochs", type=int, default=100)
        parser.add_argument("--imgsz", type=int, default=640)
        parser.add_argument("--batch", type=int, default=8)
        parser.add_argument("--hours", type=float, default=None,
                            help="stop after this many hours (the schedule is fitted to it)")
        parser.add_argument("--model", default=DEFAULT_MODEL_CFG,
                            help="architecture YAML (from scratch) or a .pt to fine-tune (default %(default)s)")
        parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
        parser.add_argument("--resume", action="store_true", help="continue the run in --out from its last.pt")
        parser.add_argument("--out", type=Path, default=Path(settings.BASE_DIR) / "var" / "train",
                            help="run folder (checkpoints in OUT/train/weights)")
        parser.add_argument("--name", default="shelf-detector", help="model name in the registry")
        parser.add_argument("--activate", action="store_true", help="make the new model the active one")
        parser.add_argument("--no-register", action="store_true", help="train and evaluate only")
        parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                            help="any other ultralytics training setting, e.g. --set lr0=0.0015 --set cos_lr=true "
                                 "(repeatable; see docs/MODEL_CARD.md for the shipped recipe)")

    def handle(self, *args, **options) -> None:
        out: Path = options["out"]
        started = time.monotonic()
        overrides = parse_overrides(options["overrides"])
        try:
            data_yaml = resolve_data(options["data"], out)
            result = train(
                data_yaml, model_cfg=options["model"], epochs=options["epochs"], imgsz=options["imgsz"],
                resume=options["resume"], out_dir=out, progress=self._progress, batch=options["batch"],
                hours=options["hours"], device=options["device"], **overrides,
            )
        except TrainingError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Training finished in {(time.monotonic() - started) / 60:.1f} min; best: {result.best}")

        metrics: dict = {}
        val_dir = self._eval_dir(options["data"], data_yaml)
        if val_dir is not None:
            self.stdout.write(f"Evaluating {result.best.name} on {val_dir} ...")
            metrics = evaluate(result.best, val_dir, imgsz=options["imgsz"], device=options["device"])
            self.stdout.write(json.dumps(metrics))
        sha = file_sha256(result.best)
        final = copy_weights(result.best, out / f"{options['name']}-{sha[:8]}.pt")
        self.stdout.write(f"Weights: {final} (sha256 {sha[:12]}...)")
        # The model card says how much of what it learned from was checked by a person (the review queue's
        # box corrections, carried through export_labels and import_labels), not the detector's own guesses.
        from shelfai.detection.labels import reviewed_in

        data_path = Path(options["data"])
        reviewed = len(reviewed_in(data_path if data_path.is_dir() else data_path.parent))
        metrics["reviewed_photos"] = reviewed
        self.stdout.write(f"Reviewed photos in the training data: {reviewed}")
        if options["no_register"]:
            return
        model = register_model(final, name=options["name"], metrics=metrics,
                               trained_on=f"{options['data']} ({result.epochs_done} epochs, imgsz "
                                          f"{options['imgsz']}, {options['model']}; {reviewed} reviewed photos)",
                               activate=options["activate"])
        state = "active" if model.is_active else "registered (not active: pass --activate)"
        self.stdout.write(self.style.SUCCESS(f"DetectorModel #{model.pk} {model.name} {state}"))

    def _progress(self, event: dict) -> None:
        if event.get("event") not in ("epoch", "final"):
            return
        metrics = " ".join(f"{k}={event[k]:.3f}" for k in ("mAP50", "mAP50-95", "precision", "recall")
                           if k in event)
        if event["event"] == "final":
            self.stdout.write(f"best checkpoint (validation): {metrics}")
        else:
            self.stdout.write(f"epoch {event['epoch']}/{event['epochs']} ({event['seconds']:.0f} s) {metrics}")
        self.stdout.flush()

    @staticmethod
    def _eval_dir(data: Path, data_yaml: Path) -> Path | None:
        """The folder to evaluate on: the dataset folder when one was given (its val split is used)."""
        if Path(data).is_dir():
            return Path(data)
        root = Path(data_yaml).parent
        return root if (root / "images").is_dir() and (root / "labels").is_dir() else None
