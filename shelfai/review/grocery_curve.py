"""The learning curve on real packs: the ``grocery_shelves`` brands (``review_learning_curve --grocery``).

Each of the ten brands in turn is the "new SKU": the other nine are in the catalog with ``known_refs``
reviewed crops each, the new one with 0, 1, 2, ... crops. Crops for the catalog come from one half of
the shelves and the questions from the other (split by the shelf number ``P`` of the file name, so
near-copies of a photo never sit on both sides). The boxes are the annotators'; brand 0 ("any other
product") is left out.
"""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

from shelfai.review.learning import CurvePoint
from shelfai.review.services import as_pack_shot
from shelfai.vision.sku import SkuCatalog
from shelfai.vision.types import Box

SHELF = re.compile(r"_P(\d+)_")


def _boxes(label_file: Path, width: int, height: int) -> list[tuple[str, Box]]:
    found = []
    for line in label_file.read_text().split("\n"):
        parts = line.split()
        if len(parts) != 5 or parts[0] == "0":
            continue
        xc, yc, w, h = (float(v) for v in parts[1:])
        found.append((f"brand-{parts[0]}", Box(max(0.0, (xc - w / 2) * width), max(0.0, (yc - h / 2) * height),
                                                min(width, (xc + w / 2) * width), min(height, (yc + h / 2) * height))))
    return found


def load(root: Path) -> dict[str, list[tuple[np.ndarray, list[tuple[str, Box]]]]]:
    """Photos with their brand boxes, by side: "reference" (odd shelf numbers) and "test" (even)."""
    sides: dict[str, list] = {"reference": [], "test": []}
    for image_path in sorted((root / "images").glob("*.jpg")):
        match = SHELF.search(image_path.name)
        labels = root / "labels_brand" / (image_path.stem + ".txt")
        if match is None or not labels.exists():
            continue
        image = cv2.imread(str(image_path))
        if image is None:
            continue
        boxes = _boxes(labels, image.shape[1], image.shape[0])
        if boxes:
            sides["reference" if int(match.group(1)) % 2 else "test"].append((image, boxes))
    return sides


def _crops_by_brand(photos, rng) -> dict[str, list[np.ndarray]]:
    crops: dict[str, list[np.ndarray]] = {}
    for image, boxes in photos:
        for brand, b in boxes:
            crop = image[int(b.y1):int(b.y2), int(b.x1):int(b.x2)]
            if min(crop.shape[:2]) >= 16:
                crops.setdefault(brand, []).append(crop)
    for brand in crops:
        order = rng.permutation(len(crops[brand]))
        crops[brand] = [as_pack_shot(crops[brand][i]) for i in order]
    return crops


def grocery_curve(root: Path, *, max_crops: int = 3, known_refs: int = 3, seed: int = 0) -> list[CurvePoint]:
    rng = np.random.default_rng(seed)
    sides = load(root)
    crops = _crops_by_brand(sides["reference"], rng)
    brands = sorted(b for b in crops if len(crops[b]) >= max(max_crops, known_refs))
    total = [CurvePoint(k, 0, 0, 0, 0, 0) for k in range(max_crops + 1)]
    for new in brands:
        known = {b: crops[b][:known_refs] for b in brands if b != new}
        for point in total:
            catalog = SkuCatalog.build(known | ({new: crops[new][:point.crops]} if point.crops else {}))
            for image, boxes in sides["test"]:
                answers = catalog.identify(image, [b for _, b in boxes])
                for (truth, _), (answer, _) in zip(boxes, answers, strict=True):
                    if truth == new:
                        point.new_total += 1
                        point.new_found += answer == new
                    elif truth in known:
                        point.known_total += 1
                        point.known_right += answer == truth
                        point.known_taken_for_new += answer == new
    return total
