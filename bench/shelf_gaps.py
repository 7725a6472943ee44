"""Out-of-stock gaps: found where they are, and not reported where the detector merely missed a pack.

    python bench/shelf_gaps.py [--scenes 40] [--miss 0.08] [--weights PATH]

1. Generated shelves (exact truth, no external data): gaps are planted, and a share ``--miss`` of the
   packs is dropped from the boxes, as a detector's misses would be. Prints planted gaps found, and
   false gaps (a dropped pack reported as empty), from the boxes alone and with the photo checks (texture
   of the stretch against the row's packs; bay uprights seen in the photo).
2. The real validation photos of ../shared/data/sku110k_dev (when present), run through the shipped
   detector: these shelves are stocked, so every reported gap is a suspect. Prints gaps per photo with
   and without the texture check.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from shelfai.vision.gaps import find_gaps  # noqa: E402
from shelfai.vision.offline.synthetic import RenderOptions, random_catalog, random_layout, render_shelf  # noqa: E402
from shelfai.vision.rows import assign_rows  # noqa: E402

DEFAULT_WEIGHTS = REPO / "shelfai" / "vision" / "weights" / "shelf-detector.pt"


def _overlaps(a, b) -> bool:
    inter = min(a.box.x2, b.box.x2) - max(a.box.x1, b.box.x1)
    return a.row == b.row and inter > 0.5 * min(a.box.width, b.box.width)


def generated(scenes: int, miss: float) -> None:
    catalog = random_catalog(12, 4, np.random.default_rng(1))
    totals = {"planted": 0, "found": 0, "found_checked": 0, "false": 0, "false_checked": 0}
    ms = []
    for seed in range(scenes):
        rng = np.random.default_rng(1000 + seed)
        layout = random_layout(catalog.codes, rng, n_rows=5, gap_rate=0.1)
        options = RenderOptions(size=(960, 720), perspective=0.06, rotation_deg=float(rng.uniform(-4, 4)))
        scene = render_shelf(layout, catalog.pack_images, options=options, rng=rng)
        boxes = [f.box for f in scene.facings if rng.random() >= miss]
        levels, rows = assign_rows(boxes, 720, 960, image=scene.image)
        plain = find_gaps(boxes, rows, levels, image_size=(720, 960))
        started = time.perf_counter()
        checked = find_gaps(boxes, rows, levels, image_size=(720, 960), image=scene.image)
        ms.append(1000 * (time.perf_counter() - started))
        totals["planted"] += len(scene.gaps)
        for key, gaps in (("", plain), ("_checked", checked)):
            totals["found" + key] += sum(any(_overlaps(g, t) for g in gaps) for t in scene.gaps)
            totals["false" + key] += sum(not any(_overlaps(g, t) for t in scene.gaps) for g in gaps)
    print(f"generated shelves: {scenes} photos, {totals['planted']} planted gaps, {miss:.0%} of packs missed")
    print(f"  geometry only     : found {totals['found']}/{totals['planted']}, false gaps {totals['false']}")
    print(f"  + photo checks    : found {totals['found_checked']}/{totals['planted']}, "
          f"false gaps {totals['false_checked']}   (find_gaps {np.median(ms):.1f} ms/photo)")


def real(weights: Path) -> None:
    val = Path(os.environ.get("SHELFAI_SHARED_DATA", REPO.parent / "shared" / "data")) / "sku110k_dev/images/val"
    if not val.is_dir():
        print(f"{val} not found: real photos skipped")
        return
    from shelfai.vision.detector import ProductDetector

    detector = ProductDetector.load(weights)
    plain_n = checked_n = photos = 0
    for path in sorted(val.iterdir()):
        image = cv2.imread(str(path))
        if image is None:
            continue
        h, w = image.shape[:2]
        boxes = detector.detect([image])[0]
        levels, rows = assign_rows(boxes, h, w, image=image)
        plain_n += len(find_gaps(boxes, rows, levels, image_size=(h, w)))
        checked_n += len(find_gaps(boxes, rows, levels, image_size=(h, w), image=image))
        photos += 1
    print(f"real validation photos ({photos}, stocked shelves; detector {weights.name}):")
    print(f"  gaps reported, geometry only  : {plain_n} ({plain_n / photos:.1f} per photo)")
    print(f"  gaps reported, + photo checks : {checked_n} ({checked_n / photos:.1f} per photo)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenes", type=int, default=40)
    parser.add_argument("--miss", type=float, default=0.08, help="share of packs the 'detector' misses")
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    args = parser.parse_args()
    generated(args.scenes, args.miss)
    real(args.weights)


if __name__ == "__main__":
    main()
