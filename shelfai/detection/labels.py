"""The annotation round trip: photos with their current boxes out in YOLO format, corrected labels back in.

YOLO format is what CVAT ("YOLO 1.1"), Label Studio and ultralytics all read and write: one
``images/<name>.jpg`` and one ``labels/<name>.txt`` per photo, a line ``0 xc yc w h`` (normalised)
per product. Images are written with EXIF orientation applied, so the boxes match what annotators see.
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import cv2

from shelfai.detection.models import Detection, DetectionRun
from shelfai.vision.offline.training import list_images, write_data_yaml
from shelfai.vision.pipeline import load_oriented_image


@dataclass
class LabelProblems:
    errors: list[str] = field(default_factory=list)

    def add(self, where: str, why: str) -> None:
        self.errors.append(f"{where}: {why}")


MANIFEST = "export.json"     # what an export holds: which photos a reviewer checked
SOURCES = "sources.json"     # the same facts carried into a training set by import_labels
UNKNOWN = "unknown"


def export_labels(*, out: Path, runs, progress=None) -> int:
    """Write every run's photo and boxes under ``out``; returns the number of photos written.

    Beside the detector's one-class labels, ``skus/<name>.txt`` gives each box's SKU code (or
    ``unknown``) on the same line number, so a recogniser can be trained from the same export, and
    ``export.json`` says which photos' boxes a reviewer corrected (ground truth, not the detector's
    own guesses): ``train_detector`` reports how many of those a model learned from.
    """
    from django.conf import settings

    images, labels, skus = out / "images", out / "labels", out / "skus"
    for folder in (images, labels, skus):
        folder.mkdir(parents=True, exist_ok=True)
    count, reviewed, named = 0, [], 0
    for run in runs.select_related("photo"):
        photo = run.photo
        with photo.original.open("rb") as fh:
            image = load_oriented_image(fh.read(), max_pixels=settings.PHOTO_MAX_PIXELS)
        h, w = image.shape[:2]
        cv2.imwrite(str(images / f"{photo.public_id}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 95])
        detections = list(Detection.objects.filter(run=run).select_related("product").order_by("pk"))
        lines = [
            f"0 {(d.x1 + d.x2) / 2 / w:.6f} {(d.y1 + d.y2) / 2 / h:.6f} {(d.x2 - d.x1) / w:.6f} {(d.y2 - d.y1) / h:.6f}"
            for d in detections
        ]
        codes = [d.product.sku if d.product_id else UNKNOWN for d in detections]
        named += sum(code != UNKNOWN for code in codes)
        (labels / f"{photo.public_id}.txt").write_text("\n".join(lines) + ("\n" if lines else ""))
        (skus / f"{photo.public_id}.txt").write_text("\n".join(codes) + ("\n" if codes else ""))
        if run.reviewed_by_id:
            reviewed.append(str(photo.public_id))
        count += 1
        if progress:
            progress(count)
    (out / "data.yaml").write_text("path: .\ntrain: images\nval: images\nnames:\n  0: product\n")
    (out / "classes.txt").write_text("product\n")
    (out / MANIFEST).write_text(json.dumps({"photos": count, "reviewed_photos": len(reviewed),
                                            "reviewed": reviewed, "boxes_with_sku": named}, indent=1))
    return count


def reviewed_in(data: Path) -> set[str]:
    """The photo names a reviewer corrected, from an export's (or a training set's) manifest."""
    for name in (MANIFEST, SOURCES):
        path = Path(data) / name
        if path.is_file():
            try:
                return set(json.loads(path.read_text()).get("reviewed", []))
            except (ValueError, AttributeError):
                return set()
    return set()


def check_labels(data: Path) -> tuple[list[tuple[Path, Path]], LabelProblems]:
    """Pair images with label files and validate every line; nothing is written here."""
    problems = LabelProblems()
    images_dir, labels_dir = data / "images", data / "labels"
    if not images_dir.is_dir() or not labels_dir.is_dir():
        problems.add(str(data), "needs an images/ and a labels/ folder (YOLO format)")
        return [], problems
    images = {p.stem: p for p in list_images(images_dir)}
    pairs = []
    for label in sorted(labels_dir.glob("*.txt")):
        if label.stem not in images:
            problems.add(label.name, "no image with the same name in images/")
            continue
        for number, line in enumerate(label.read_text(errors="replace").splitlines(), start=1):
            if line.strip():
                _check_line(line, f"{label.name} line {number}", problems)
        pairs.append((images[label.stem], label))
    if not pairs and not problems.errors:
        problems.add(str(labels_dir), "holds no label files")
    return pairs, problems


def _check_line(line: str, where: str, problems: LabelProblems) -> None:
    parts = line.split()
    if len(parts) != 5:
        problems.add(where, f"expected 'class xc yc w h', got {len(parts)} values")
        return
    if parts[0] != "0":
        problems.add(where, f"class {parts[0]!r}: the detector has one class, 0 = product")
        return
    try:
        xc, yc, w, h = (float(v) for v in parts[1:])
    except ValueError:
        problems.add(where, "coordinates must be numbers")
        return
    if not (0 <= xc <= 1 and 0 <= yc <= 1 and 0 < w <= 1 and 0 < h <= 1):
        problems.add(where, "coordinates must be normalised to 0..1 with a positive width and height")


def import_labels(*, data: Path, out: Path, val_fraction: float = 0.15, seed: int = 0) -> dict[str, int]:
    """Validate corrected labels and lay them out as a training set (train/val split) for train_detector.

    All or nothing: with any bad line, nothing is written and the problems are raised.
    """
    pairs, problems = check_labels(data)
    if problems.errors:
        raise ValueError("\n".join(problems.errors))
    if out.exists():
        raise ValueError(f"{out} already exists: choose a new --out, or delete it first.")
    random.Random(seed).shuffle(pairs)
    n_val = max(1, round(len(pairs) * val_fraction)) if len(pairs) > 1 else 0
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    for index, (image, label) in enumerate(pairs):
        split = "val" if index < n_val else "train"
        for kind, src in (("images", image), ("labels", label)):
            target = staging / kind / split
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target / src.name)
    reviewed = reviewed_in(data) & {image.stem for image, _ in pairs}
    (staging / SOURCES).write_text(json.dumps({"photos": len(pairs), "reviewed_photos": len(reviewed),
                                               "reviewed": sorted(reviewed)}, indent=1))
    staging.rename(out)
    write_data_yaml(out)  # val falls back to train when there was a single photo
    return {"train": len(pairs) - n_val, "val": n_val, "reviewed": len(reviewed)}


def current_runs(*, store: str | None = None, since=None, limit: int | None = None):
    runs = DetectionRun.objects.filter(is_current=True, quality_ok=True).order_by("-created_at")
    if store:
        runs = runs.filter(photo__visit__store__code=store)
    if since:
        runs = runs.filter(created_at__date__gte=since)
    return runs[:limit] if limit else runs
