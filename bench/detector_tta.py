"""Does test-time augmentation pay for itself? mAP of the deployed detector with and without it.

    python bench/detector_tta.py [--weights PATH]

On the real validation photos (../shared/data/sku110k_dev, val split), through the ``ProductDetector``
backend (ONNX Runtime when the .onnx twin is there) at confidence 0.001, scored like ultralytics' validator
(COCO 101-point AP over IoU 0.50:0.95). Variants: the plain pass at the deployed size; that plus its mirror
image, merged by NMS or by weighted box fusion (WBF: the boxes that several passes agree on are averaged,
which is what helps mAP50-95); the deployed size plus a second size (``--second``) by WBF; all three by
WBF. (The detector now runs the mirror pass merged by merge-NMS: ``bench/detector_accuracy.py`` scores
that.) Each extra pass costs one more forward pass (~200-300 ms on a 12 MP photo on 2 cores), so a variant
earns its place only by a clear gain.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.detector_accuracy import DEFAULT_WEIGHTS, _truth, shared_data  # noqa: E402
from shelfai.vision.detector import DetectorSettings, ProductDetector, letterbox, network_input  # noqa: E402
from shelfai.vision.offline.breakdown import iou_matrix  # noqa: E402
from shelfai.vision.offline.training import list_images  # noqa: E402


def true_positives(validator, pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """(predictions x 10) hits at IoU 0.50:0.95, matched exactly as ultralytics' validator matches them."""
    import torch
    from ultralytics.utils.metrics import box_iou

    if len(pred) == 0 or len(truth) == 0:
        return np.zeros((len(pred), len(validator.iouv)), bool)
    iou = box_iou(torch.as_tensor(truth, dtype=torch.float32), torch.as_tensor(pred, dtype=torch.float32))
    return validator.match_predictions(torch.zeros(len(pred)), torch.zeros(len(truth)), iou).numpy()


def raw_pass(detector: ProductDetector, image: np.ndarray, imgsz: int, mirror: bool = False):
    """The network's raw output (1 x 5 x anchors: cx, cy, w, h, score) in the photo's pixels."""
    import torch

    canvas, scale, _ = letterbox(image, imgsz)
    if mirror:
        canvas = canvas[:, ::-1]
    batch = np.ascontiguousarray(network_input(canvas)[None])
    raw = torch.as_tensor(np.asarray(detector._backend(batch))).float().clone()  # noqa: SLF001 - forward only
    if mirror:
        raw[:, 0] = canvas.shape[1] - raw[:, 0]
    raw[:, :4] /= scale
    return raw


def nms(raw, iou: float) -> np.ndarray:
    from ultralytics.utils.nms import non_max_suppression

    kept = non_max_suppression(raw, conf_thres=0.001, iou_thres=iou, max_det=1000, max_nms=30000,
                               max_time_img=10.0)[0]
    return kept.numpy()[:, :5]


def weighted_box_fusion(passes: list[np.ndarray], iou: float = 0.55) -> np.ndarray:
    """Boxes of several passes clustered greedily (highest score first) and averaged, score-weighted; a
    cluster's score is its mean score times the share of passes that found it."""
    boxes = np.concatenate(passes)
    boxes = boxes[np.argsort(-boxes[:, 4])]
    fused = np.zeros((0, 4))
    sums: list[list] = []
    for box in boxes:
        if len(fused):
            overlaps = iou_matrix(box[None, :4], fused)[0]
            j = int(overlaps.argmax())
            if overlaps[j] > iou:
                sums[j][0] = sums[j][0] + box[:4] * box[4]
                sums[j][1] += box[4]
                sums[j][2] += 1
                fused[j] = sums[j][0] / sums[j][1]
                continue
        sums.append([box[:4] * box[4], box[4], 1])
        fused = np.vstack([fused, box[:4]])
    scores = np.array([s[1] / s[2] * min(s[2], len(passes)) / len(passes) for s in sums])
    out = np.column_stack([fused, scores]) if len(sums) else np.zeros((0, 5))
    return out[np.argsort(-out[:, 4])][:1000]


def main() -> None:
    import torch
    from ultralytics.models.yolo.detect import DetectionValidator
    from ultralytics.utils.metrics import ap_per_class

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    parser.add_argument("--imgsz", type=int, default=DetectorSettings().imgsz, help="the plain pass's size")
    parser.add_argument("--second", type=int, default=1280, help="the second size merged with it")
    args = parser.parse_args()
    size, second = args.imgsz, args.second
    data = shared_data() / "sku110k_dev"
    if not (data / "images" / "val").is_dir():
        sys.exit(f"{data}/images/val not found: set SHELFAI_SHARED_DATA to the folder holding sku110k_dev/.")
    settings = replace(DetectorSettings(), conf=0.001)
    detector = ProductDetector.load(args.weights, device="cpu", settings=settings)
    iou = settings.iou
    print(f"weights {args.weights} ({detector.backend_name}), {data} val split")
    validator = DetectionValidator(save_dir=REPO / "var" / "bench")  # used for its box matching only
    scores: dict[str, list] = {}
    images = list_images(data / "images" / "val")
    for n, path in enumerate(images, 1):
        image = cv2.imread(str(path))
        h, w = image.shape[:2]
        truth = _truth(data / "labels" / "val" / f"{path.stem}.txt", w, h)
        plain, mirrored, large = (raw_pass(detector, image, size), raw_pass(detector, image, size, mirror=True),
                                  raw_pass(detector, image, second))
        p_plain, p_mirror, p_second = nms(plain, iou), nms(mirrored, iou), nms(large, iou)
        variants = {
            f"{size} px, one pass": p_plain,
            f"{size} + mirror, NMS": nms(torch.cat([plain, mirrored], 2), iou),
            f"{size} + mirror, WBF": weighted_box_fusion([p_plain, p_mirror]),
            f"{size} + {second}, WBF": weighted_box_fusion([p_plain, p_second]),
            f"{size} + mirror + {second}, WBF": weighted_box_fusion([p_plain, p_mirror, p_second]),
        }
        for name, boxes in variants.items():
            hits = true_positives(validator, boxes[:, :4], truth)
            scores.setdefault(name, []).append((hits, boxes[:, 4], len(truth)))
        print(f"\r{n}/{len(images)} photos", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    for name, rows in scores.items():
        tp = np.concatenate([r[0] for r in rows])
        conf = np.concatenate([r[1] for r in rows])
        n_true = sum(r[2] for r in rows)
        ap = ap_per_class(tp, conf, np.zeros(len(conf)), np.zeros(n_true))[5]
        print(f"{name:28s} mAP50 {ap[:, 0].mean():.3f}  mAP50-95 {ap.mean():.3f}")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"{time.perf_counter() - started:.0f} s")
