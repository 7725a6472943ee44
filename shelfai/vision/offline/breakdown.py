"""Where a detector fails: recall and precision by facing size and by photo, on the deployed path.

mAP from ultralytics' validator says how good a model is; it does not say what to fix. This scores what
production sees (``ProductDetector.detect``: its letterbox, mirror pass, zoom-out pass, NMS and confidence
threshold) by greedy one-to-one matching at IoU >= 0.5, and splits the result:

* **by size**: a facing's side at the detector's input scale, ``sqrt(w * h) * imgsz / max(W, H)`` px
  (small < 16, medium 16–40, large >= 40). A detector that misses small facings wants tiling or a larger
  input; one that misses large ones wants the zoom-out pass or other training scales.
* **by photo**: the ten photos with the lowest F1, with their counts, so a person can look at them.

Pure: numpy only; the command feeds it boxes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SIZE_EDGES = (16.0, 40.0)  # px at the detector's input scale
SIZES = ("small", "medium", "large")
MATCH_IOU = 0.5


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / (area_a[:, None] + area_b[None, :] - inter + 1e-9)


def greedy_match(pred: np.ndarray, truth: np.ndarray, threshold: float = MATCH_IOU) -> np.ndarray:
    """For each prediction (sorted by confidence, highest first) the truth index it matched, or -1."""
    matched = np.full(len(pred), -1, int)
    if len(pred) == 0 or len(truth) == 0:
        return matched
    ious = iou_matrix(pred, truth)
    taken = np.zeros(len(truth), bool)
    for i, row in enumerate(ious):
        row = np.where(taken, -1.0, row)
        j = int(row.argmax())
        if row[j] >= threshold:
            taken[j] = True
            matched[i] = j
    return matched


def size_class(boxes: np.ndarray, image_w: int, image_h: int, imgsz: int) -> np.ndarray:
    """0 small, 1 medium, 2 large, per box."""
    if len(boxes) == 0:
        return np.zeros(0, int)
    side = np.sqrt(np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None))
    return np.digitize(side * imgsz / max(image_w, image_h), SIZE_EDGES)


@dataclass
class PhotoScore:
    name: str
    truth: int
    predicted: int
    hits: int

    @property
    def recall(self) -> float:
        return self.hits / self.truth if self.truth else 1.0

    @property
    def precision(self) -> float:
        return self.hits / self.predicted if self.predicted else (1.0 if not self.truth else 0.0)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Breakdown:
    imgsz: int
    photos: list[PhotoScore] = field(default_factory=list)
    truth_by_size: np.ndarray = field(default_factory=lambda: np.zeros(3, int))
    found_by_size: np.ndarray = field(default_factory=lambda: np.zeros(3, int))    # truth boxes matched
    pred_by_size: np.ndarray = field(default_factory=lambda: np.zeros(3, int))
    correct_by_size: np.ndarray = field(default_factory=lambda: np.zeros(3, int))  # predictions that matched

    def add(self, name: str, pred: np.ndarray, truth: np.ndarray, image_w: int, image_h: int) -> None:
        pred, truth = pred.reshape(-1, 4), truth.reshape(-1, 4)
        matched = greedy_match(pred, truth)
        truth_size = size_class(truth, image_w, image_h, self.imgsz)
        pred_size = size_class(pred, image_w, image_h, self.imgsz)
        self.truth_by_size += np.bincount(truth_size, minlength=3)
        self.found_by_size += np.bincount(truth_size[matched[matched >= 0]], minlength=3)
        self.pred_by_size += np.bincount(pred_size, minlength=3)
        self.correct_by_size += np.bincount(pred_size[matched >= 0], minlength=3)
        self.photos.append(PhotoScore(name, len(truth), len(pred), int((matched >= 0).sum())))

    def by_size(self) -> dict[str, dict[str, float | int | None]]:
        rows = {}
        for k, size in enumerate(SIZES):
            truth, pred = int(self.truth_by_size[k]), int(self.pred_by_size[k])
            rows[size] = {"truth": truth, "predicted": pred,
                          "recall": round(self.found_by_size[k] / truth, 4) if truth else None,
                          "precision": round(self.correct_by_size[k] / pred, 4) if pred else None}
        return rows

    def worst(self, n: int = 10) -> list[dict[str, float | int | str]]:
        ranked = sorted(self.photos, key=lambda p: (p.f1, p.name))[:n]
        return [{"photo": p.name, "truth": p.truth, "predicted": p.predicted, "recall": round(p.recall, 4),
                 "precision": round(p.precision, 4), "f1": round(p.f1, 4)} for p in ranked]
