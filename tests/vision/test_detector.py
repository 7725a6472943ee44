"""Loading detector weights (good, missing, corrupt, foreign) and running detection on CPU.

Uses the tiny model trained by test_training.py's fixture; its boxes are meaningless, so the checks are
about what callers rely on: clear errors, boxes in the photo's own pixels, limits respected, and the ONNX
Runtime path giving the PyTorch path's boxes.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from shelfai.vision.detector import (
    DetectorSettings,
    DetectorUnavailable,
    ProductDetector,
    file_sha256,
    merge_nms,
    with_mirror_pass,
)
from tests.vision.test_training import scene_dataset, tiny_run, tiny_weights  # noqa: F401 - shared fixtures

LOOSE = DetectorSettings(imgsz=160, conf=0.0001, max_det=1000)  # an untrained model: keep its weak boxes


@pytest.fixture
def photo(scene_dataset) -> np.ndarray:  # noqa: F811
    return cv2.imread(str(next((scene_dataset / "images" / "val").iterdir())))


def test_missing_weights_say_how_to_get_some(tmp_path):
    with pytest.raises(DetectorUnavailable, match="train_detector"):
        ProductDetector.load(tmp_path / "nowhere.pt")


@pytest.mark.parametrize(
    "name,content",
    [
        ("empty.pt", b""),
        ("notes.pt", b"these are not weights\n" * 100),
        ("random.onnx", bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8))),
        ("weights.h5", b"\x89HDF\r\n\x1a\n" + b"\0" * 100),
    ],
)
def test_corrupt_or_foreign_files_are_refused_with_a_reason(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DetectorUnavailable) as excinfo:
        ProductDetector.load(path)
    message = str(excinfo.value)
    assert str(path) in message
    assert any(hint in message for hint in ("train_detector", "Restore", "use a YOLO", "delete it"))


def test_asking_for_a_gpu_on_a_cpu_machine_says_so(tiny_weights):  # noqa: F811
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(DetectorUnavailable, match="DETECTOR_DEVICE"):
        ProductDetector.load(tiny_weights, device="cuda")


def test_a_zip_that_is_not_a_checkpoint_is_refused(tmp_path):
    path = tmp_path / "model.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(DetectorUnavailable, match="not a readable ultralytics YOLO checkpoint"):
        ProductDetector.load(path)


def test_a_torch_file_that_is_not_a_yolo_model_is_refused(tmp_path):
    import torch

    path = tmp_path / "state.pt"
    torch.save({"weights": torch.zeros(3)}, path)
    with pytest.raises(DetectorUnavailable, match="not a readable ultralytics YOLO checkpoint"):
        ProductDetector.load(path)


def test_a_truncated_checkpoint_is_refused(tmp_path, tiny_weights):  # noqa: F811
    path = tmp_path / "cut.pt"
    data = tiny_weights.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DetectorUnavailable):
        ProductDetector.load(path)


def test_loaded_weights_know_their_name_and_hash(tiny_weights):  # noqa: F811
    detector = ProductDetector.load(tiny_weights, device="cpu")
    assert detector.name == tiny_weights.stem
    assert detector.model_hash == file_sha256(tiny_weights)
    assert detector.device == "cpu" and detector.backend_name == "pytorch"


def test_boxes_are_in_the_photos_own_pixels(tiny_weights, photo):  # noqa: F811
    detector = ProductDetector.load(tiny_weights, device="cpu", settings=LOOSE)
    # the same scene twice as large: the network sees the same input, so the boxes must scale by 2
    big = cv2.resize(photo, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
    small_boxes, big_boxes = detector.detect([photo, big])
    assert small_boxes, "a near-zero confidence threshold should keep some boxes"
    h, w = photo.shape[:2]
    for b in small_boxes:
        assert 0 <= b.x1 < b.x2 <= w and 0 <= b.y1 < b.y2 <= h
    pairs = list(zip(small_boxes, big_boxes, strict=True))[:20]
    for s, b in pairs:
        assert (b.x1, b.y1, b.x2, b.y2) == pytest.approx((2 * s.x1, 2 * s.y1, 2 * s.x2, 2 * s.y2), abs=1.0)
    confidences = [b.confidence for b in small_boxes]
    assert confidences == sorted(confidences, reverse=True)


def test_max_det_caps_the_boxes_per_photo(tiny_weights, photo):  # noqa: F811
    capped = ProductDetector.load(tiny_weights, device="cpu",
                                  settings=DetectorSettings(imgsz=160, conf=0.0001, max_det=7))
    assert len(capped.detect([photo])[0]) <= 7


def test_odd_photos_do_not_crash_detection(tiny_weights):  # noqa: F811
    detector = ProductDetector.load(tiny_weights, device="cpu", settings=LOOSE)
    thumbnail = np.full((100, 100, 3), 128, np.uint8)
    panorama = np.full((200, 4000, 3), 128, np.uint8)
    grey = np.full((300, 200), 90, np.uint8)
    rgba = np.full((120, 160, 4), 200, np.uint8)
    results = detector.detect([thumbnail, panorama, grey, rgba])
    assert len(results) == 4
    assert detector.detect([]) == []


def test_onnx_runtime_gives_the_same_boxes_as_pytorch(tiny_weights, photo, tmp_path):  # noqa: F811
    pytest.importorskip("onnx")
    from shelfai.vision.detector import export_onnx

    pt = tmp_path / "model.pt"
    shutil.copy(tiny_weights, pt)
    export_onnx(pt, imgsz=160)
    assert pt.with_suffix(".onnx").is_file()

    fast = ProductDetector.load(pt, device="cpu", settings=LOOSE)
    reference = ProductDetector.load(pt, device="cpu", settings=LOOSE, prefer_onnx=False)
    assert fast.backend_name == "onnxruntime" and reference.backend_name == "pytorch"
    assert fast.model_hash == reference.model_hash == file_sha256(pt)
    from shelfai.vision.detector import letterbox

    canvas, _, _ = letterbox(photo, 160)
    batch = (canvas[:, :, ::-1].transpose(2, 0, 1)[None] / 255.0).astype(np.float32)
    raw_ours, raw_theirs = fast._backend(batch).numpy(), reference._backend(batch).numpy()
    assert raw_ours.shape == raw_theirs.shape
    assert np.allclose(raw_ours, raw_theirs, atol=1e-2)  # same network, same numbers
    # (box by box comparison is left to the bench: this untrained model's thousands of near-equal
    # confidences make NMS order-sensitive to the last float bit)
    ours, theirs = fast.detect([photo])[0], reference.detect([photo])[0]
    assert abs(len(ours) - len(theirs)) <= max(3, len(theirs) // 20)

    # an .onnx exported from other weights is not trusted for this .pt
    other = tmp_path / "other.pt"
    other.write_bytes(pt.read_bytes() + b"\0")
    shutil.copy(pt.with_suffix(".onnx"), other.with_suffix(".onnx"))
    assert ProductDetector.load(other, device="cpu").backend_name == "pytorch"


def test_onnx_weights_load_on_their_own(tiny_weights, tmp_path):  # noqa: F811
    pytest.importorskip("onnx")
    from shelfai.vision.detector import export_onnx

    pt = tmp_path / "solo.pt"
    shutil.copy(tiny_weights, pt)
    onnx_path = export_onnx(pt, imgsz=160)
    detector = ProductDetector.load(Path(onnx_path))
    assert detector.backend_name == "onnxruntime"
    assert detector.model_hash == file_sha256(onnx_path)


# ------------------------------------------------------------------------------------------ merge-NMS
def _raw(*boxes: tuple[float, float, float, float, float]) -> np.ndarray:
    """A network output (1 x 5 x anchors) from (x1, y1, x2, y2, score) boxes."""
    rows = [((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1, s) for x1, y1, x2, y2, s in boxes]
    return np.array(rows, np.float32).T[None]


def test_merge_nms_places_a_box_at_the_weighted_mean_of_its_cluster():
    # three guesses at one pack (the best-scored one is 4 px off on each side) and one neighbouring pack
    raw = _raw((104, 4, 204, 204, 0.9), (96, -4, 196, 196, 0.6), (100, 0, 200, 200, 0.3), (210, 0, 300, 200, 0.8))
    plain = merge_nms(raw, conf=0.25, iou=0.6, max_det=100, merge_iou=0)[0].numpy()
    merged = merge_nms(raw, conf=0.25, iou=0.6, max_det=100, merge_iou=0.7)[0].numpy()
    assert len(plain) == len(merged) == 2  # the same boxes survive, in the same order, with their scores
    np.testing.assert_allclose(merged[:, 4], plain[:, 4])
    np.testing.assert_allclose(plain[0, :4], [104, 4, 204, 204])
    weights = np.array([0.9, 0.6, 0.3])
    expected_x1 = (np.array([104, 96, 100]) * weights).sum() / weights.sum()
    np.testing.assert_allclose(merged[0, :4], [expected_x1, expected_x1 - 100, expected_x1 + 100,
                                              expected_x1 + 100], atol=1e-3)
    np.testing.assert_allclose(merged[1, :4], [210, 0, 300, 200], atol=1e-3)  # alone in its cluster


def test_merge_nms_leaves_out_weak_and_distant_candidates():
    raw = _raw((100, 0, 200, 200, 0.9), (100, 0, 150, 200, 0.85), (90, 0, 190, 200, 0.1))
    merged = merge_nms(raw, conf=0.25, iou=0.6, max_det=100, merge_iou=0.7)[0].numpy()
    # the half-width box overlaps 0.5 (< 0.6: kept as its own pack, < 0.7: not merged); 0.1 is under conf
    np.testing.assert_allclose(merged[:, :4], [[100, 0, 200, 200], [100, 0, 150, 200]], atol=1e-3)


def test_merge_nms_handles_empty_and_full_outputs():
    assert merge_nms(_raw((0, 0, 10, 10, 0.1)), conf=0.25, iou=0.6, max_det=5, merge_iou=0.7)[0].shape == (0, 6)
    many = _raw(*[(x * 20, 0, x * 20 + 15, 30, 0.5 + x / 1000) for x in range(50)])
    kept = merge_nms(many, conf=0.25, iou=0.6, max_det=5, merge_iou=0.7)[0].numpy()
    assert len(kept) == 5 and (np.diff(kept[:, 4]) <= 0).all()


def test_the_mirror_pass_is_turned_back_before_merging():
    # a pack at x 10-30 on a 100 px wide canvas is seen at x 70-90 in the mirror image
    raw = _raw((10, 0, 30, 40, 0.9))
    mirrored = _raw((70, 0, 90, 40, 0.8))
    both = with_mirror_pass(raw, mirrored, 100)
    assert both.shape == (1, 5, 2)
    merged = merge_nms(both, conf=0.25, iou=0.6, max_det=10, merge_iou=0.7)[0].numpy()
    np.testing.assert_allclose(merged, [[10, 0, 30, 40, 0.9, 0]], atol=1e-4)  # one pack, not two


def test_the_mirror_pass_changes_no_box_count_on_a_real_model(tiny_weights, photo):  # noqa: F811
    one_pass = ProductDetector.load(tiny_weights, device="cpu", settings=DetectorSettings(imgsz=320, flip=False))
    two_pass = ProductDetector.load(tiny_weights, device="cpu", settings=DetectorSettings(imgsz=320))
    h, w = photo.shape[:2]
    for boxes in (one_pass.detect([photo])[0], two_pass.detect([photo])[0]):
        assert all(0 <= b.x1 < b.x2 <= w and 0 <= b.y1 < b.y2 <= h for b in boxes)
    # the mirror pass finds the same packs again: they merge, they are not counted twice
    assert abs(len(two_pass.detect([photo])[0]) - len(one_pass.detect([photo])[0])) <= max(
        3, len(one_pass.detect([photo])[0]) // 5
    )
