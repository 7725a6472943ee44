"""The photo-quality gate: good shelf photos pass, bad ones get a reason the rep can act on."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from shelfai.vision.offline.synthetic import RenderOptions, random_catalog, random_layout, render_shelf
from shelfai.vision.quality import assess_quality
from shelfai.vision.types import Box


@pytest.fixture(scope="module")
def catalog():
    return random_catalog(12, 4, np.random.default_rng(31))


def _shelf(catalog, seed=0, **options):
    rng = np.random.default_rng(seed)
    layout = random_layout(catalog.codes, rng)
    return render_shelf(layout, catalog.pack_images, options=RenderOptions(**options), rng=rng)


def _only_reason(verdict):
    assert not verdict.ok
    assert len(verdict.reasons) == 1, verdict.reasons
    reason = verdict.reasons[0]
    assert reason.endswith(".") and ("retake" in reason or "take" in reason)  # says what to do
    return reason


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_good_shelf_photo_passes_with_its_measurements(catalog, seed):
    scene = _shelf(catalog, seed, perspective=0.05, lighting=0.4, rotation_deg=2.0)
    verdict = assess_quality(scene.image, boxes=[f.box for f in scene.facings])
    assert verdict.ok, verdict.reasons
    assert verdict.reasons == []
    for key in ("sharpness", "brightness", "tilt_deg", "width", "height", "products"):
        assert key in verdict.metrics
    assert abs(verdict.metrics["tilt_deg"]) < 4


def test_a_blurred_photo_is_retaken(catalog):
    scene = _shelf(catalog, blur_sigma=4.0)
    assert "blurred" in _only_reason(assess_quality(scene.image))


def test_a_dark_photo_and_a_black_frame_are_retaken(catalog):
    scene = _shelf(catalog)
    assert "too dark" in _only_reason(assess_quality(cv2.convertScaleAbs(scene.image, alpha=0.2)))
    assert "almost black" in _only_reason(assess_quality(np.zeros((960, 1280, 3), np.uint8)))


def test_an_overexposed_photo_is_retaken(catalog):
    scene = _shelf(catalog)
    washed = cv2.convertScaleAbs(scene.image, alpha=2.0, beta=100)
    assert "overexposed" in _only_reason(assess_quality(washed))


def test_a_thumbnail_is_too_small(catalog):
    thumbnail = cv2.resize(_shelf(catalog).image, (100, 100), interpolation=cv2.INTER_AREA)
    verdict = assess_quality(thumbnail)
    assert "too small (100×100" in _only_reason(verdict)
    assert verdict.metrics["width"] == 100


def test_a_panorama_strip_is_refused():
    strip = np.random.default_rng(0).integers(0, 255, (800, 20000, 3), dtype=np.uint8)
    assert "panorama" in _only_reason(assess_quality(strip))


@pytest.mark.parametrize("degrees", [14.0, -15.0])
def test_a_tilted_photo_is_retaken_with_its_angle(catalog, degrees):
    scene = _shelf(catalog, rotation_deg=degrees, perspective=0.0)
    reason = _only_reason(assess_quality(scene.image))
    assert "tilted by about" in reason
    measured = int(reason.split("about ")[1].split("°")[0])
    assert abs(measured - abs(degrees)) <= 3


def test_a_photo_of_no_shelf_is_retaken():
    # A wall with a couple of soft blobs: exposed and sharp enough, but nothing to score.
    yy, xx = np.mgrid[0:960, 0:1280]
    wall = (120 + 40 * np.sin(xx / 300.0) + 20 * np.cos(yy / 200.0)).astype(np.uint8)
    wall = cv2.merge([wall, wall, (wall * 0.9).astype(np.uint8)])
    cv2.circle(wall, (400, 500), 120, (60, 90, 160), -1)
    assert "No shelf" in _only_reason(assess_quality(wall))


def test_a_shelf_where_the_detector_found_no_products_is_retaken(catalog):
    scene = _shelf(catalog)
    assert "No shelf" in _only_reason(assess_quality(scene.image, boxes=[Box(0, 0, 50, 80)]))


def test_an_unreadable_array_gets_a_reason_not_a_crash():
    verdict = assess_quality(np.zeros((0, 0, 3), np.uint8))
    assert not verdict.ok and "not a readable photo" in verdict.reasons[0]
