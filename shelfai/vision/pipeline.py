"""One shelf photo in, one :class:`PhotoAnalysis` out: decode → quality gate → detect → rows → gaps → SKUs.

Pure: no Django, no files written. The intake API calls :func:`load_oriented_image` to validate an upload
before it is stored; the analysis task calls it again on the stored bytes and hands the pixels to
:func:`analyze_image`.
"""

from __future__ import annotations

import inspect
import io
import time
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from shelfai.pil_safety import pillow_open
from shelfai.vision.detector import ProductDetector
from shelfai.vision.gaps import find_gaps
from shelfai.vision.rows import assign_rows, bay_uprights
from shelfai.vision.types import UNKNOWN_SKU, Box, Facing, ImageRejected, PhotoAnalysis, QualityVerdict

# 64 MP: every phone camera's default output (12-50 MP) fits; a 40000 x 40000 "PNG bomb" (1.6 GP, which
# would need ~5 GB of RAM once decoded) does not. Checked from the header, before any pixel is decoded.
DEFAULT_MAX_PIXELS = 64_000_000
ACCEPTED_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WebP", "HEIF": "HEIC", "HEIC": "HEIC",
                    "AVIF": "AVIF"}

_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        try:
            from pillow_heif import register_heif_opener

            register_heif_opener()
        except ImportError:  # HEIC then comes out as "unsupported type"
            pass
        _heif_registered = True


