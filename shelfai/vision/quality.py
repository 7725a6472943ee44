"""Photo-quality gate: is this photo fit to be scored, and if not, what should the rep do?

A bad photo must get a "retake" with a reason, never a false out-of-stock. Every check runs on a
grey copy shrunk to ``WORK_SIDE`` pixels on its long side, so the measures mean the same on a 12 MP
phone photo and on a 1 MP upload, and the gate costs a few tens of milliseconds.

Thresholds were set on real shelf photos (all of ``sku110k_dev/images/val`` and
``shelf_rows_dev`` pass) and on blurred, darkened, brightened and rotated copies of them (these
fail); ``bench/quality_gate.py`` re-measures both.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from shelfai.vision.types import Box, QualityVerdict

WORK_SIDE = 1024
MIN_SHORT_SIDE = 480  # pixels; below this, products are a few pixels wide
MIN_MEGAPIXELS = 0.3
MAX_ASPECT = 3.5  # long side / short side; beyond this it is a panorama or a strip
MIN_SHARPNESS = 35.0  # variance of the Laplacian at WORK_SIDE; sharp shelf photos score 70-3000
DARK_MEAN, BRIGHT_MEAN = 45.0, 215.0  # mean grey level
MAX_CLIPPED_SHARE = 0.25  # share of pure white pixels: glare or a window washing out products
MAX_TILT_DEG = 8.0  # real shelf photos measure within 7.5° (aisle views included)
MIN_COARSE_DETAIL = 0.15  # see _coarse_detail: real shelf photos 0.59+, blurred ones 0.55+, a wall 0.01
# Share of edge strength within 8° of vertical/horizontal. Real shelf photos: 0.32-0.80 (5th
# percentile 0.35); a football crowd photo: 0.22. Kept low: it only catches photos of no shelf at all.
MIN_STRAIGHT_EDGES = 0.25
MIN_PRODUCTS = 3  # detector boxes; fewer and there is no shelf to score

# What each refusal tells the rep, in English, by code. The code and its parameters are stored too
# (``QualityVerdict.codes``), and ``shelfai.detection.messages`` writes them in the reader's language.
REASONS = {
    "unreadable": "The file is not a readable photo — retake it with the phone camera and upload it again.",
    "small": "The photo is too small ({w}×{h} pixels) — take it with the phone camera at full "
    "resolution, not a screenshot or a thumbnail.",
    "panorama": "The photo is a {w}×{h} strip, far too wide or tall to read the products — take one "
    "normal photo per shelf section instead of a panorama.",
    "almost_black": "The photo is almost black — check that nothing covers the lens, then retake it.",
    "too_dark": "The photo is too dark to see the products — turn on the aisle light or use the flash, then retake.",
    "overexposed": "The photo is overexposed (almost white) — step out of direct light and tap the "
    "shelf on screen to set exposure, then retake.",
    "glare": "Part of the photo is washed out by glare — change your angle so lights and windows "
    "do not reflect on the packs, then retake.",
    "no_shelf": "No shelf with products was found in this photo — stand in front of the shelf so the "
    "products fill the frame, then retake.",
    "blurred": "The photo is blurred — hold the phone still and tap the shelf on screen to focus, then retake.",
    "tilted": "The photo is tilted by about {degrees}° — hold the phone level with the shelf edge, then retake.",
}


def _refuse(verdict_reasons: list[str], codes: list[dict], code: str, **params) -> None:
    verdict_reasons.append(REASONS[code].format(**params))
    codes.append({"code": code, "params": params})


def _working_grey(image: np.ndarray) -> np.ndarray:
    """Grey copy with its long side at WORK_SIDE. Exact halvings first: OpenCV's area resize has a
    fast path for them (1.4 ms on a 12 MP frame, against 21 ms for one arbitrary-ratio resize), and
    averaging keeps sensor noise from passing for sharpness."""
    if image.ndim == 3:
        grey = cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY)
    else:
        grey = image
    while max(grey.shape) >= 2 * WORK_SIDE:
        grey = cv2.resize(grey, (grey.shape[1] // 2, grey.shape[0] // 2), interpolation=cv2.INTER_AREA)
    scale = WORK_SIDE / max(grey.shape)
    if scale < 1:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return grey


def _roll_and_edges(grey: np.ndarray) -> tuple[float, float, float]:
    """Camera roll in degrees, from the product and upright edges that should be vertical; the share
    of edge pixels; and the share of edge strength that runs vertical or horizontal (shelves are
    built of upright packs on level boards, a face or a street scene is not).

    Vertical edges stay vertical when the rep photographs along the aisle (the shelf lines then
    converge by 15-20°, which is fine for scoring), but turn with the phone when it is not held
    level. A Hough transform on the shelf lines confused the two and took ~170 ms on a dense shelf;
    this histogram of gradient directions takes a few milliseconds.
    """
    small = cv2.resize(grey, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    gx = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = cv2.magnitude(gx, gy)
    strong = magnitude > max(float(np.percentile(magnitude, 85)), 20.0)
    edge_share = float(np.count_nonzero(strong)) / strong.size
    if edge_share < 0.002:
        return 0.0, edge_share, 0.0
    # Direction of the edge normal folded to -90..90: a vertical edge has its normal near 0.
    normal = (np.degrees(np.arctan2(gy[strong], gx[strong])) + 90) % 180 - 90
    hist, _ = np.histogram(normal, bins=180, range=(-90, 90), weights=magnitude[strong])
    smooth = np.convolve(np.concatenate([hist[-2:], hist, hist[:2]]), [1, 2, 3, 2, 1], "valid")
    centres = np.arange(180) - 89.5
    near_vertical = np.abs(centres) <= 30
    peak = int(np.argmax(np.where(near_vertical, smooth, -1)))
    # Parabolic refinement of the peak between its neighbouring bins.
    left, mid, right = smooth[peak - 1], smooth[peak], smooth[(peak + 1) % 180]
    offset = 0.5 * (left - right) / (left - 2 * mid + right) if (left - 2 * mid + right) < 0 else 0.0
    roll = float(centres[peak] + offset)
    straight = (np.abs(normal - roll) < 8) | (np.abs(normal - roll) > 82)
    weights = magnitude[strong]
    return roll, edge_share, float(weights[straight].sum() / weights.sum())


def _coarse_detail(grey: np.ndarray) -> float:
    """Share of clear brightness steps at 1/8 scale. Packs and shelf edges keep it above 0.5 even
    through heavy blur; a blank wall or the floor stays near 0."""
    tiny = cv2.resize(grey, None, fx=1 / 8, fy=1 / 8, interpolation=cv2.INTER_AREA)
    gx = cv2.Sobel(tiny, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(tiny, cv2.CV_32F, 0, 1)
    return float(np.count_nonzero(cv2.magnitude(gx, gy) > 40)) / tiny.size


def _exposure_code(grey: np.ndarray, metrics: dict[str, float]) -> str | None:
    mean = float(grey.mean())
    clipped = float(np.count_nonzero(grey >= 250)) / grey.size
    metrics.update(brightness=round(mean, 1), clipped_share=round(clipped, 3))
    if mean < 8:
        return "almost_black"
    if mean < DARK_MEAN:
        return "too_dark"
    if mean > BRIGHT_MEAN:
        return "overexposed"
    if clipped > MAX_CLIPPED_SHARE:
        return "glare"
    return None


def assess_quality(image: np.ndarray, *, boxes: Sequence[Box] | None = None) -> QualityVerdict:
    """Judge resolution, shape, exposure, blur, tilt and whether this is a shelf at all.

    ``boxes`` are the detector's product boxes when the caller already has them; with fewer than
    ``MIN_PRODUCTS`` the photo is not scored.
    """
    reasons: list[str] = []
    codes: list[dict] = []
    if image is None or image.ndim not in (2, 3) or image.size == 0:
        _refuse(reasons, codes, "unreadable")
        return QualityVerdict(ok=False, reasons=reasons, codes=codes)
    h, w = image.shape[:2]
    metrics: dict[str, float] = {
        "width": float(w),
        "height": float(h),
        "megapixels": round(w * h / 1e6, 2),
        "aspect": round(max(w, h) / min(w, h), 2),
    }
    if max(w, h) / min(w, h) > MAX_ASPECT:
        _refuse(reasons, codes, "panorama", w=w, h=h)
    elif min(w, h) < MIN_SHORT_SIDE or w * h < MIN_MEGAPIXELS * 1e6:
        _refuse(reasons, codes, "small", w=w, h=h)
    if reasons:  # nothing else can be judged on a thumbnail or a strip
        return QualityVerdict(ok=False, reasons=reasons, metrics=metrics, codes=codes)

    if image.dtype != np.uint8:  # 16-bit PNGs and float arrays: judge them on the usual 0-255 scale
        peak = 65535.0 if image.dtype == np.uint16 else max(1.0, float(image.max()))
        image = cv2.convertScaleAbs(image, alpha=255.0 / peak)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    grey = _working_grey(image)
    exposure = _exposure_code(grey, metrics)
    if exposure:  # blur and shelf checks are meaningless on a dark or washed-out frame; fix light first
        _refuse(reasons, codes, exposure)
        return QualityVerdict(ok=False, reasons=reasons, metrics=metrics, codes=codes)
    detail = _coarse_detail(grey)
    sharpness = float(cv2.Laplacian(grey, cv2.CV_32F).var())
    tilt, edge_density, straight_share = _roll_and_edges(grey)
    metrics.update(
        sharpness=round(sharpness, 1),
        coarse_detail=round(detail, 3),
        tilt_deg=round(tilt, 1),
        edge_density=round(edge_density, 4),
        straight_edges=round(straight_share, 3),
    )
    if detail < MIN_COARSE_DETAIL:  # a wall, floor or ceiling: nothing there even before any blur
        _refuse(reasons, codes, "no_shelf")
        return QualityVerdict(ok=False, reasons=reasons, metrics=metrics, codes=codes)
    if sharpness < MIN_SHARPNESS:
        _refuse(reasons, codes, "blurred")
    if abs(tilt) > MAX_TILT_DEG:
        _refuse(reasons, codes, "tilted", degrees=round(abs(tilt)))
    not_a_shelf = straight_share < MIN_STRAIGHT_EDGES
    if boxes is not None:
        metrics["products"] = float(len(boxes))
        not_a_shelf = not_a_shelf or len(boxes) < MIN_PRODUCTS
    if not_a_shelf and sharpness >= MIN_SHARPNESS:  # a blurred shelf also hides its products
        _refuse(reasons, codes, "no_shelf")
    return QualityVerdict(ok=not reasons, reasons=reasons, metrics=metrics, codes=codes)
