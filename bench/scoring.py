"""Compliance scoring speed: a visit of 10 photos with 150 facings each, detections given.

    python bench/scoring.py [--runs 50]

A 10-bay section with 6 shelves and 5 SKU blocks of 5 facings per shelf and bay (300 planned SKUs,
1,500 planned facings). Each photo shows one bay; the detections carry planted trouble: swapped
blocks, out-of-stock blocks, foreign products, 10 % unknown and 5 % low-confidence facings, and gaps.
Times ``score_visit`` (bays side by side), the same photos as overlapping views of one bay, and the
10 per-photo scores.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shelfai.compliance.observations import PhotoObservation  # noqa: E402
from shelfai.compliance.scoring import (  # noqa: E402
    ExpectedItem,
    PlanogramSpec,
    ShelfSpec,
    score_photo,
    score_visit,
)
from shelfai.compliance.types import CatalogEntry  # noqa: E402
from shelfai.vision.types import UNKNOWN_SKU, Box, Facing, Gap, ShelfRow  # noqa: E402

BAYS, SHELVES, BLOCKS, FACINGS = 10, 6, 5, 5


def sku(bay: int, shelf: int, block: int) -> str:
    return f"SKU-{bay:02d}-{shelf}-{block}"


def planogram_and_catalog() -> tuple[PlanogramSpec, dict[str, CatalogEntry]]:
    brands = ["OwnCo", "Rival", "Other", "Store brand"]
    catalog, shelves = {}, []
    for shelf in range(1, SHELVES + 1):
        items = []
        for bay in range(1, BAYS + 1):
            for block in range(BLOCKS):
                code = sku(bay, shelf, block)
                catalog[code] = CatalogEntry(f"Product {code}", brands[(bay + block) % 4], 60 + 10 * block)
                items.append(ExpectedItem(code, facings=FACINGS, position=(bay - 1) * BLOCKS + block + 1))
        shelves.append(ShelfSpec(shelf, items))
    for i in range(20):
        catalog[f"FOREIGN-{i}"] = CatalogEntry(f"Foreign {i}", "Rival", 90)
    spec = PlanogramSpec(
        shelves, brand_targets={"OwnCo": 0.3, "Store brand": 0.2}, own_brands=frozenset({"OwnCo"})
    )
    return spec, catalog


def photo_of_bay(bay: int, rng: random.Random) -> PhotoObservation:
    facings, gaps, rows = [], [], []
    for shelf in range(1, SHELVES + 1):
        blocks = [sku(bay, shelf, b) for b in range(BLOCKS)]
        if rng.random() < 0.3:
            i = rng.randrange(BLOCKS - 1)
            blocks[i], blocks[i + 1] = blocks[i + 1], blocks[i]
        if rng.random() < 0.2:
            blocks[rng.randrange(BLOCKS)] = f"FOREIGN-{rng.randrange(20)}"
        if rng.random() < 0.15:  # a block out of stock, its neighbour spread into the hole
            i = rng.randrange(1, BLOCKS)
            blocks[i] = blocks[i - 1]
        x, y = 0.0, shelf * 300.0
        for block in blocks:
            for _ in range(FACINGS):
                roll = rng.random()
                code, conf = (UNKNOWN_SKU, 0.0) if roll < 0.10 else (block, 0.3 if roll < 0.15 else 0.9)
                facings.append(Facing(Box(x, y, x + 50, y + 250), shelf, code, conf))
                x += 50
        if rng.random() < 0.1:  # a void at the end of the row
            gaps.append(Gap(shelf, Box(x, y, x + 100, y + 250), 2.0))
        rows.append(ShelfRow(shelf, y, y + 250, 0, x))
    return PhotoObservation(facings, gaps, rows, photo_id=f"bay-{bay}", bay=bay)


def timed(fn, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    spec, catalog = planogram_and_catalog()
    rng = random.Random(1)
    photos = [photo_of_bay(bay, rng) for bay in range(1, BAYS + 1)]
    overlapping = [PhotoObservation(p.facings, p.gaps, p.rows, p.photo_id, bay=0) for p in photos]
    print(
        f"{len(photos)} photos, {sum(len(p.facings) for p in photos)} facings, "
        f"{sum(len(s.items) for s in spec.shelves)} planned SKUs"
    )

    report = score_visit(spec, catalog, photos)
    print(
        f"visit score {report.score}, confidence {report.confidence:.2f}, "
        f"{len(report.deductions)} deductions, "
        f"report JSON {len(json.dumps(report.to_dict())) / 1024:.0f} KB"
    )
    for name, fn in [
        ("score_visit, 10 bays side by side", lambda: score_visit(spec, catalog, photos)),
        ("score_visit, 10 overlapping views", lambda: score_visit(spec, catalog, overlapping)),
        ("score_photo x 10", lambda: [score_photo(spec, catalog, p) for p in photos]),
        ("score_visit + to_dict", lambda: score_visit(spec, catalog, photos).to_dict()),
    ]:
        median, p95 = timed(fn, args.runs)
        print(f"  {name:36s} median {median:6.1f} ms   p95 {p95:6.1f} ms   (target < 200 ms)")


if __name__ == "__main__":
    main()
