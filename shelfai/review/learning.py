"""How many reviewed crops a new SKU needs before the recogniser knows it: a learning curve on
generated shelves (``manage.py review_learning_curve``).

Per trial: a catalog of known SKUs from admin-style pack shots, and one new pack nobody has a picture
of. Its reference images are crops of it cut from shelf photos, as the review queue stores them
(``services.as_pack_shot``), 0, 1, 2, ... of them; each catalog is then asked about held-out shelf photos
(other light, other neighbours, other places, boxes a few pixels off as a detector draws them).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from shelfai.review.services import as_pack_shot
from shelfai.vision.offline.packart import make_pack_art, reference_shot
from shelfai.vision.sku import SkuCatalog
from shelfai.vision.types import UNKNOWN_SKU, Box

NEW = "new"


@dataclass
class CurvePoint:
    crops: int
    new_found: int  # held-out boxes of the new pack named as it
    new_total: int
    known_right: int  # held-out boxes of known packs named correctly
    known_total: int
    known_taken_for_new: int  # a known pack called the new one: what a bad crop would cost

    @property
    def new_recall(self) -> float:
        return self.new_found / self.new_total if self.new_total else 0.0

    @property
    def known_accuracy(self) -> float:
        return self.known_right / self.known_total if self.known_total else 0.0


def shelf(packs: list[np.ndarray], rng: np.random.Generator) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """Packs side by side on a plain shelf, scaled and lit a little differently each time."""
    scale = rng.uniform(0.85, 1.15)
    sized = [cv2.resize(p, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) for p in packs]
    gap = int(rng.integers(6, 30))
    width = sum(p.shape[1] for p in sized) + gap * (len(sized) + 1)
    height = max(p.shape[0] for p in sized) + 80
    scene = np.full((height, width, 3), int(rng.integers(150, 225)), np.uint8)
    boxes, x = [], gap
    for pack in sized:
        h, w = pack.shape[:2]
        y = height - 20 - h
        scene[y:y + h, x:x + w] = pack
        boxes.append((x, y, x + w, y + h))
        x += w + gap
    gain = rng.uniform(0.75, 1.15) * rng.uniform(0.95, 1.05, 3)
    noisy = scene.astype(np.float32) * gain + rng.normal(0, 4, scene.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8), boxes


def jitter(box: tuple[int, int, int, int], rng: np.random.Generator, image: np.ndarray) -> Box:
    """The box a detector would draw: a few pixels off on every side."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = (v + int(rng.integers(-4, 5)) for v in box)
    return Box(max(0, x1), max(0, y1), min(w, x2), min(h, y2))


def _scene_with(new_pack, known: dict[str, np.ndarray], rng) -> tuple[np.ndarray, list[str], list[Box]]:
    names = list(rng.choice(sorted(known), size=3, replace=False)) + [NEW]
    rng.shuffle(names)
    image, boxes = shelf([new_pack if n == NEW else known[n] for n in names], rng)
    return image, names, [jitter(b, rng, image) for b in boxes]


def trial(seed: int, *, max_crops: int, held_out: int, known_count: int = 6, backdrop: bool = True
          ) -> list[CurvePoint]:
    rng = np.random.default_rng(seed)
    known = {f"k{seed}-{i}": make_pack_art(f"k{seed}-{i}", family=f"fam{seed}-{i}", variant=i % 3)
             for i in range(known_count)}
    new_pack = make_pack_art(f"n{seed}", family=f"newfam{seed}", variant=int(rng.integers(0, 3)))
    references = {sku: [reference_shot(art, rng) for _ in range(2)] for sku, art in known.items()}
    # The reviewed crops come from photos the reviewer saw; the held-out photos are others.
    crops = []
    for _ in range(max_crops):
        image, names, boxes = _scene_with(new_pack, known, rng)
        b = boxes[names.index(NEW)]
        crop = image[int(b.y1):int(b.y2), int(b.x1):int(b.x2)]
        crops.append(as_pack_shot(crop) if backdrop else crop)
    tests = [_scene_with(new_pack, known, rng) for _ in range(held_out)]
    points = []
    for k in range(max_crops + 1):
        catalog = SkuCatalog.build(references | ({NEW: crops[:k]} if k else {}))
        point = CurvePoint(k, 0, 0, 0, 0, 0)
        for image, names, boxes in tests:
            for truth, (answer, _) in zip(names, catalog.identify(image, boxes), strict=True):
                if truth == NEW:
                    point.new_total += 1
                    point.new_found += answer == NEW
                else:
                    point.known_total += 1
                    point.known_right += answer == truth
                    point.known_taken_for_new += answer == NEW
        points.append(point)
    return points


def learning_curve(*, trials: int, first_seed: int, max_crops: int, held_out: int, backdrop: bool = True
                   ) -> list[CurvePoint]:
    """Summed over ``trials`` independent SKU sets (seeds ``first_seed`` ...)."""
    total = [CurvePoint(k, 0, 0, 0, 0, 0) for k in range(max_crops + 1)]
    for seed in range(first_seed, first_seed + trials):
        for acc, point in zip(total, trial(seed, max_crops=max_crops, held_out=held_out, backdrop=backdrop),
                              strict=True):
            for name in ("new_found", "new_total", "known_right", "known_total", "known_taken_for_new"):
                setattr(acc, name, getattr(acc, name) + getattr(point, name))
    return total


__all__ = ["UNKNOWN_SKU", "CurvePoint", "learning_curve", "trial"]
