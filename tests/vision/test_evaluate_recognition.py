"""evaluate_recognition: recognition measured on labelled folders, true boxes and end to end.

The fixtures are tiny generated shelves: three catalog packs (distinct colours and bands) and class-0
products of other colours, written as YOLO folders into tmp_path.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.core.management import CommandError, call_command

from shelfai.vision.offline.recognition import RecognitionDataError, evaluate_recognition, match_boxes
from shelfai.vision.types import Box

WEIGHTS = Path(__file__).resolve().parents[2] / "shelfai" / "vision" / "weights" / "shelf-detector.pt"
# BGR body colour and band colour of each class; class 0 = products not in the catalog
PACKS = {1: ((40, 40, 200), (255, 255, 255)), 2: ((200, 90, 20), (0, 220, 255)), 3: ((40, 160, 40), (30, 30, 30))}
STRANGERS = [((150, 40, 150), (200, 200, 200)), ((20, 120, 230), (120, 60, 0)), ((90, 90, 90), (0, 255, 255))]


def _pack(body, band, rng, w=36, h=54):
    pack = np.empty((h, w, 3), np.float32)
    pack[:] = body
    pack[h // 8 : h // 3] = band  # a brand band
    pack[int(h * 0.6) : int(h * 0.7), w // 4 : 3 * w // 4] = band  # and a logo block
    pack = pack * rng.uniform(0.85, 1.15) + rng.normal(0, 4, pack.shape)
    return np.clip(pack, 0, 255).astype(np.uint8)


def _shelf(classes, rng):
    """A 320 x 240 photo with the packs of ``classes`` side by side on two shelves, and their labels."""
    image = np.full((240, 320, 3), 235, np.uint8)
    lines, x, y = [], 10, 30
    for cls in classes:
        if x + 40 > 320:
            x, y = 10, y + 100
        body, band = PACKS[cls] if cls else STRANGERS[int(rng.integers(len(STRANGERS)))]
        image[y : y + 54, x : x + 36] = _pack(body, band, rng)
        lines.append(f"{cls} {(x + 18) / 320:.6f} {(y + 27) / 240:.6f} {36 / 320:.6f} {54 / 240:.6f}")
        x += 44
    return image, lines


def _folder(root: Path, shelves: list[list[int]], seed: int, relabel: dict[int, int] | None = None) -> Path:
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for i, classes in enumerate(shelves):
        image, lines = _shelf(classes, rng)
        if relabel:
            swapped = []
            for line in lines:
                cls, rest = line.split(" ", 1)
                swapped.append(f"{relabel.get(int(cls), int(cls))} {rest}")
            lines = swapped
        cv2.imwrite(str(root / "images" / f"shelf_{i:02d}.png"), image)
        (root / "labels" / f"shelf_{i:02d}.txt").write_text("\n".join(lines) + "\n")
    return root


REFERENCE_SHELVES = [[1, 1, 2, 2, 3, 3, 1], [2, 3, 1, 3, 2, 0, 0]]
DATA_SHELVES = [[1, 2, 3, 0, 1, 2, 3, 0, 0, 1, 2, 3, 0, 0], [3, 2, 1, 0, 0, 3, 2, 1, 0, 2, 1, 3, 0, 1]]


@pytest.fixture
def folders(tmp_path):
    return _folder(tmp_path / "refs", REFERENCE_SHELVES, seed=1), _folder(tmp_path / "data", DATA_SHELVES, seed=2)


def _run(*args) -> dict:
    out = io.StringIO()
    call_command("evaluate_recognition", *args, "--weights", str(WEIGHTS), "--json", stdout=out)
    return json.loads(out.getvalue())


def test_the_command_prints_one_json_object_with_the_figures(folders):
    references, data = folders
    figures = _run("--references", str(references), "--data", str(data), "--shots", "2")
    assert set(figures) == {"known_top1", "unknown_recall", "end_to_end_top1", "facings", "classes",
                            "seconds_per_facing"}
    assert figures["facings"] == sum(len(s) for s in DATA_SHELVES)
    assert figures["classes"] == 3
    assert all(0.0 <= figures[k] <= 1.0 for k in ("known_top1", "unknown_recall", "end_to_end_top1"))
    assert figures["seconds_per_facing"] > 0


def test_a_catalog_of_the_right_packs_names_them(folders):
    references, data = folders
    report = evaluate_recognition(references, data, shots=3)
    assert report.known_top1 >= 0.9
    assert report.unknown_recall >= 0.7  # strangers of other colours are not taken for catalog packs
    assert report.end_to_end_top1 is None  # no detector given: no end-to-end figure is made up


def test_swapped_references_do_not_name_them(tmp_path, folders):
    _, data = folders
    swapped = _folder(tmp_path / "swapped", REFERENCE_SHELVES, seed=1, relabel={1: 2, 2: 3, 3: 1})
    report = evaluate_recognition(swapped, data, shots=3)
    assert report.known_top1 <= 0.2
    assert report.confused + round(report.known_top1 * report.known) <= report.known


def test_end_to_end_counts_a_facing_the_detector_missed_as_not_named(folders):
    references, data = folders
    perfect = evaluate_recognition(references, data, shots=3, detect=lambda images: [_truth_of(data, images)])
    blind = evaluate_recognition(references, data, shots=3, detect=lambda images: [[]])
    assert perfect.end_to_end_top1 == pytest.approx(perfect.known_top1, abs=0.08)
    assert blind.end_to_end_top1 == 0.0 and blind.matched == 0


def _truth_of(data: Path, images: list[np.ndarray]) -> list[Box]:
    """The true boxes of the data photo that looks like ``images[0]`` (a detector that is always right)."""
    for label in sorted((data / "labels").glob("*.txt")):
        photo = cv2.imread(str(data / "images" / f"{label.stem}.png"))
        if np.array_equal(photo, images[0]):
            boxes = []
            for line in label.read_text().split("\n"):
                if line:
                    _, xc, yc, w, h = (float(v) for v in line.split())
                    x1, y1 = (xc - w / 2) * 320 + 1, (yc - h / 2) * 240  # a pixel off, as detectors are
                    boxes.append(Box(x1, y1, x1 + w * 320, y1 + h * 240))
            return boxes
    raise AssertionError("not a data photo")


def test_boxes_are_matched_one_to_one_at_iou_half():
    truth = [Box(0, 0, 10, 10), Box(20, 0, 30, 10), Box(40, 0, 50, 10)]
    detected = [Box(1, 0, 11, 10), Box(0, 0, 10, 10), Box(44, 0, 54, 10)]
    assert match_boxes(truth, detected) == [1, None, None]  # the best overlap wins; IoU 0.43 is no match


def test_a_missing_folder_is_a_clear_error(tmp_path, folders):
    references, _ = folders
    with pytest.raises(CommandError, match="nowhere"):
        _run("--references", str(references), "--data", str(tmp_path / "nowhere"))


def test_a_folder_without_labels_is_a_clear_error(tmp_path, folders):
    references, _ = folders
    empty = tmp_path / "empty"
    (empty / "images").mkdir(parents=True)
    (empty / "labels").mkdir()
    with pytest.raises(CommandError, match="no label files"):
        _run("--references", str(references), "--data", str(empty))


def test_a_class_without_reference_boxes_is_named(tmp_path, folders):
    _, data = folders
    only_two = _folder(tmp_path / "two", [[1, 2, 1, 2]], seed=3)
    with pytest.raises(CommandError, match="class 3 .*no reference box"):
        _run("--references", str(only_two), "--data", str(data))


def test_a_malformed_label_line_names_its_file_and_line(folders):
    references, data = folders
    label = data / "labels" / "shelf_01.txt"
    lines = label.read_text().splitlines()
    lines[3] = "2 0.5 0.5 0.1"
    label.write_text("\n".join(lines) + "\n")
    with pytest.raises(CommandError, match=r"shelf_01\.txt, line 4.*expected 5 fields"):
        _run("--references", str(references), "--data", str(data))
    lines[3] = "two 0.5 0.5 0.1 0.1"
    label.write_text("\n".join(lines) + "\n")
    with pytest.raises(RecognitionDataError, match=r"shelf_01\.txt, line 4.*integer"):
        evaluate_recognition(references, data)
