"""The evidence image: boxes coloured by SKU and status, on a copy of the photo."""

from __future__ import annotations

import cv2
import numpy as np

from shelfai.vision.evidence import GAP_COLOUR, UNEXPECTED_COLOUR, UNKNOWN_COLOUR, render_evidence, sku_colour
from shelfai.vision.types import UNKNOWN_SKU, Box, Facing, Gap

GREY_WALL = (60, 60, 60)


def _decode(jpeg: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "not a JPEG"
    return image


def _edge_colour(image: np.ndarray, box: Box, scale: float = 1.0) -> np.ndarray:
    """Median colour along the middle of the box's left edge (JPEG smears single pixels)."""
    x = int(box.x1 * scale)
    y1, y2 = int((box.y1 + box.height * 0.3) * scale), int((box.y2 - box.height * 0.3) * scale)
    return np.median(image[y1:y2, x : x + 2].reshape(-1, 3), axis=0)


def _near(colour: np.ndarray, expected: tuple[int, int, int], tolerance: int = 45) -> bool:
    return bool(np.abs(colour - np.array(expected)).max() <= tolerance)


def _photo(w: int = 1200, h: int = 800) -> np.ndarray:
    return np.full((h, w, 3), GREY_WALL, np.uint8)


def test_boxes_are_coloured_by_sku_unknown_and_unexpected():
    photo = _photo()
    facings = [
        Facing(Box(700, 300, 800, 500), row=1, sku="COLA-330", sku_confidence=0.9),
        Facing(Box(850, 300, 950, 500), row=1, sku=UNKNOWN_SKU, sku_confidence=0.6),
        Facing(Box(1000, 300, 1100, 500), row=1, sku="RIVAL-500", sku_confidence=0.9),
    ]
    image = _decode(render_evidence(photo, facings, [], expected_skus={"COLA-330"}))
    assert image.shape == photo.shape
    assert _near(_edge_colour(image, facings[0].box), sku_colour("COLA-330"))
    assert _near(_edge_colour(image, facings[1].box), UNKNOWN_COLOUR)
    assert _near(_edge_colour(image, facings[2].box), UNEXPECTED_COLOUR)


def test_without_a_planogram_nothing_is_marked_unexpected():
    facing = Facing(Box(900, 300, 1000, 500), row=1, sku="RIVAL-500")
    image = _decode(render_evidence(_photo(), [facing], []))
    assert _near(_edge_colour(image, facing.box), sku_colour("RIVAL-500"))


def test_gaps_are_hatched_red():
    gap = Gap(row=1, box=Box(800, 400, 1000, 600), width_in_facings=2.0)
    image = _decode(render_evidence(_photo(), [], [gap]))
    inside = image[420:580, 820:980].reshape(-1, 3).astype(int)
    reddish = (inside[:, 2] > inside[:, 1] + 40).mean()
    assert 0.05 < reddish < 0.9  # hatch lines over the photo, not a solid block
    assert _near(_edge_colour(image, gap.box), GAP_COLOUR)


def test_the_original_photo_is_untouched_and_large_photos_are_shrunk():
    photo = np.random.default_rng(0).integers(0, 255, (3024, 4032, 3), dtype=np.uint8)
    before = photo.copy()
    facing = Facing(Box(2000, 1000, 2400, 1800), row=1, sku="COLA-330")
    image = _decode(render_evidence(photo, [facing], [], max_side=1600))
    assert np.array_equal(photo, before)
    assert max(image.shape[:2]) == 1600 and image.shape[1] / image.shape[0] == 4032 / 3024


def test_sku_colours_are_stable_distinct_and_never_the_warning_red():
    codes = [f"SKU-{i}" for i in range(40)]
    colours = [sku_colour(c) for c in codes]
    assert colours == [sku_colour(c) for c in codes]
    assert len(set(colours)) == len(codes)
    for b, g, r in colours:
        assert not (r > 180 and g < 80 and b < 80)


def test_the_legend_lists_what_was_seen():
    facings = [Facing(Box(100 + 60 * i, 500, 150 + 60 * i, 700), row=1, sku="COLA-330") for i in range(5)]
    plain = _decode(render_evidence(_photo(), facings, []))
    # The legend panel darkens one corner of the photo and writes on it.
    corners = [plain[5:40, 5:200], plain[5:40, -200:-5]]
    assert any((np.abs(c.astype(int) - GREY_WALL).max(axis=2) > 30).mean() > 0.05 for c in corners)