def load_oriented_image(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS, *, max_side: int | None = None
                        ) -> np.ndarray:
    """Decode JPEG/PNG/WebP/HEIC bytes to a BGR ``uint8`` array, upright as the phone showed it.

    EXIF orientation is applied (phones store portrait shots as rotated landscape pixels). Raises
    :class:`ImageRejected` for an empty file, something that is not an image, an unsupported type, a
    truncated file, or more than ``max_pixels`` pixels (checked before decoding, so a decompression bomb
    never allocates its pixels).

    ``max_side`` lets a JPEG be decoded at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling, several times
    faster than a full decode) while keeping its long side at least ``max_side``; coordinates then refer
    to the returned, smaller image. Other formats are always decoded at full size.
    """
    if not data:
        raise ImageRejected("The file is empty (0 bytes). Take or choose the photo again.", reason="empty")
    _register_heif()
    try:
        with pillow_open(io.BytesIO(data)) as image:
            kind = ACCEPTED_FORMATS.get(image.format or "")
            if kind is None:
                raise ImageRejected(
                    f"{image.format or 'This'} images are not accepted. Send a JPEG, PNG, WebP or HEIC photo.",
                    reason="unsupported_type",
                )
            width, height = image.size
            if width * height > max_pixels:
                raise ImageRejected(
                    f"The image is {width} x {height} pixels ({width * height / 1e6:.0f} MP); the limit is "
                    f"{max_pixels / 1e6:.0f} MP. Send the camera's normal photo, not a stitched or upscaled one.",
                    reason="too_many_pixels",
                )
            if ImageFile.LOAD_TRUNCATED_IMAGES:  # someone relaxed Pillow globally; uploads stay strict
                raise ImageRejected("Pillow is set to accept truncated images; refusing to guess.", reason="config")
            if max_side and kind == "JPEG" and max(width, height) > max_side:
                shrink = max_side / max(width, height)
                image.draft("RGB", (int(np.ceil(width * shrink)), int(np.ceil(height * shrink))))
            image.load()  # decode now, so a truncated file fails here and not halfway through analysis
            if image.getexif().get(0x0112, 1) != 1:  # EXIF orientation: how the phone was held
                image = ImageOps.exif_transpose(image)
            rgb = image if image.mode == "RGB" else image.convert("RGB")
            pixels = cv2.cvtColor(np.asarray(rgb), cv2.COLOR_RGB2BGR)
    except ImageRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageRejected(  # Pillow's own guard fired first (over ~179 MP), before ours could
            f"The image has far too many pixels to decode safely; the limit is {max_pixels / 1e6:.0f} MP. "
            "Send the camera's normal photo, not a stitched or upscaled one.",
            reason="too_many_pixels",
        ) from exc
    except (UnidentifiedImageError, ImportError) as exc:
        raise ImageRejected(
            "The file is not an image we can read. Send a JPEG, PNG, WebP or HEIC photo.", reason="not_an_image"
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:  # Pillow's ways of saying "broken file"
        raise ImageRejected(
            f"The image file is damaged or incomplete ({exc}). Upload the photo again.", reason="truncated"
        ) from exc
    return pixels


# --------------------------------------------------------------------------------------------- analysis
def _quality_gate() -> Callable[..., QualityVerdict]:
    from shelfai.vision.quality import assess_quality

    return assess_quality


def _accepts_boxes(fn: Callable[..., Any]) -> bool:
    try:
        return "boxes" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class _Stopwatch:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    def run(self, stage: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            self.timings[stage] = round((time.perf_counter() - started) * 1000, 1)


def analyze_image(image_bgr: np.ndarray, *, detector: ProductDetector, catalog: Any = None) -> PhotoAnalysis:
    """Analyse one oriented BGR photo. A photo that fails the quality gate gets ``quality.ok=False``,
    its reasons, and no rows or gaps: a bad photo must never be reported as an out-of-stock shelf.

    The gate runs twice when it can judge boxes: first on the pixels alone (blur, exposure, size — a bad
    photo is refused before paying for detection), then with the detected boxes ("is this a shelf?").
    """
    return analyze_images([image_bgr], detector=detector, catalog=catalog)[0]


def analyze_images(images: list[np.ndarray], *, detector: ProductDetector, catalog: Any = None
                   ) -> list[PhotoAnalysis]:
    """:func:`analyze_image` for several photos, with one detector call for all the photos that pass the
    pixel gate: on CUDA that is one batched forward pass (``DetectorSettings.batch`` photos at a time).
    Each photo's ``timings_ms["detect"]`` is its share of the batch."""
    gate = _quality_gate()
    watches = [_Stopwatch() for _ in images]
    verdicts = [watch.run("quality", gate, image) for watch, image in zip(watches, images, strict=True)]
    passing = [i for i, verdict in enumerate(verdicts) if verdict.ok]
    found: dict[int, list[Box]] = {}
    if passing:
        started = time.perf_counter()
        boxes_per_image = detector.detect([images[i] for i in passing])
        share = round((time.perf_counter() - started) * 1000 / len(passing), 1)
        for i, boxes in zip(passing, boxes_per_image, strict=True):
            found[i] = boxes
            watches[i].timings["detect"] = share
    return [
        _after_detection(image, verdicts[i], found.get(i), watches[i], gate, catalog)
        for i, image in enumerate(images)
    ]


def _after_detection(image_bgr: np.ndarray, verdict: QualityVerdict, boxes: list[Box] | None,
                     watch: _Stopwatch, gate: Callable[..., QualityVerdict], catalog: Any) -> PhotoAnalysis:
    h, w = image_bgr.shape[:2]
    if boxes is None:  # refused by the pixel gate: never detected
        return PhotoAnalysis(width=w, height=h, quality=verdict, timings_ms=watch.timings)
    if _accepts_boxes(gate):
        verdict = watch.run("quality_boxes", gate, image_bgr, boxes=boxes)
        if not verdict.ok:
            facings = [Facing(box=b) for b in boxes]  # shown on the evidence image, never scored
            return PhotoAnalysis(width=w, height=h, quality=verdict, facings=facings, timings_ms=watch.timings)

    uprights = watch.run("uprights", bay_uprights, image_bgr, boxes)
    levels, rows = watch.run("rows", assign_rows, boxes, h, w, uprights=uprights)
    gaps = watch.run("gaps", find_gaps, boxes, rows, levels, image_size=(h, w), image=image_bgr,
                     uprights=uprights)
    skus = watch.run("sku", _identify, catalog, image_bgr, boxes)
    facings = [
        Facing(box=b, row=level, sku=sku, sku_confidence=conf)
        for b, level, (sku, conf) in zip(boxes, levels, skus, strict=True)
    ]
    return PhotoAnalysis(width=w, height=h, quality=verdict, facings=facings, rows=rows, gaps=gaps,
                         timings_ms=watch.timings)


def _identify(catalog: Any, image: np.ndarray, boxes: list[Box]) -> list[tuple[str, float]]:
    if catalog is None or not boxes:
        return [(UNKNOWN_SKU, 0.0)] * len(boxes)
    return catalog.identify(image, boxes)


def analyze_boxes(image_bgr: np.ndarray, boxes: list[Box], *, known: list[tuple[str, float] | None],
                  quality: QualityVerdict, catalog: Any = None) -> PhotoAnalysis:
    """Rows, gaps and SKUs for boxes someone else found: a reviewer's corrected set (a wrong box taken
    out, a missed one drawn in). ``known[i]`` is box i's SKU and confidence when it is already known (a
    reviewer named it, or it was recognised before), else None and the catalog is asked. The photo's
    quality verdict is the one given: a reviewer's correction does not re-judge the photo."""
    watch = _Stopwatch()
    h, w = image_bgr.shape[:2]
    if not boxes:
        return PhotoAnalysis(width=w, height=h, quality=quality, timings_ms=watch.timings)
    uprights = watch.run("uprights", bay_uprights, image_bgr, boxes)
    levels, rows = watch.run("rows", assign_rows, boxes, h, w, uprights=uprights)
    gaps = watch.run("gaps", find_gaps, boxes, rows, levels, image_size=(h, w), image=image_bgr,
                     uprights=uprights)
    ask = [i for i, k in enumerate(known) if k is None]
    asked = dict(zip(ask, watch.run("sku", _identify, catalog, image_bgr, [boxes[i] for i in ask]), strict=True))
    facings = [Facing(box=b, row=level, sku=(known[i] or asked[i])[0], sku_confidence=(known[i] or asked[i])[1])
               for i, (b, level) in enumerate(zip(boxes, levels, strict=True))]
    return PhotoAnalysis(width=w, height=h, quality=quality, facings=facings, rows=rows, gaps=gaps,
                         timings_ms=watch.timings)
