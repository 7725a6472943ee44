"""Synthetic shelf photos with exact ground truth.

A scene is drawn flat (shelf boards, the shadowed bay behind each row, products standing on them with
dark seams between neighbours, price tags, empty voids showing the shelf floor), then degraded
like a phone photo: occlusion, lighting gradient, perspective, blur and noise. Every facing box is
pushed through the same perspective transform, so the truth (boxes, SKUs, rows, gaps) matches the
pixels. Everything random comes from the caller's ``numpy`` Generator: same seed, same scene.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from shelfai.vision.offline.packart import SyntheticCatalog, random_catalog
from shelfai.vision.types import UNKNOWN_SKU, Box, Facing, Gap, ShelfRow

__all__ = [
    "Distractors",
    "RenderOptions",
    "ShelfLayout",
    "Slot",
    "SyntheticScene",
    "random_catalog",
    "random_layout",
    "render_shelf",
]


@dataclass(frozen=True, slots=True)
class Slot:
    """``facings`` side-by-side packs of one SKU, or an empty stretch that wide when ``sku`` is None."""

    sku: str | None
    facings: int = 1


@dataclass(slots=True)
class ShelfLayout:
    """A planogram-like spec: shelf rows from the top, each a left-to-right list of slots."""

    rows: list[list[Slot]]

    @classmethod
    def from_rows(cls, rows: list[list[tuple[str | None, int]]]) -> ShelfLayout:
        return cls([[Slot(sku, n) for sku, n in row] for row in rows])


@dataclass(slots=True)
class Distractors:
    """Packs that are not in the catalog; facings drawn from them are labelled ``UNKNOWN_SKU``.

    ``lookalikes`` maps a catalog SKU to packs of the same brand in another flavour or size;
    ``unknowns`` are packs of other brands.
    """

    lookalikes: dict[str, list[np.ndarray]] = field(default_factory=dict)
    unknowns: list[np.ndarray] = field(default_factory=list)

    @classmethod
    def from_catalog(cls, catalog: SyntheticCatalog, rng: np.random.Generator, n_unknown: int = 12) -> Distractors:
        return cls(dict(catalog.lookalikes), catalog.unknown_packs(n_unknown, rng))


@dataclass(frozen=True, slots=True)
class RenderOptions:
    size: tuple[int, int] = (1280, 960)  # (w, h) of the photo
    perspective: float = 0.04  # corner jitter of the view, as a fraction of the image size
    rotation_deg: float = 0.0  # in-plane camera roll (a tilted photo)
    lighting: float = 0.3  # strength of the uneven lighting (0 = even)
    exposure: float = 1.0  # global brightness gain
    blur_sigma: float = 0.6  # Gaussian blur in pixels of the output
    noise_sigma: float = 3.0  # sensor noise, grey levels
    occlusion_rate: float = 0.03  # share of facings partly hidden (hand, shelf talker, other pack)
    price_tags: bool = True
    unknown_rate: float = 0.0  # share of slots holding a product of a brand not in the catalog
    lookalike_rate: float = 0.0  # share of slots holding an unlisted flavour/size of the slot's brand
    pack_jitter: float = 0.06  # per-facing brightness variation
    palette: str | None = None  # back panel / board colours ("white", "grey", "dark", "wood"); None = random


@dataclass(slots=True)
class SyntheticScene:
    image: np.ndarray  # BGR uint8
    facings: list[Facing]  # ground truth: box after the warp, SKU (or UNKNOWN_SKU), row level
    rows: list[ShelfRow]
    gaps: list[Gap]
    homography: np.ndarray  # flat drawing -> photo
    # Per facing, where its pack came from: "catalog", "lookalike" (unlisted sibling) or "foreign".
    facing_kinds: list[str] = field(default_factory=list)

    def to_yolo_labels(self) -> str:
        """YOLO txt for the facings: ``0 xc yc w h`` per line, normalised (class 0 = product)."""
        h, w = self.image.shape[:2]
        lines = [
            f"0 {f.box.cx / w:.6f} {f.box.cy / h:.6f} {f.box.width / w:.6f} {f.box.height / h:.6f}"
            for f in self.facings
        ]
        return "\n".join(lines) + ("\n" if lines else "")

    def write_yolo(self, images_dir: Path, labels_dir: Path, stem: str, jpeg_quality: int = 90) -> None:
        images_dir.mkdir(parents=True, exist_ok=True)
        labels_dir.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(images_dir / f"{stem}.jpg"), self.image, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
        (labels_dir / f"{stem}.txt").write_text(self.to_yolo_labels())


def random_layout(
    skus: list[str],
    rng: np.random.Generator,
    *,
    n_rows: int = 5,
    facings_per_row: tuple[int, int] = (13, 20),
    facings: tuple[int, int] = (1, 4),
    gap_rate: float = 0.06,
) -> ShelfLayout:
    """Rows of SKU blocks, with look-alike siblings often side by side as stores place them.

    ``facings_per_row`` should roughly fill the photo width (13-20 suits 5 rows in a 4:3 photo); a
    row that is too short leaves an empty stretch, which the renderer reports as a gap.
    """
    order = sorted(skus)  # codes share a brand prefix, so neighbours in this order are siblings
    rows = []
    for _ in range(n_rows):
        target = int(rng.integers(facings_per_row[0], facings_per_row[1] + 1))
        position = int(rng.integers(len(order)))
        row: list[Slot] = []
        while sum(slot.facings for slot in row) < target:
            if rng.random() < gap_rate:
                row.append(Slot(None, int(rng.integers(1, 3))))
            position = position + 1 if rng.random() < 0.7 else int(rng.integers(len(order)))
            count = int(rng.integers(facings[0], facings[1] + 1))
            row.append(Slot(str(order[position % len(order)]), count))
        rows.append(row)
    return ShelfLayout(rows)


@dataclass(slots=True)
class _Placed:
    """A facing or gap in flat drawing coordinates, before the warp."""

    x1: float
    y1: float
    x2: float
    y2: float
    row: int
    sku: str | None  # None for a gap
    width_in_facings: float = 0.0
    art: np.ndarray | None = None


# Internal labels for distractor facings; both become UNKNOWN_SKU in the truth.
_FOREIGN, _LOOKALIKE = "\0foreign", "\0lookalike"
_PALETTES = {  # back panel, shelf board, shelf edge (BGR)
    "white": ((225, 225, 222), (200, 200, 198), (235, 235, 235)),
    "grey": ((150, 150, 150), (90, 90, 95), (60, 60, 60)),
    "dark": ((60, 60, 65), (40, 40, 40), (25, 25, 25)),
    "wood": ((160, 190, 215), (70, 110, 150), (50, 80, 120)),
}


def _pick_pack(
    slot_sku: str,
    pack_images: dict[str, list[np.ndarray]],
    distractors: Distractors | None,
    options: RenderOptions,
    rng: np.random.Generator,
) -> tuple[np.ndarray, str]:
    """Art and truth label for one slot: the planned SKU, or a distractor standing in its place."""
    roll = rng.random()
    if distractors is not None:
        if roll < options.unknown_rate and distractors.unknowns:
            return distractors.unknowns[int(rng.integers(len(distractors.unknowns)))], _FOREIGN
        similar = distractors.lookalikes.get(slot_sku)
        if roll < options.unknown_rate + options.lookalike_rate and similar:
            return similar[int(rng.integers(len(similar)))], _LOOKALIKE
    images = pack_images.get(slot_sku)
    if not images:
        raise KeyError(f"No pack image for SKU {slot_sku!r}: pass it in pack_images or generate its art")
    return images[int(rng.integers(len(images)))], slot_sku


def _lay_out_row(
    slots: list[tuple[np.ndarray | None, str | None, int]],
    level: int,
    x0: float,
    x1: float,
    board_y: float,
    max_h: float,
    rng: np.random.Generator,
) -> list[_Placed]:
    """Place a row's facings left to right standing on ``board_y``, scaled to fill the width."""
    packs = [art for art, _, _ in slots if art is not None]
    if not packs:
        return []
    tallest = max(a.shape[0] for a in packs)
    mean_w = float(np.mean([a.shape[1] for a in packs]))
    natural_w = sum((art.shape[1] if art is not None else mean_w) * n for art, _, n in slots)
    spacing = 0.04 * mean_w
    n_items = sum(n for _, _, n in slots)
    scale = min(max_h / tallest, (x1 - x0) / (natural_w + spacing * n_items))
    leftover = (x1 - x0) - scale * (natural_w + spacing * n_items)
    facing_w = mean_w * scale
    placed = []
    if leftover < facing_w:  # slack narrower than a pack: split it over the row ends
        x = x0 + leftover * rng.uniform(0.0, 1.0)
    else:  # a stretch that could hold a pack is an out-of-stock void, so it is truth
        x = x0 + facing_w * rng.uniform(0.0, 0.4)
        end_w = x0 + leftover - x
        height = tallest * scale * 0.9
        placed.append(_Placed(x1 - end_w, board_y - height, x1, board_y, level, None, end_w / facing_w))
    for art, label, n in slots:
        if art is None:
            width = facing_w * n + spacing * scale * n
            height = tallest * scale * 0.9
            placed.append(_Placed(x, board_y - height, x + width, board_y, level, None, width / facing_w))
            x += width
            continue
        w, h = art.shape[1] * scale, art.shape[0] * scale
        for _ in range(n):
            placed.append(_Placed(x, board_y - h, x + w, board_y, level, label, art=art))
            x += w + spacing * scale
    return placed


