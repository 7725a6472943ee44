"""Shelf-row assignment against hand-drawn shelf rows (../shared/data/shelf_rows_dev).

Products are found by the detector (those photos have no product labels), rows by ``assign_rows``. A
labelled row counts as matched when some predicted row segment overlaps it with IoU >= 0.5, one predicted
row per label (greedy, best IoU first). Labels are "not exhaustive at photo edges", so unlabelled predicted
rows are not penalised: the figure is the share of labelled rows found. Two IoUs are printed: on the row
box, and on the row band alone (its y-extent).

    python bench/shelf_rows.py [--weights PATH] [--detections var/bench/shelf_rows_boxes.json]

Detections are cached in the JSON file (keyed by the weights' sha256), so tuning the row code is fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from shelfai.vision.detector import ProductDetector  # noqa: E402 - after the sys.path line
from shelfai.vision.rows import assign_rows  # noqa: E402
from shelfai.vision.types import Box  # noqa: E402

DEFAULT_WEIGHTS = REPO / "shelfai" / "vision" / "weights" / "shelf-detector.pt"


def shared_data() -> Path:
    return Path(os.environ.get("SHELFAI_SHARED_DATA", REPO.parent / "shared" / "data"))


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def band_iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    inter = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = max(a[3], b[3]) - min(a[1], b[1])
    return inter / union if union > 0 else 0.0


def match_count(labels: list[tuple], rows: list[tuple], metric, threshold: float = 0.5) -> int:
    pairs = sorted(((metric(lab, row), i, j) for i, lab in enumerate(labels) for j, row in enumerate(rows)),
                   reverse=True)
    used_l, used_r, matched = set(), set(), 0
    for score, i, j in pairs:
        if score < threshold:
            break
        if i in used_l or j in used_r:
            continue
        used_l.add(i)
        used_r.add(j)
        matched += 1
    return matched


def load_labels(path: Path, w: int, h: int) -> list[tuple[float, float, float, float]]:
    out = []
    for line in path.read_text().split("\n"):
        parts = line.split()
        if len(parts) == 5:
            _, xc, yc, bw, bh = map(float, parts)
            out.append(((xc - bw / 2) * w, (yc - bh / 2) * h, (xc + bw / 2) * w, (yc + bh / 2) * h))
    return out


def detections(images: list[Path], weights: Path, cache: Path, imgsz: int) -> dict[str, list[list[float]]]:
    detector = ProductDetector.load(weights)
    if imgsz:
        from dataclasses import replace

        detector.settings = replace(detector.settings, imgsz=imgsz)
    key = f"{detector.model_hash}:{detector.settings.imgsz}:{detector.settings.conf}"
    stored = json.loads(cache.read_text()) if cache.is_file() else {}
    if stored.get("key") == key:
        return stored["boxes"]
    boxes = {}
    started = time.perf_counter()
    for n, path in enumerate(images, 1):
        found = detector.detect([cv2.imread(str(path))])[0]
        boxes[path.name] = [[b.x1, b.y1, b.x2, b.y2, b.confidence] for b in found]
        if n % 20 == 0:
            print(f"  detected {n}/{len(images)} photos ({time.perf_counter() - started:.0f} s)", flush=True)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"key": key, "boxes": boxes}))
    return boxes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    parser.add_argument("--detections", type=Path, default=REPO / "var" / "bench" / "shelf_rows_boxes.json")
    parser.add_argument("--imgsz", type=int, default=0, help="detector input size (default: the detector's)")
    parser.add_argument("--no-image", action="store_true",
                        help="rows from the product boxes alone (no bay uprights looked for in the photo)")
    parser.add_argument("--verbose", action="store_true", help="print per-photo results")
    args = parser.parse_args()

    root = shared_data() / "shelf_rows_dev"
    if not (root / "images").is_dir():
        sys.exit(f"{root}/images not found: set SHELFAI_SHARED_DATA to the folder holding shelf_rows_dev/.")
    images = sorted(p for p in (root / "images").iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    boxes_by_image = detections(images, args.weights, args.detections, args.imgsz)

    total = box_hits = band_hits = predicted = 0
    started = time.perf_counter()
    for path in images:
        photo = cv2.imread(str(path))
        h, w = photo.shape[:2]
        labels = load_labels(root / "labels" / f"{path.stem}.txt", w, h)
        boxes = [Box(*b) for b in boxes_by_image[path.name]]
        _, rows = assign_rows(boxes, h, w, image=None if args.no_image else photo)
        row_boxes = [(r.x1, r.y1, r.x2, r.y2) for r in rows]
        hits, bands = match_count(labels, row_boxes, iou), match_count(labels, row_boxes, band_iou)
        total, box_hits, band_hits, predicted = total + len(labels), box_hits + hits, band_hits + bands, \
            predicted + len(rows)
        if args.verbose:
            print(f"{path.name}: {len(labels)} labelled rows, {len(rows)} predicted, {hits} matched (box), "
                  f"{bands} (band), {len(boxes)} products")
    seconds = time.perf_counter() - started
    print(f"photos: {len(images)}  labelled rows: {total}  predicted row segments: {predicted}")
    print(f"rows matched, IoU>=0.5 on the row box : {box_hits / total:.1%} ({box_hits}/{total})")
    print(f"rows matched, IoU>=0.5 on the y-band  : {band_hits / total:.1%} ({band_hits}/{total})")
    print(f"assign_rows time: {1000 * seconds / len(images):.1f} ms/photo (incl. reading the photo and labels)")


if __name__ == "__main__":
    main()
