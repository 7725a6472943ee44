"""Brand recognition on real cigarette shelves (grocery_shelves, labels_brand), split by shelf layout.

    python bench/brand_recognition.py             # CV on the tuning shelves, then the held-out figures once
    python bench/brand_recognition.py --cv-only   # only the cross-validation over the tuning shelves

Photos are named ``varol_C<camera>_P<shelf>_...``; photos of one P show one shelf layout, so every split
is by P, never at random. The held-out shelves P05, P06 and P10 were set aside before anything was
measured, picked only so that every brand has boxes on both sides (P05/P06 carry all ten brands).

* Cross-validation (tuning side P01 P02 P03 P04 P09 P12): each P in turn is the data, the other tuning
  shelves are the references (first 5 boxes per brand, file-name order). Candidate operating points are
  compared on the pooled figures: the one naming most known packs while unknown recall stays >= 0.80
  (the targets: known top-1 >= 0.85, unknown recall >= 0.80).
* Held-out: references = all tuning shelves, data = the held-out shelves, through the real command
  (``manage.py evaluate_recognition --json``, detector included) at the operating point chosen by the
  cross-validation (``--known-quantile`` / ``--max-ratio``): reported once.

Brand 0 ("any other product") is never in the catalog: it is what ``unknown`` must catch.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import re
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shelfai.vision.offline.recognition import evaluate_recognition, read_yolo_folder  # noqa: E402
from shelfai.vision.sku import RecognitionSettings  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "grocery_shelves"
HELD_OUT = ("P05", "P06", "P10")
TUNING = ("P01", "P02", "P03", "P04", "P09", "P12")
SHELF = re.compile(r"_(P\d+)_")

# Operating points compared by cross-validation (RecognitionSettings fields); "shipped" is sku.py's default.
CANDIDATES: dict[str, dict] = {
    "shipped": {},
    "other-image 0.95": {"other_image_quantile": 0.95},
    "other-image 0.95, ratio 0.97": {"other_image_quantile": 0.95, "max_ratio": 0.97},
    "other-image 0.99": {"other_image_quantile": 0.99},
    "other-image 0.99, ratio 0.97": {"other_image_quantile": 0.99, "max_ratio": 0.97},
}


def shelf_of(name: str) -> str:
    match = SHELF.search(name)
    if not match:
        raise SystemExit(f"{name}: no _P<shelf>_ in the file name")
    return match.group(1)


def make_folder(root: Path, name: str, shelves: tuple[str, ...]) -> Path:
    """A YOLO folder (images/ + labels/ from labels_brand/) of the photos of ``shelves``, as symlinks."""
    folder = root / name
    (folder / "images").mkdir(parents=True)
    (folder / "labels").mkdir()
    for image in sorted((DATA / "images").iterdir()):
        if shelf_of(image.name) in shelves:
            (folder / "images" / image.name).symlink_to(image)
            label = DATA / "labels_brand" / f"{image.stem}.txt"
            if label.exists():
                (folder / "labels" / label.name).symlink_to(label)
    return folder


def cross_validate(root: Path, shots: int) -> dict[str, dict]:
    folds = {p: (make_folder(root, f"cv_ref_{p}", tuple(q for q in TUNING if q != p)),
                 make_folder(root, f"cv_data_{p}", (p,))) for p in TUNING}
    photos = {p: (read_yolo_folder(r), read_yolo_folder(d)) for p, (r, d) in folds.items()}
    results = {}
    for name, overrides in CANDIDATES.items():
        settings = dataclasses.replace(RecognitionSettings(), **overrides)
        named = known = unknown_ok = unknown = 0
        per_fold = []
        for p, (refs, data) in photos.items():
            report = evaluate_recognition(refs, data, shots=shots, settings=settings)
            named += round((report.known_top1 or 0) * report.known)
            known += report.known
            unknown_ok += round((report.unknown_recall or 0) * report.unknown)
            unknown += report.unknown
            per_fold.append(f"{p} {report.known_top1 or 0:.2f}/{report.unknown_recall or 0:.2f}")
        figures = {"known_top1": named / known, "unknown_recall": unknown_ok / unknown}
        results[name] = figures
        print(f"  {name:28s} known {figures['known_top1']:.3f}  unknown {figures['unknown_recall']:.3f}  "
              f"  [{', '.join(per_fold)}]", flush=True)
    return results


def choose(results: dict[str, dict]) -> str:
    """The most known packs named among the points that keep unknown recall at its target (0.80): naming a
    stranger as a catalog pack is the costlier error. If none keeps it, the one closest to it."""
    safe = [n for n in results if results[n]["unknown_recall"] >= 0.80]
    if safe:
        return max(safe, key=lambda n: results[n]["known_top1"])
    return max(results, key=lambda n: results[n]["unknown_recall"])


def held_out(root: Path, shots: int, overrides: dict) -> dict:
    import django
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shelfai.settings")
    os.environ.setdefault("DEBUG", "1")  # a local measurement: no SECRET_KEY needed
    django.setup()
    references = make_folder(root, "references", TUNING)
    data = make_folder(root, "held_out", HELD_OUT)
    out = io.StringIO()
    started = time.perf_counter()
    with redirect_stdout(out):
        call_command("evaluate_recognition", references=references, data=data, shots=shots, json=True, stdout=out,
                     **overrides)
    figures = json.loads(out.getvalue())
    figures["wall_seconds"] = round(time.perf_counter() - started, 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shots", type=int, default=5)
    parser.add_argument("--cv-only", action="store_true", help="skip the held-out run")
    args = parser.parse_args()
    if not (DATA / "labels_brand").is_dir():
        raise SystemExit(f"{DATA}/labels_brand not found (see shared/data/README.md)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print(f"cross-validation over tuning shelves {' '.join(TUNING)} ({args.shots} shots):", flush=True)
        results = cross_validate(root, args.shots)
        best = choose(results)
        print(f"chosen by CV: {best}")
        if args.cv_only:
            return
        print(f"held-out shelves {' '.join(HELD_OUT)}, references = all tuning shelves, settings of {best!r}:",
              flush=True)
        print(json.dumps(held_out(root, args.shots, CANDIDATES[best])))


if __name__ == "__main__":
    main()