def _draw_background(
    canvas: np.ndarray, boards: list[tuple[float, float]], palette: str, rng: np.random.Generator
) -> None:
    back, board, edge = _PALETTES[palette]
    canvas[:] = back
    w = canvas.shape[1]
    for top, bottom in boards:
        # The underside of each board shades the bay below it.
        shadow_h = int((bottom - top) * 2.5)
        y = int(bottom)
        if shadow_h > 0 and y < canvas.shape[0]:
            ramp = np.linspace(0.55, 1.0, shadow_h, dtype=np.float32)[:, None, None]
            band = canvas[y : y + shadow_h]
            band[:] = (band * ramp[: band.shape[0]]).astype(np.uint8)
        cv2.rectangle(canvas, (0, int(top)), (w, int(bottom)), board, -1)
        cv2.rectangle(canvas, (0, int(top + (bottom - top) * 0.35)), (w, int(bottom)), edge, -1)


def _paste(canvas: np.ndarray, art: np.ndarray, item: _Placed, gain: float) -> None:
    x1, y1 = int(round(item.x1)), int(round(item.y1))
    w, h = max(1, int(round(item.x2)) - x1), max(1, int(round(item.y2)) - y1)
    patch = cv2.resize(art, (w, h), interpolation=cv2.INTER_AREA)
    if gain != 1.0:
        patch = cv2.convertScaleAbs(patch, alpha=gain)
    H, W = canvas.shape[:2]
    cx1, cy1, cx2, cy2 = max(0, x1), max(0, y1), min(W, x1 + w), min(H, y1 + h)
    if cx2 > cx1 and cy2 > cy1:
        canvas[cy1:cy2, cx1:cx2] = patch[cy1 - y1 : cy2 - y1, cx1 - x1 : cx2 - x1]


