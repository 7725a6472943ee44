"""Staged photos for tests and benchmarks: a shelf photo re-photographed from a screen or a print.

Simple physical models, not real recaptures: a display is a grid of R, G, B sub-pixel stripes
with dark gaps, a print is a halftone dot screen; the "camera" views it slightly tilted and
samples it, which folds the fine grid into moiré, and may include the screen's dark bezel.
"""

from __future__ import annotations

import cv2
import numpy as np


def _expose(photo: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Auto-exposure: scale the photo so its centre is as bright as the original scene."""
    h, w = photo.shape[:2]
    centre = photo[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4].astype(np.float32)
    gain = float(like.mean()) / max(1.0, float(centre.mean()))
    return np.clip(photo.astype(np.float32) * gain, 0, 255).astype(np.uint8)


def _camera(
    flat: np.ndarray, out_size: tuple[int, int], rng: np.random.Generator, border: float
) -> np.ndarray:
    """View ``flat`` with a small tilt and roll, filling ``out_size``; ``border`` = margin shown around it."""
    h, w = flat.shape[:2]
    ow, oh = out_size
    m = border
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = rng.uniform(-0.015, 0.015, (4, 2)) * [ow, oh]
    dst = np.float32(
        [[m * ow, m * oh], [(1 - m) * ow, m * oh], [(1 - m) * ow, (1 - m) * oh], [m * ow, (1 - m) * oh]]
    )
    matrix = cv2.getPerspectiveTransform(src, (dst + jitter).astype(np.float32))
    # Sample at 2x then average down: a sensor integrates light over its pixels but still aliases.
    scale = np.diag([2.0, 2.0, 1.0]).astype(np.float64)
    big = cv2.warpPerspective(
        flat,
        scale @ matrix,
        (ow * 2, oh * 2),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(6, 6, 7),
    )
    return cv2.resize(big, (ow, oh), interpolation=cv2.INTER_AREA)


def photograph_screen(
    image: np.ndarray, rng: np.random.Generator, *, pitch: int = 3, bezel: bool = True
) -> np.ndarray:
    """``image`` (BGR) shown on an LCD and photographed; returns a BGR photo of the same size."""
    h, w = image.shape[:2]
    shown = cv2.resize(image, (w * pitch, h * pitch), interpolation=cv2.INTER_NEAREST).astype(np.float32)
    cell = np.zeros((pitch, pitch, 3), np.float32)
    for channel, bgr in enumerate((2, 1, 0)):  # R, G, B stripes left to right
        x0, x1 = channel * pitch // 3, (channel + 1) * pitch // 3
        cell[: pitch - (1 if pitch > 2 else 0), x0 : max(x1, x0 + 1), bgr] = 1.0
    mask = np.tile(cell, (h, w, 1))
    shown = (shown * mask).astype(np.uint8)
    photo = _expose(_camera(shown, (w, h), rng, border=0.05 if bezel else -0.02), image)
    photo = cv2.GaussianBlur(photo, (0, 0), 0.6)
    noise = rng.normal(0, 2.5, photo.shape).astype(np.float32)
    return np.clip(photo.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def photograph_print(image: np.ndarray, rng: np.random.Generator, *, cell: int = 4) -> np.ndarray:
    """``image`` printed with a halftone dot screen and photographed flat (no border)."""
    h, w = image.shape[:2]
    big = cv2.resize(image, (w * 2, h * 2), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255
    yy, xx = np.mgrid[0 : h * 2, 0 : w * 2].astype(np.float32)
    angle = np.radians(15)
    u = (xx * np.cos(angle) + yy * np.sin(angle)) / cell
    v = (-xx * np.sin(angle) + yy * np.cos(angle)) / cell
    dist = np.sqrt((u - np.round(u)) ** 2 + (v - np.round(v)) ** 2) / 0.7071  # 0 at dot centre, 1 at corner
    ink = 1 - big  # darker colour = bigger dot
    printed = np.where(dist[..., None] < np.sqrt(ink), 0.15, 0.95) * 255
    paper = printed.astype(np.uint8)
    photo = _expose(_camera(paper, (w, h), rng, border=-0.02), image)
    noise = rng.normal(0, 2.5, photo.shape).astype(np.float32)
    return np.clip(photo.astype(np.float32) + noise, 0, 255).astype(np.uint8)
