"""Photo-quality gate: speed on a 12 MP photo, and verdicts on real and spoiled shelf photos.

    python bench/quality_gate.py            # uses ../shared/data when present, else generated shelves

Real photos (``sku110k_dev/images/val`` and ``shelf_rows_dev/images``) should all pass; blurred,
dark, overexposed, tilted and thumbnail copies of them should all fail. Without the shared data the
same is measured on generated shelves.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shelfai.vision.offline.synthetic import random_catalog, random_layout, render_shelf  # noqa: E402
from shelfai.vision.quality import assess_quality  # noqa: E402


def shared_data() -> Path:
    return Path(os.environ.get("SHELFAI_SHARED_DATA", ROOT.parent / "shared" / "data"))


def load_photos(limit: int) -> tuple[str, list[np.ndarray]]:
    data = shared_data()
    files = sorted((data / "sku110k_dev/images/val").glob("*.jpg")) + sorted(
        (data / "shelf_rows_dev/images").glob("*.jpg")
    )
    if files:
        return "real shelf photos", [cv2.imread(str(f)) for f in files[:limit]]
    rng = np.random.default_rng(5)
    catalog = random_catalog(30, 8, rng)
    photos = [
        render_shelf(random_layout(catalog.codes, rng), catalog.pack_images, rng=rng).image
        for _ in range(min(limit, 20))
    ]
    return "generated shelves (no shared data found)", photos


def rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.25)
    return cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REFLECT)


SPOILERS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "blurred": lambda im: cv2.GaussianBlur(im, (0, 0), 2.5 * max(im.shape) / 1024),
    "dark": lambda im: cv2.convertScaleAbs(im, alpha=0.2),
    "overexposed": lambda im: cv2.convertScaleAbs(im, alpha=2.5, beta=90),
    "tilted 15 deg": lambda im: rotate(im, 15),
    "thumbnail": lambda im: cv2.resize(im, (100, 100), interpolation=cv2.INTER_AREA),
    "black frame": lambda im: np.zeros_like(im),
}


def time_12mp(photo: np.ndarray, repeats: int) -> tuple[np.ndarray, np.ndarray]:
    """Wall and CPU milliseconds per call; CPU time is what it costs when other work shares the core."""
    size = (4032, 3024) if photo.shape[1] >= photo.shape[0] else (3024, 4032)
    big = cv2.resize(photo, size, interpolation=cv2.INTER_LINEAR)
    assess_quality(big)
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        assess_quality(big)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return np.array(wall) * 1000, np.array(cpu) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=200, help="photos to judge")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    cv2.setNumThreads(1)  # the gate runs beside the detector; measure it on one core
    source, photos = load_photos(args.limit)
    print(f"{len(photos)} {source}")
    verdicts = [assess_quality(p) for p in photos]
    passed = sum(v.ok for v in verdicts)
    print(f"  untouched, passed:        {passed}/{len(photos)}")
    for verdict in verdicts:
        if not verdict.ok:
            print(f"    rejected: {verdict.reasons} {verdict.metrics}")
    for name, spoil in SPOILERS.items():
        failed = sum(not assess_quality(spoil(p)).ok for p in photos)
        print(f"  {name + ', rejected:':26s}{failed}/{len(photos)}")
    others = [
        Path(cv2.__file__).parents[1] / "matplotlib/mpl-data/sample_data/grace_hopper.jpg",
        *sorted((Path(cv2.__file__).parents[1] / "ultralytics/assets").glob("*.jpg")),
    ]
    others = [p for p in others if p.exists()]
    if others:
        print(f"{len(others)} photos of no shelf (portrait, street, football), judged without boxes:")
        for path in others:
            verdict = assess_quality(cv2.imread(str(path)))
            print(f"  {path.name}: {'passed' if verdict.ok else 'rejected'} {verdict.metrics['straight_edges']}")
        print(
            "  ... and with the detector's boxes (none found):",
            sum(not assess_quality(cv2.imread(str(p)), boxes=[]).ok for p in others),
            f"of {len(others)} rejected",
        )
    wall, cpu = time_12mp(photos[0], args.repeats)
    print(
        f"12 MP (4032x3024) gate, one thread: wall median {np.median(wall):.1f} ms (max {wall.max():.1f}), "
        f"CPU median {np.median(cpu):.1f} ms (max {cpu.max():.1f})"
    )


if __name__ == "__main__":
    main()
