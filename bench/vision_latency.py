"""End-to-end latency for a 12 MP phone photo on this machine's CPU.

    python bench/vision_latency.py [--weights PATH] [--runs 20] [--backend auto|pytorch|onnxruntime]
                                   [--imgsz 1088] [--threads 2] [--max-side 2048]

Stages: decode (JPEG bytes -> upright BGR, as the intake does) -> quality gate -> detect -> rows -> gaps
-> SKU recognition (a 40-SKU catalog built from generated pack art). The photo is a real validation
photo from ../shared/data upscaled to 4000 x 3000 and saved as a phone-quality JPEG (or, without the
shared data, a generated shelf at that size). Prints p50 / p95 per stage and in total; the target is
p95 <= 1.5 s.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from shelfai.vision.detector import DetectorSettings, ProductDetector  # noqa: E402
from shelfai.vision.pipeline import analyze_image, load_oriented_image  # noqa: E402

DEFAULT_WEIGHTS = REPO / "shelfai" / "vision" / "weights" / "shelf-detector.pt"
PHONE_SIZE = (4000, 3000)


def phone_photo() -> tuple[bytes, str]:
    shared = Path(os.environ.get("SHELFAI_SHARED_DATA", REPO.parent / "shared" / "data"))
    val = shared / "sku110k_dev" / "images" / "val"
    if val.is_dir():
        source = sorted(val.iterdir())[0]
        image = cv2.imread(str(source))
        origin = f"{source.name} upscaled"
    else:
        from shelfai.vision.offline.synthetic import RenderOptions, random_catalog, random_layout, render_shelf

        rng = np.random.default_rng(0)
        catalog = random_catalog(12, 4, rng)
        image = render_shelf(
            random_layout(catalog.codes, rng),
            catalog.pack_images,
            rng=rng,
            options=RenderOptions(size=(1600, 1200)),
        ).image
        origin = "generated shelf upscaled"
    h, w = image.shape[:2]
    size = PHONE_SIZE if w >= h else PHONE_SIZE[::-1]
    big = cv2.resize(image, size, interpolation=cv2.INTER_CUBIC)
    buffer = io.BytesIO()
    Image.fromarray(big[:, :, ::-1]).save(buffer, format="JPEG", quality=92)
    return buffer.getvalue(), origin


def sku_catalog(n_skus: int = 40):
    from shelfai.vision.offline.synthetic import random_catalog
    from shelfai.vision.sku import SkuCatalog

    synthetic = random_catalog(n_skus, 10, np.random.default_rng(1))
    return SkuCatalog.build(synthetic.references)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--backend", choices=["auto", "pytorch", "onnxruntime"], default="auto")
    parser.add_argument("--imgsz", type=int, default=DetectorSettings().imgsz)
    parser.add_argument("--threads", type=int, default=2, help="torch / onnxruntime threads")
    parser.add_argument("--max-side", type=int, default=None,
                        help="decode the JPEG at reduced scale, long side >= this (load_oriented_image max_side)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    settings = replace(DetectorSettings(), imgsz=args.imgsz)
    detector = ProductDetector.load(
        args.weights, device="cpu", settings=settings, prefer_onnx=args.backend != "pytorch"
    )
    if args.backend == "onnxruntime" and detector.backend_name != "onnxruntime":
        sys.exit(
            "No matching .onnx next to the weights; export one with shelfai.vision.detector.export_onnx."
        )
    data, origin = phone_photo()
    catalog = sku_catalog()
    print(
        f"photo: {origin} to {PHONE_SIZE[0]}x{PHONE_SIZE[1]} JPEG ({len(data) / 1e6:.1f} MB); detector "
        f"{detector.name} via {detector.backend_name}, imgsz {args.imgsz}; {args.threads} threads; "
        f"{len(catalog.codes)} SKUs in the catalog"
    )

    stages: dict[str, list[float]] = {}
    totals: list[float] = []
    facings = 0
    for run in range(args.runs + 1):  # the first run warms caches and is not counted
        started = time.perf_counter()
        image = load_oriented_image(data, max_side=args.max_side)
        decoded = time.perf_counter()
        result = analyze_image(image, detector=detector, catalog=catalog)
        total = (time.perf_counter() - started) * 1000
        if run == 0:
            continue
        stages.setdefault("decode", []).append((decoded - started) * 1000)
        for stage, ms in result.timings_ms.items():
            stages.setdefault(stage, []).append(ms)
        totals.append(total)
        facings = len(result.facings)
    print(
        f"quality ok: {result.quality.ok} {result.quality.reasons}; {facings} facings, {len(result.rows)} rows, "
        f"{len(result.gaps)} gaps"
    )
    for stage, values in stages.items():
        print(f"  {stage:14s} p50 {percentile(values, 50):7.1f} ms   p95 {percentile(values, 95):7.1f} ms")
    p95 = percentile(totals, 95)
    print(
        f"  {'TOTAL':14s} p50 {percentile(totals, 50):7.1f} ms   p95 {p95:7.1f} ms   "
        f"({'meets' if p95 <= 1500 else 'misses'} the 1.5 s target; {args.runs} runs)"
    )


if __name__ == "__main__":
    main()