def _shadow_behind_packs(canvas: np.ndarray, items: list[_Placed], bay_top: float, board_top: float) -> None:
    """Darken the bay behind the packs: a shelf is deep, so the narrow seam between two neighbours
    shows the shadow behind them, not the bright back panel. Real packs are told apart by those dark
    seams; without them neighbours on a light panel run together or split anywhere. The whole bay is
    shaded (deepest at the back, low down), so an empty stretch reads as a dark void, not as a pack."""
    if not any(item.art is not None for item in items):
        return
    top, bottom = int(max(0, bay_top)), int(min(canvas.shape[0], board_top))
    if bottom <= top:
        return
    depth = np.linspace(0.75, 0.4, bottom - top, dtype=np.float32)[:, None, None]
    canvas[top:bottom] = (canvas[top:bottom] * depth).astype(np.uint8)


def _draw_voids(canvas: np.ndarray, items: list[_Placed], bay_top: float, board_top: float, board: tuple) -> None:
    """An out-of-stock stretch as a photo shows it: the empty back of the bay, darker still where no
    pack throws light back, and the shelf floor in front of it, seen from slightly above. A void drawn
    as plain back panel between two dark seams had the shape of a pack, and the detector boxed it."""
    H, W = canvas.shape[:2]
    top, bottom = int(max(0, bay_top)), int(min(H, board_top))
    for item in items:
        if item.art is not None or bottom - top < 4:
            continue
        x1, x2 = int(max(0, item.x1)), int(min(W, item.x2))
        if x2 - x1 < 2:
            continue
        ramp = np.ones(x2 - x1, np.float32)
        edge = max(1, (x2 - x1) // 6)  # soft sides: light still spills in from the neighbours
        ramp[:edge] = np.linspace(0.0, 1.0, edge)
        ramp[-edge:] = np.minimum(ramp[-edge:], np.linspace(1.0, 0.0, edge))
        region = canvas[top:bottom, x1:x2].astype(np.float32)
        canvas[top:bottom, x1:x2] = (region * (1 - 0.45 * ramp)[None, :, None]).astype(np.uint8)
        floor = max(2, int((bottom - top) * 0.08))
        strip = np.linspace(0.55, 0.95, floor, dtype=np.float32)[:, None, None] * np.float32(board)
        canvas[bottom - floor : bottom, x1:x2] = strip.astype(np.uint8)


def _draw_price_tag(canvas: np.ndarray, x: float, top: float, bottom: float, rng: np.random.Generator) -> None:
    h = (bottom - top) * 0.55
    w = h * 2.2
    y = top + (bottom - top) * 0.4
    colour = (255, 255, 255) if rng.random() < 0.7 else (80, 230, 250)
    cv2.rectangle(canvas, (int(x), int(y)), (int(x + w), int(y + h)), colour, -1)
    price = f"{rng.integers(0, 10)}.{rng.integers(0, 100):02d}"
    cv2.putText(
        canvas,
        price,
        (int(x + w * 0.1), int(y + h * 0.8)),
        cv2.FONT_HERSHEY_SIMPLEX,
        max(0.25, h / 30),
        (20, 20, 20),
        1,
        cv2.LINE_AA,
    )


def _occlude(canvas: np.ndarray, item: _Placed, rng: np.random.Generator) -> None:
    """Hide up to ~35% of a facing behind a hand, a shelf talker or a dangling sign."""
    w, h = item.x2 - item.x1, item.y2 - item.y1
    kind = rng.integers(3)
    if kind == 0:  # a hand/arm coming from below
        colour = (int(rng.integers(90, 160)), int(rng.integers(120, 180)), int(rng.integers(170, 230)))
        centre = (int(item.x1 + w * rng.uniform(0.2, 0.8)), int(item.y2))
        cv2.ellipse(canvas, centre, (int(w * 0.35), int(h * 0.4)), 0, 180, 360, colour, -1)
    else:  # a flat sign hanging over one side
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        sx = item.x1 if kind == 1 else item.x2 - w * 0.45
        sy = item.y1 + h * rng.uniform(0.1, 0.6)
        cv2.rectangle(canvas, (int(sx), int(sy)), (int(sx + w * 0.45), int(sy + h * 0.3)), colour, -1)


def _camera(options: RenderOptions, rng: np.random.Generator) -> np.ndarray:
    """Homography from the flat drawing to the photo: a gentle perspective view plus roll."""
    w, h = options.size
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    # Flat corners seen at the photo corners: jittered inwards so the photo has no empty border.
    inward = np.float32([[1, 1], [-1, 1], [-1, -1], [1, -1]])
    seen = (corners + inward * rng.uniform(0, options.perspective, (4, 2)) * [w, h]).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(seen, corners)
    if options.rotation_deg:
        roll = np.eye(3)
        scale = 1 + abs(np.sin(np.radians(options.rotation_deg))) * max(w, h) / min(w, h)
        roll[:2] = cv2.getRotationMatrix2D((w / 2, h / 2), options.rotation_deg, scale)
        matrix = roll @ matrix
    return matrix


def _warp_box(matrix: np.ndarray, item: _Placed, size: tuple[int, int]) -> Box | None:
    """Axis-aligned box of the warped rectangle, clipped; None when mostly outside the photo."""
    pts = np.float32([[item.x1, item.y1], [item.x2, item.y1], [item.x2, item.y2], [item.x1, item.y2]])
    warped = cv2.perspectiveTransform(pts[None], matrix)[0]
    x1, y1 = warped.min(axis=0)
    x2, y2 = warped.max(axis=0)
    cx1, cy1, cx2, cy2 = max(0.0, x1), max(0.0, y1), min(size[0], x2), min(size[1], y2)
    if cx2 <= cx1 or cy2 <= cy1 or (cx2 - cx1) * (cy2 - cy1) < 0.5 * (x2 - x1) * (y2 - y1):
        return None
    return Box(float(cx1), float(cy1), float(cx2), float(cy2))


def _photo_effects(image: np.ndarray, options: RenderOptions, rng: np.random.Generator) -> np.ndarray:
    h, w = image.shape[:2]
    # Uneven light: a smooth random field (a tilted plane plus a soft hot spot), made small then resized.
    yy, xx = np.mgrid[0:1:12j, 0:1:16j].astype(np.float32)
    gx, gy = rng.uniform(-1, 1, 2)
    spot_x, spot_y = rng.uniform(0.2, 0.8, 2)
    field_small = (
        gx * (xx - 0.5) + gy * (yy - 0.5) + 0.8 * np.exp(-((xx - spot_x) ** 2 + (yy - spot_y) ** 2) / 0.15) - 0.3
    )
    gain = options.exposure * (1 + options.lighting * field_small)
    gain = cv2.resize(gain.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    # OpenCV arithmetic rather than numpy broadcasting: this runs for every generated photo.
    out = cv2.multiply(image, cv2.merge([gain, gain, gain]), dtype=cv2.CV_32F)
    if options.noise_sigma > 0:
        noise = rng.standard_normal((h, w), dtype=np.float32)
        noise *= options.noise_sigma
        out = cv2.add(out, cv2.merge([noise, noise, noise]))
    out = cv2.convertScaleAbs(cv2.max(out, 0.0))
    if options.blur_sigma > 0:
        out = cv2.GaussianBlur(out, (0, 0), options.blur_sigma)
    return out


def render_shelf(
    layout: ShelfLayout,
    pack_images: dict[str, list[np.ndarray]] | dict[str, np.ndarray],
    *,
    options: RenderOptions | None = None,
    rng: np.random.Generator,
    distractors: Distractors | None = None,
) -> SyntheticScene:
    """Draw ``layout`` as a shelf photo and return it with its exact ground truth.

    ``pack_images`` maps every SKU in the layout to one or more images of its pack front (reference
    images work); a facing's truth is its SKU code, or ``UNKNOWN_SKU`` when a distractor stood in.
    """
    options = options or RenderOptions()
    packs = {k: (v if isinstance(v, list) else [v]) for k, v in pack_images.items()}
    w, h = options.size
    canvas = np.empty((h, w, 3), np.uint8)
    n_rows = max(1, len(layout.rows))
    top, bottom = h * 0.03, h * 0.97
    bay_h = (bottom - top) / n_rows
    board_h = bay_h * 0.09
    boards = [(top + bay_h * (i + 1) - board_h, top + bay_h * (i + 1)) for i in range(n_rows)]
    palette = str(rng.choice(list(_PALETTES)))  # drawn even when fixed: the same seed, the same scene
    _draw_background(canvas, boards, options.palette or palette, rng)

    placed: list[_Placed] = []
    for level, row in enumerate(layout.rows, start=1):
        chosen = []
        for slot in row:
            if slot.sku is None:
                chosen.append((None, None, slot.facings))
            else:
                art, label = _pick_pack(slot.sku, packs, distractors, options, rng)
                chosen.append((art, label, slot.facings))
        board_top = boards[level - 1][0]
        items = _lay_out_row(chosen, level, w * 0.01, w * 0.99, board_top, bay_h * 0.86, rng)
        placed.extend(items)
        bay_top = boards[level - 2][1] if level > 1 else 0.0
        _shadow_behind_packs(canvas, items, bay_top, board_top)
        _draw_voids(canvas, items, bay_top, board_top, _PALETTES[options.palette or palette][1])
        if options.price_tags:
            for item in items:
                if item.sku is not None and rng.random() < 0.35:
                    _draw_price_tag(canvas, item.x1, board_top, boards[level - 1][1], rng)

    for item in placed:
        if item.art is not None:
            _paste(canvas, item.art, item, 1 + rng.uniform(-options.pack_jitter, options.pack_jitter))
    for item in placed:
        if item.sku is not None and rng.random() < options.occlusion_rate:
            _occlude(canvas, item, rng)

    matrix = _camera(options, rng)
    image = cv2.warpPerspective(canvas, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    image = _photo_effects(image, options, rng)
    return _ground_truth(image, placed, matrix, options)


def _ground_truth(
    image: np.ndarray, placed: list[_Placed], matrix: np.ndarray, options: RenderOptions
) -> SyntheticScene:
    visible = [(item, _warp_box(matrix, item, options.size)) for item in placed]
    visible = [(item, box) for item, box in visible if box is not None]
    # Rows are numbered from the top of the *photo*: a shelf cut off by the frame does not count.
    level_of = {row: level for level, row in enumerate(sorted({item.row for item, _ in visible}), start=1)}
    facings, gaps, kinds = [], [], []
    extents: dict[int, list[Box]] = {}
    for item, box in visible:
        level = level_of[item.row]
        extents.setdefault(level, []).append(box)
        if item.sku is None:
            gaps.append(Gap(row=level, box=box, width_in_facings=round(item.width_in_facings, 2)))
        else:
            distractor = item.sku in (_FOREIGN, _LOOKALIKE)
            sku = UNKNOWN_SKU if distractor else item.sku
            facings.append(Facing(box=box, row=level, sku=sku, sku_confidence=1.0))
            kinds.append(item.sku.lstrip("\0") if distractor else "catalog")
    rows = [
        ShelfRow(
            level=level,
            y1=min(b.y1 for b in boxes),
            y2=max(b.y2 for b in boxes),
            x1=min(b.x1 for b in boxes),
            x2=max(b.x2 for b in boxes),
        )
        for level, boxes in sorted(extents.items())
    ]
    return SyntheticScene(image=image, facings=facings, rows=rows, gaps=gaps, homography=matrix, facing_kinds=kinds)
