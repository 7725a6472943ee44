"""Is this a photo of a screen or a print instead of the shelf? ``recapture_score`` 0..1.

Two measurable signs, taken from how such photos are made:

* **Moiré**: a screen's pixel grid or a print's halftone dots are a fine regular pattern; the camera
  samples it and folds it into strong, isolated peaks in the image's 2-D spectrum. Real shelves have
  repeated packs too, but their spectra fall off smoothly apart from the horizontal and vertical
  axes (shelf edges), which are left out. The signal is the highest spectral peak above its local
  background (log-magnitude), on the centre 512 x 512 pixels at full resolution, no resampling.
* **Screen border**: a uniform, dark band (the bezel) along two or more edges, clearly darker
  than the picture inside it.

Colour gamut was measured too (colourfulness of real shelf photos 25-80 against 16-99 for the
simulated recaptures) and left out: it does not separate them.

Calibration: on all 384 real shelf photos of ``sku110k_dev`` and ``shelf_rows_dev`` the moiré
peak has median 1.6, 99th percentile 2.3, maximum 2.8, so 1 photo scores >= 0.5 and none >= 0.8.
Simulated recaptures (``tests/compliance/staging.py``, ``bench/near_duplicates.py --only-staged``):
screens with the bezel in view and halftone prints are all flagged (>= 0.5); a screen photographed
with the bezel cropped out only 25 % of the time, its moiré often being too weak. Real recaptures
are untested.
"""

from __future__ import annotations

import cv2
import numpy as np

PEAK_CLEAN = 2.2  # spectral peak (log units above background) at or below which there is no moiré
PEAK_CERTAIN = 3.0  # peak at which moiré alone makes the score 1
CROP = 512


def _grey(image: np.ndarray) -> np.ndarray:
    array = np.asarray(image, dtype=np.float32)
    return array[:, :, :3].mean(axis=2) if array.ndim == 3 else array


def moire_peak(image: np.ndarray) -> float:
    """Highest isolated peak of the log spectrum above its smoothed background, axes excluded."""
    h, w = image.shape[:2]
    size = min(CROP, h, w) // 2 * 2
    if size < 64:
        return 0.0
    y0, x0 = (h - size) // 2, (w - size) // 2
    patch = _grey(image[y0 : y0 + size, x0 : x0 + size])  # crop first: a 12 MP float copy is slow
    window = np.outer(np.hanning(size), np.hanning(size)).astype(np.float32)
    spectrum = np.log1p(np.abs(np.fft.fftshift(np.fft.fft2((patch - patch.mean()) * window)))).astype(
        np.float32
    )
    residual = spectrum - cv2.GaussianBlur(spectrum, (0, 0), 6)
    yy, xx = np.mgrid[-size // 2 : size // 2, -size // 2 : size // 2]
    radius = np.hypot(xx, yy) / (size / 2)
    keep = (radius > 0.08) & (radius < 0.98) & (np.abs(xx) > 3) & (np.abs(yy) > 3)
    return float(residual[keep].max())


def bezel_sides(image: np.ndarray) -> int:
    """How many image edges carry a uniform band much darker than the picture inside it."""
    h, w = image.shape[:2]
    scale = 512 / max(h, w)
    if scale < 1:  # a bezel is a coarse feature: judge it on a small copy (strided first: cheap)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        step = max(1, int(max(h, w) / 1024))
        image = cv2.resize(np.ascontiguousarray(image[::step, ::step]), size, interpolation=cv2.INTER_AREA)
    grey = _grey(image)
    h, w = grey.shape
    bh, bw, ih0, ih1, iw0, iw1 = (
        int(h * 0.03),
        int(w * 0.03),
        int(h * 0.1),
        int(h * 0.2),
        int(w * 0.1),
        int(w * 0.2),
    )
    if min(bh, bw) < 2:
        return 0
    strips = [
        (grey[:bh], grey[ih0:ih1]),
        (grey[-bh:], grey[h - ih1 : h - ih0]),
        (grey[:, :bw], grey[:, iw0:iw1]),
        (grey[:, -bw:], grey[:, w - iw1 : w - iw0]),
    ]
    return sum(
        1
        for band, inside in strips
        if band.std() < 6 and band.mean() < 0.55 * inside.mean() and inside.mean() - band.mean() > 25
    )


def recapture_signals(image: np.ndarray) -> dict[str, float]:
    return {"moire_peak": round(moire_peak(image), 3), "bezel_sides": float(bezel_sides(image))}


def recapture_score(image: np.ndarray) -> float:
    """0..1 likelihood that ``image`` (BGR or RGB array at full resolution) re-photographs a screen/print."""
    signals = recapture_signals(image)
    moire = (signals["moire_peak"] - PEAK_CLEAN) / (PEAK_CERTAIN - PEAK_CLEAN)
    border = {0: 0.0, 1: 0.3, 2: 0.7}.get(int(signals["bezel_sides"]), 0.9)
    return round(float(np.clip(max(moire, border), 0.0, 1.0)), 3)
