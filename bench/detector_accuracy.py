"""Detector accuracy on the real validation photos (../shared/data/sku110k_dev, val split).

    python bench/detector_accuracy.py [--weights PATH] [--imgsz 640 800] [--deployed]

For each inference size: COCO-style mAP50 / mAP50-95 with precision and recall (ultralytics' validator,
conf 0.001, the standard way to report mAP), with and without the detector's mirror pass and merge-NMS.
With ``--deployed``, also what production sees: the ``ProductDetector`` path (its letterbox, mirror pass,
NMS settings and confidence threshold) on each backend, scored by greedy IoU>=0.5 matching, with its
seconds per photo — this is where PyTorch and ONNX Runtime are compared.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from shelfai.vision.detector import DetectorSettings, ProductDetector  # noqa: E402
from shelfai.vision.offline.breakdown import greedy_match  # noqa: E402
from shelfai.vision.offline.training import evaluate, list_images  # noqa: E402

DEFAULT_WEIGHTS = REPO / "shelfai" / "vision" / "weights" / "shelf-detector.pt"


def shared_data() -> Path:
    return Path(os.environ.get("SHELFAI_SHARED_DATA", REPO.parent / "shared" / "data"))


def _truth(label_file: Path, w: int, h: int) -> np.ndarray:
    rows = [list(map(float, line.split())) for line in label_file.read_text().splitlines() if line.strip()]
    a = np.array(rows).reshape(-1, 5)[:, 1:] * [w, h, w, h]
    return np.stack(
        [a[:, 0] - a[:, 2] / 2, a[:, 1] - a[:, 3] / 2, a[:, 0] + a[:, 2] / 2, a[:, 1] + a[:, 3] / 2], 1
    )


def greedy_matches(pred: np.ndarray, truth: np.ndarray, threshold: float = 0.5) -> int:
    """Predictions (already sorted by confidence) matched one-to-one to truth boxes at IoU >= threshold."""
    return int((greedy_match(pred.reshape(-1, 4), truth.reshape(-1, 4), threshold) >= 0).sum())


def deployed(detector: ProductDetector, val_dir: Path) -> dict[str, float]:
    images = list_images(val_dir / "images" / "val")
    tp = n_pred = n_true = 0
    seconds = []
    for path in images:
        image = cv2.imread(str(path))
        h, w = image.shape[:2]
        started = time.perf_counter()
        boxes = detector.detect([image])[0]
        seconds.append(time.perf_counter() - started)
        pred = np.array([[b.x1, b.y1, b.x2, b.y2] for b in boxes]).reshape(-1, 4)
        truth = _truth(val_dir / "labels" / "val" / f"{path.stem}.txt", w, h)
        tp += greedy_matches(pred, truth)
        n_pred, n_true = n_pred + len(pred), n_true + len(truth)
    return {
        "precision": tp / max(n_pred, 1),
        "recall": tp / max(n_true, 1),
        "boxes": n_pred / len(images),
        "p50_s": float(np.median(seconds)),
        "mean_s": float(np.mean(seconds)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    parser.add_argument("--imgsz", type=int, nargs="+", default=[DetectorSettings().imgsz])
    parser.add_argument("--deployed", action="store_true", help="also score the ProductDetector path")
    parser.add_argument("--conf", type=float, default=DetectorSettings().conf)
    parser.add_argument("--iou", type=float, default=DetectorSettings().iou)
    parser.add_argument("--merge-iou", type=float, nargs="+", default=[0.0, DetectorSettings().merge_iou],
                        help="merge-NMS overlaps to score (0 = plain NMS); the deployed path uses the last")
    parser.add_argument("--flip", choices=["on", "off"], nargs="+",
                        default=["off", "on" if DetectorSettings().flip else "off"],
                        help="score without and/or with the mirror pass (the deployed path uses the last)")
    args = parser.parse_args()
    args.flip = [v == "on" for v in args.flip]

    data = shared_data() / "sku110k_dev"
    if not (data / "images" / "val").is_dir():
        sys.exit(f"{data}/images/val not found: set SHELFAI_SHARED_DATA to the folder holding sku110k_dev/.")
    print(f"weights {args.weights}  data {data} (val split)")
    for imgsz in args.imgsz:
        for flip, merge_iou in ((flip, m) for flip in args.flip for m in args.merge_iou):
            m = evaluate(args.weights, data, imgsz=imgsz, iou=args.iou, merge_iou=merge_iou, flip=flip,
                         work_dir=REPO / "var")
            nms = ("mirror + " if flip else "") + (f"merge-NMS {merge_iou}" if merge_iou else "plain NMS")
            print(
                f"imgsz {imgsz:5d}  {nms:23s} mAP50 {m['map50']:.3f}  mAP50-95 {m['map50_95']:.3f}  "
                f"P {m['precision']:.3f}  R {m['recall']:.3f}  images {m['images']}  "
                f"{m['seconds_per_image'] * 1000:.0f} ms/image (ultralytics val, PyTorch CPU)"
            )
        if not args.deployed:
            continue
        for prefer_onnx in (False, True):
            settings = replace(DetectorSettings(), imgsz=imgsz, conf=args.conf, iou=args.iou,
                               merge_iou=args.merge_iou[-1], flip=args.flip[-1])
            detector = ProductDetector.load(
                args.weights, device="cpu", settings=settings, prefer_onnx=prefer_onnx
            )
            if prefer_onnx and detector.backend_name != "onnxruntime":
                print("             (no matching .onnx next to the weights: ONNX Runtime not measured)")
                continue
            d = deployed(detector, data)
            print(
                f"             deployed {detector.backend_name:11s} conf {args.conf} iou {args.iou}: "
                f"P {d['precision']:.3f}  R {d['recall']:.3f}  {d['boxes']:.0f} boxes/photo  "
                f"detect p50 {d['p50_s'] * 1000:.0f} ms"
            )


if __name__ == "__main__":
    main()
