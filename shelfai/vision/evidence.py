"""Evidence image: a JPEG copy of the photo with every facing boxed and coloured by what it is.

Marketing and finance open it to see why a score or a claim verdict came out as it did; the
original photo is never touched (we draw on a resized copy).

Colours: each SKU has its own stable colour (the same in every photo), unknown products are grey,
SKUs that are not expected on this shelf are red with a thick border, and gaps are hatched red.
"""

from __future__ import annotations

import hashlib
from collections import Counter

import cv2
import numpy as np

from shelfai.vision.types import UNKNOWN_SKU, Facing, Gap

UNKNOWN_COLOUR = (150, 150, 150)
UNEXPECTED_COLOUR = (0, 0, 235)
GAP_COLOUR = (40, 40, 255)
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_LEGEND_ROWS = 12


def sku_colour(sku: str) -> tuple[int, int, int]:
    """A bright BGR colour derived from the SKU code: stable across photos, runs and processes.

    Reds are left out so that "not expected" red stays unambiguous.
    """
    digest = hashlib.blake2b(sku.encode(), digest_size=4).digest()
    hue = 15 + digest[0] * 150 // 256  # OpenCV hue 15..164: skips the reds near 0/180
    sat, val = 170 + digest[1] % 80, 190 + digest[2] % 60
    b, g, r = cv2.cvtColor(np.uint8([[[hue, sat, val]]]), cv2.COLOR_HSV2BGR)[0, 0]
    return int(b), int(g), int(r)


def _ascii(text: str, limit: int = 28) -> str:
    # OpenCV's Hershey fonts draw ASCII only.
    clean = text.encode("ascii", "replace").decode()
    return clean if len(clean) <= limit else clean[: limit - 1] + "~"


def _facing_style(facing: Facing, expected: set[str] | None) -> tuple[tuple[int, int, int], int, str]:
    if facing.sku == UNKNOWN_SKU:
        return UNKNOWN_COLOUR, 1, "unknown product"
    if expected is not None and facing.sku not in expected:
        return UNEXPECTED_COLOUR, 3, f"{facing.sku} (not expected)"
    return sku_colour(facing.sku), 2, facing.sku


def _hatch(canvas: np.ndarray, x1: int, y1: int, x2: int, y2: int, step: int) -> None:
    cv2.rectangle(canvas, (x1, y1), (x2, y2), GAP_COLOUR, 2)
    region = canvas[y1:y2, x1:x2]
    if region.size == 0:
        return
    lines = region.copy()
    h, w = region.shape[:2]
    for offset in range(-h, w, step):
        cv2.line(lines, (offset, h), (offset + h, 0), GAP_COLOUR, 1, cv2.LINE_AA)
    cv2.addWeighted(lines, 0.7, region, 0.3, 0, dst=region)


def _quietest_corner(
    canvas_shape: tuple[int, ...], width: int, height: int, boxes: list[tuple[int, int, int, int]]
) -> tuple[int, int]:
    """Top-left point of the corner where the legend hides the least box area."""
    h, w = canvas_shape[:2]
    corners = [(5, 5), (w - width - 5, 5), (5, h - height - 5), (w - width - 5, h - height - 5)]

    def hidden(corner: tuple[int, int]) -> int:
        x, y = corner
        return sum(
            max(0, min(x + width, x2) - max(x, x1)) * max(0, min(y + height, y2) - max(y, y1))
            for x1, y1, x2, y2 in boxes
        )

    return min(corners, key=hidden)


def _legend(
    canvas: np.ndarray,
    entries: list[tuple[tuple[int, int, int], str]],
    scale: float,
    boxes: list[tuple[int, int, int, int]],
) -> None:
    if not entries:
        return
    line_h = int(22 * scale)
    shown = entries[:_LEGEND_ROWS]
    if len(entries) > _LEGEND_ROWS:
        shown.append(((255, 255, 255), f"... and {len(entries) - _LEGEND_ROWS} more"))
    width = int(
        min(
            canvas.shape[1] - 10,
            30 * scale + max(cv2.getTextSize(label, _FONT, 0.5 * scale, 1)[0][0] for _, label in shown),
        )
    )
    height = min(canvas.shape[0] - 10, line_h * len(shown) + int(8 * scale))
    x0, y0 = _quietest_corner(canvas.shape, width, height, boxes)
    panel = canvas[y0 : y0 + height, x0 : x0 + width]
    panel[:] = (panel * 0.35).astype(np.uint8)  # darken behind the text so it reads on any photo
    for i, (colour, label) in enumerate(shown):
        y = y0 + int(4 * scale) + i * line_h
        cv2.rectangle(canvas, (x0 + 7, y + 3), (x0 + 7 + int(16 * scale), y + line_h - 4), colour, -1)
        cv2.putText(
            canvas,
            label,
            (x0 + int(12 + 18 * scale), y + line_h - 6),
            _FONT,
            0.5 * scale,
            (255, 255, 255),
            1,
            cv2.LINE_AA,
        )


def render_evidence(
    image: np.ndarray,
    facings: list[Facing],
    gaps: list[Gap],
    *,
    expected_skus: set[str] | None = None,
    max_side: int = 1600,
    jpeg_quality: int = 85,
) -> bytes:
    """JPEG bytes of the annotated photo, at most ``max_side`` pixels on its long side.

    ``expected_skus``: the SKUs the planogram (or paid placement) expects on this shelf; other
    recognised SKUs are drawn red. None means no expectation, so nothing is marked unexpected.
    """
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        canvas = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    else:
        canvas = image.copy()
    if canvas.ndim == 2:
        canvas = cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR)
    text_scale = max(0.6, max(canvas.shape[:2]) / 1200)

    def corners(box) -> tuple[int, int, int, int]:
        return (int(box.x1 * scale), int(box.y1 * scale), int(box.x2 * scale), int(box.y2 * scale))

    for gap in gaps:
        _hatch(canvas, *corners(gap.box), step=max(6, int(10 * text_scale)))
    drawn: list[tuple[int, int, int, int]] = []
    counts: Counter[str] = Counter()
    styles: dict[str, tuple[tuple[int, int, int], str]] = {}
    for facing in facings:
        colour, thickness, label = _facing_style(facing, expected_skus)
        x1, y1, x2, y2 = corners(facing.box)
        drawn.append((x1, y1, x2, y2))
        cv2.rectangle(canvas, (x1, y1), (x2, y2), colour, max(1, int(thickness * text_scale)))
        counts[facing.sku] += 1
        styles.setdefault(facing.sku, (colour, label))
    if gaps:
        counts["\0gap"] = len(gaps)  # a key no SKU code can have
        styles["\0gap"] = (GAP_COLOUR, "gap (empty space)")
    entries = [(styles[k][0], _ascii(f"{styles[k][1]} x{n}", 40)) for k, n in counts.most_common()]
    _legend(canvas, entries, text_scale, drawn + [corners(g.box) for g in gaps])
    ok, encoded = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
    if not ok:
        raise ValueError("Could not encode the evidence image as JPEG")
    return encoded.tobytes()
