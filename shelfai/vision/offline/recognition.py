"""How well SKU recognition names real facings: from the true boxes, and end to end from the detector's.

Two YOLO folders (``images/`` + ``labels/``, ``cls xc yc w h`` normalised): class 0 is "a product not in
the catalog", each class >= 1 one catalog item. The catalog is built from crops of the first ``shots``
boxes of every class >= 1 in the references folder (file-name order, then line order), exactly as a
customer would upload a few pack shots cut from earlier photos. Every labelled box of the data folder is
then recognised twice:

* from its true box: ``known_top1`` (class >= 1 boxes named with their class) and ``unknown_recall``
  (class-0 boxes reported unknown) measure recognition alone;
* end to end: the detector runs on the photo, each true box is matched to one detector box at IoU >= 0.5
  (greedy, best overlap first) and that box is recognised; an unmatched true box counts as not named.
  ``end_to_end_top1`` is what a user of the whole pipeline sees on known packs.

Pure: no Django. The detector comes in as a callable, so the Django command passes the deployed one and
tests or benchmarks may pass their own (or none, which skips the end-to-end figure).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from shelfai.vision.sku import RecognitionSettings, SkuCatalog
from shelfai.vision.types import UNKNOWN_SKU, Box

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
MATCH_IOU = 0.5

Detect = Callable[[list[np.ndarray]], list[list[Box]]]


class RecognitionDataError(ValueError):
    """The folders cannot be evaluated. The message names the folder, file or line at fault."""


@dataclass(frozen=True, slots=True)
class LabelledPhoto:
    image_path: Path
    label_path: Path | None  # None: an image without a label file holds no labelled product (YOLO's rule)
    classes: tuple[int, ...]
    boxes: tuple[tuple[float, float, float, float], ...]  # normalised centre x, centre y, width, height

    def pixel_boxes(self, width: int, height: int) -> list[Box]:
        return [
            Box((xc - w / 2) * width, (yc - h / 2) * height, (xc + w / 2) * width, (yc + h / 2) * height)
            for xc, yc, w, h in self.boxes
        ]


@dataclass(frozen=True, slots=True)
class RecognitionReport:
    known_top1: float | None  # None when the data holds no box of that kind
    unknown_recall: float | None
    end_to_end_top1: float | None  # also None when no detector was given
    facings: int
    classes: int
    seconds_per_facing: float  # recognition time per facing on the true boxes (catalog built beforehand)
    known: int  # class >= 1 boxes in the data
    unknown: int  # class-0 boxes in the data
    confused: int  # class >= 1 boxes named as another catalog item (true boxes)
    matched: int  # class >= 1 boxes the detector found at IoU >= 0.5
    shots_used: dict[str, int]  # reference boxes per catalog item (fewer than asked when a class has few)

    def as_json(self) -> dict[str, float | int | None]:
        return {
            "known_top1": self.known_top1,
            "unknown_recall": self.unknown_recall,
            "end_to_end_top1": self.end_to_end_top1,
            "facings": self.facings,
            "classes": self.classes,
            "seconds_per_facing": self.seconds_per_facing,
        }


# ------------------------------------------------------------------------------------------- reading
def read_yolo_folder(folder: Path) -> list[LabelledPhoto]:
    """Every image of ``folder/images`` with its boxes from ``folder/labels``, in file-name order."""
    folder = Path(folder)
    images_dir, labels_dir = folder / "images", folder / "labels"
    if not folder.is_dir():
        raise RecognitionDataError(f"{folder}: no such folder")
    for sub in (images_dir, labels_dir):
        if not sub.is_dir():
            raise RecognitionDataError(f"{sub}: missing; the folder must hold images/ and labels/ (YOLO format)")
    images = {p.stem: p for p in sorted(images_dir.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES}
    labels = {p.stem: p for p in sorted(labels_dir.glob("*.txt"))}
    if not labels:
        raise RecognitionDataError(f"{labels_dir}: no label files (*.txt)")
    orphans = sorted(set(labels) - set(images))
    if orphans:
        raise RecognitionDataError(f"{labels[orphans[0]]}: no image of that name in {images_dir}")
    photos = []
    for stem in sorted(images):
        label_path = labels.get(stem)
        classes, boxes = _read_label_file(label_path) if label_path else ((), ())
        photos.append(LabelledPhoto(images[stem], label_path, classes, boxes))
    if not any(p.classes for p in photos):
        raise RecognitionDataError(f"{labels_dir}: the label files hold no boxes")
    return photos


def _read_label_file(path: Path) -> tuple[tuple[int, ...], tuple[tuple[float, float, float, float], ...]]:
    classes, boxes = [], []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RecognitionDataError(f"{path}: cannot be read ({exc})") from exc
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        where = f"{path}, line {number}: {line.strip()!r}"
        if len(fields) != 5:
            raise RecognitionDataError(f"{where}: expected 5 fields 'cls xc yc w h', found {len(fields)}")
        try:
            cls = int(fields[0])
            xc, yc, w, h = (float(f) for f in fields[1:])
        except ValueError as exc:
            raise RecognitionDataError(f"{where}: the class must be an integer and the box four numbers") from exc
        if cls < 0:
            raise RecognitionDataError(f"{where}: the class must be 0 (not in the catalog) or a catalog class >= 1")
        if not all(math.isfinite(v) for v in (xc, yc, w, h)) or not (0 < w <= 1 and 0 < h <= 1):
            raise RecognitionDataError(f"{where}: width and height must be in (0, 1], normalised to the image")
        if not (0 <= xc <= 1 and 0 <= yc <= 1):
            raise RecognitionDataError(f"{where}: the centre must lie in [0, 1], normalised to the image")
        classes.append(cls)
        boxes.append((xc, yc, w, h))
    return tuple(classes), tuple(boxes)


def load_image(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise RecognitionDataError(f"{path}: not a readable image")
    return image


def sku_code(cls: int) -> str:
    return str(cls)


# ------------------------------------------------------------------------------------------ catalog
def reference_crops(photos: list[LabelledPhoto], shots: int) -> dict[str, list[np.ndarray]]:
    """Crops of the first ``shots`` boxes of every class >= 1, in file-name order, keyed by SKU code."""
    if shots < 1:
        raise RecognitionDataError("--shots must be at least 1")
    wanted: dict[int, list[tuple[LabelledPhoto, int]]] = {}
    for photo in photos:
        for index, cls in enumerate(photo.classes):
            if cls >= 1 and len(wanted.setdefault(cls, [])) < shots:
                wanted[cls].append((photo, index))
    crops: dict[str, list[np.ndarray]] = {}
    for cls in sorted(wanted):
        for photo, index in wanted[cls]:
            image = load_image(photo.image_path)
            box = photo.pixel_boxes(image.shape[1], image.shape[0])[index]
            x1, y1 = max(0, int(round(box.x1))), max(0, int(round(box.y1)))
            x2, y2 = min(image.shape[1], int(round(box.x2))), min(image.shape[0], int(round(box.y2)))
            if x2 - x1 < 4 or y2 - y1 < 4:
                continue  # a sliver at the photo edge is no pack shot
            crops.setdefault(sku_code(cls), []).append(image[y1:y2, x1:x2].copy())
    return crops


def build_catalog(
    photos: list[LabelledPhoto], shots: int, settings: RecognitionSettings | None = None
) -> tuple[SkuCatalog, dict[str, int]]:
    crops = reference_crops(photos, shots)
    if not crops:
        raise RecognitionDataError("the references hold no box of a class >= 1 (class 0 is 'not in the catalog')")
    return SkuCatalog.build(crops, settings, trim=False), {code: len(images) for code, images in crops.items()}


# ---------------------------------------------------------------------------------------- measuring
def iou_matrix(a: list[Box], b: list[Box]) -> np.ndarray:
    if not a or not b:
        return np.zeros((len(a), len(b)))
    pa = np.array([(x.x1, x.y1, x.x2, x.y2) for x in a], float)
    pb = np.array([(x.x1, x.y1, x.x2, x.y2) for x in b], float)
    iw = np.clip(np.minimum(pa[:, None, 2], pb[None, :, 2]) - np.maximum(pa[:, None, 0], pb[None, :, 0]), 0, None)
    ih = np.clip(np.minimum(pa[:, None, 3], pb[None, :, 3]) - np.maximum(pa[:, None, 1], pb[None, :, 1]), 0, None)
    inter = iw * ih
    area_a = (pa[:, 2] - pa[:, 0]) * (pa[:, 3] - pa[:, 1])
    area_b = (pb[:, 2] - pb[:, 0]) * (pb[:, 3] - pb[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def match_boxes(truth: list[Box], detected: list[Box], min_iou: float = MATCH_IOU) -> list[int | None]:
    """For every true box, the index of its detector box (one-to-one, best overlap first), or None."""
    ious = iou_matrix(truth, detected)
    matched: list[int | None] = [None] * len(truth)
    if ious.size == 0:
        return matched
    pairs = np.argwhere(ious >= min_iou)
    order = np.argsort(-ious[pairs[:, 0], pairs[:, 1]], kind="stable")
    used = set()
    for t, d in pairs[order]:
        if matched[t] is None and d not in used:
            matched[t] = int(d)
            used.add(int(d))
    return matched


def evaluate_recognition(
    references: Path | list[LabelledPhoto],
    data: Path | list[LabelledPhoto],
    *,
    shots: int = 5,
    detect: Detect | None = None,
    settings: RecognitionSettings | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RecognitionReport:
    """Build the catalog from ``references``, then recognise every labelled box of ``data``."""
    ref_photos = references if isinstance(references, list) else read_yolo_folder(references)
    data_photos = data if isinstance(data, list) else read_yolo_folder(data)
    catalog, shots_used = build_catalog(ref_photos, shots, settings)
    missing = sorted({c for p in data_photos for c in p.classes if c >= 1 and sku_code(c) not in shots_used})
    if missing:
        where = next(p.label_path for p in data_photos if missing[0] in p.classes)
        raise RecognitionDataError(
            f"class {missing[0]} (in {where}) has no reference box in the references folder; "
            f"every class >= 1 of the data needs at least one (classes without: {missing})"
        )
    tally = dict(known=0, unknown=0, named=0, unknown_ok=0, confused=0, matched=0, e2e_named=0)
    seconds = 0.0
    for done, photo in enumerate(data_photos, start=1):
        if photo.classes:
            image = load_image(photo.image_path)
            truth = photo.pixel_boxes(image.shape[1], image.shape[0])
            started = time.perf_counter()
            answers = [sku for sku, _ in catalog.identify(image, truth)]
            seconds += time.perf_counter() - started
            e2e = _end_to_end(catalog, image, truth, detect) if detect else [None] * len(truth)
            _count(tally, photo.classes, answers, e2e)
        if progress:
            progress(done, len(data_photos))
    facings = tally["known"] + tally["unknown"]
    return RecognitionReport(
        known_top1=_share(tally["named"], tally["known"]),
        unknown_recall=_share(tally["unknown_ok"], tally["unknown"]),
        end_to_end_top1=_share(tally["e2e_named"], tally["known"]) if detect else None,
        facings=facings,
        classes=len(catalog.codes),
        seconds_per_facing=seconds / max(1, facings),
        known=tally["known"],
        unknown=tally["unknown"],
        confused=tally["confused"],
        matched=tally["matched"],
        shots_used=shots_used,
    )


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _end_to_end(catalog: SkuCatalog, image: np.ndarray, truth: list[Box], detect: Detect) -> list[str | None]:
    """The name given to each true box's matched detector box (None when the detector missed it)."""
    detected = detect([image])[0]
    matches = match_boxes(truth, detected)
    used = sorted({m for m in matches if m is not None})
    names = dict(zip(used, (sku for sku, _ in catalog.identify(image, [detected[i] for i in used])), strict=True))
    return [names[m] if m is not None else None for m in matches]


def _count(tally: dict[str, int], classes: Iterable[int], answers: list[str], e2e: list[str | None]) -> None:
    for cls, answer, e2e_answer in zip(classes, answers, e2e, strict=True):
        if cls == 0:
            tally["unknown"] += 1
            tally["unknown_ok"] += answer == UNKNOWN_SKU
            continue
        code = sku_code(cls)
        tally["known"] += 1
        tally["named"] += answer == code
        tally["confused"] += answer not in (code, UNKNOWN_SKU)
        tally["matched"] += e2e_answer is not None
        tally["e2e_named"] += e2e_answer == code
