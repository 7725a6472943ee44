"""Out-of-stock gaps on the shelf rows found by :mod:`shelfai.vision.rows`.

A gap is an empty stretch on a row at least as wide as a typical product on that row (the median facing
width), between two facings or at a row end inside the shelf's x-extent (the bay the row belongs to, taken
from the rows above and below it). With the photo, a stretch is reported only when it also *looks* empty:
a product the detector missed shows printed pack art, an empty shelf the plain back of the bay. The space
across a bay upright is not shelf and is never judged.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from shelfai.vision.rows import BOTTOM_TOLERANCE, bay_uprights, gray_at
from shelfai.vision.types import Box, Gap, ShelfRow

# A stretch between facings is empty only when its texture (mean gradient) is under this share of the
# row's typical facing: on generated shelves true gaps measure <= 0.37 (p90, max 0.61) and missed packs
# >= 0.64; on the real validation photos this drops ~2/3 of the stretches the detector left between packs.
EMPTY_TEXTURE = 0.3
# Texture is measured on the photo scaled to this long side.
TEXTURE_SCALE = 1024
# A gap must be this many median facing widths: boxes hug the packs, so the hole a missing pack leaves
# between its neighbours' boxes is a little narrower than a facing box.
MIN_GAP_FACINGS = 0.8


def _members(boxes: Sequence[Box], rows: Sequence[ShelfRow], levels: Sequence[int] | None) -> list[list[int]]:
    """Indices of the boxes on each row: same level (when known) and centre inside the row's extent."""
    members: list[list[int]] = [[] for _ in rows]
    for i, b in enumerate(boxes):
        best, best_d = None, np.inf
        for k, r in enumerate(rows):
            if levels is not None and levels[i] != r.level:
                continue
            if not (r.x1 <= b.cx <= r.x2 and r.y1 <= b.cy <= r.y2):
                continue
            d = abs(b.y2 - r.y2)
            if d < best_d:
                best, best_d = k, d
        if best is not None:
            members[best].append(i)
    return members


def _shelf_extent(row: ShelfRow, rows: Sequence[ShelfRow]) -> tuple[float, float]:
    """The x-extent of the bay a row stands in: its own, widened to the rows above/below that overlap it,
    but never into another segment on the same level."""
    x1, x2 = row.x1, row.x2
    for other in rows:
        if other.level == row.level:
            continue
        overlap = min(other.x2, row.x2) - max(other.x1, row.x1)
        if overlap > 0.5 * min(other.x2 - other.x1, row.x2 - row.x1):
            x1, x2 = min(x1, other.x1), max(x2, other.x2)
    for other in rows:
        if other is row or other.level != row.level:
            continue
        if other.x2 <= row.x1:
            x1 = max(x1, other.x2)
        elif other.x1 >= row.x2:
            x2 = min(x2, other.x1)
    return x1, x2


def find_gaps(
    boxes: Sequence[Box], rows: Sequence[ShelfRow], levels: Sequence[int] | None = None,
    *, image_size: tuple[int, int] | None = None, image: np.ndarray | None = None,
    uprights: Sequence[float] | None = None,
) -> list[Gap]:
    """Empty stretches on each row at least one median facing wide, left to right, top row first.

    ``levels`` (from :func:`shelfai.vision.rows.assign_rows`) pins each box to its level; without it boxes
    are placed on the row whose band holds their centre. With ``image_size`` (h, w), a stretch where the
    shelf runs out of the frame (a tilted bottom row leaving the photo) is not reported: what is not in the
    photo is not known to be empty. With ``image`` (BGR or grey), a stretch as textured as the row's packs
    is taken for a product the detector missed, not reported as out of stock; nor is one across a bay
    upright (``uprights``, from :func:`shelfai.vision.rows.bay_uprights`; found in ``image`` when not
    given).
    """
    gaps: list[Gap] = []
    texture = _TextureMap(image) if image is not None else None
    # bay uprights: the space across one is not shelf (a fridge door's frame, the post between bays)
    if uprights is None:
        uprights = bay_uprights(image, boxes) if image is not None else []
    members_of = _members(boxes, rows, levels)
    for group in _continuous_shelves(rows, uprights):
        idx = [i for k in group for i in members_of[k]]
        if len(idx) < 2:
            continue  # a lone box says nothing about how wide products on this shelf are
        members = sorted((boxes[i] for i in idx), key=lambda b: b.x1)
        typical = float(np.median([b.width for b in members]))
        first, last = rows[group[0]], rows[group[-1]]
        y1_band, y2_band = min(rows[k].y1 for k in group), max(rows[k].y2 for k in group)
        # everything that physically stands in this shelf's band occupies space, whatever row it was given
        band = [b for b in boxes if min(b.y2, y2_band) - max(b.y1, y1_band) > 0.5 * b.height]
        left, right = _shelf_extent(first, rows)[0], _shelf_extent(last, rows)[1]
        left = max([left, *(u for u in uprights if u <= first.x1)])
        right = min([right, *(u for u in uprights if u >= last.x2)])
        top_line, bottom_line = _shelf_lines(members)
        # a stretch looks empty when plainer than this (None: no photo, the geometry decides alone)
        limit = texture.empty_limit(members) if texture is not None else None
        for free in _free_intervals(band, left, right):
            if free[1] - free[0] < MIN_GAP_FACINGS * typical:
                continue  # too narrow for a facing: no need to look at the pixels
            # only the parts that look empty: the rest is packs the detector missed
            free_parts = [free] if limit is None else texture.empty_parts(free, typical, top_line, bottom_line,
                                                                           limit)
            for x1, x2 in free_parts:
                at_photo_edge = image_size is not None and (x1 <= 1.0 or x2 >= image_size[1] - 1.0)
                # at the photo's edge a pack may be cut off and missed: ask for a full facing width there
                if x2 - x1 < (1.0 if at_photo_edge else MIN_GAP_FACINGS) * typical:
                    continue
                y1, y2 = float(np.polyval(top_line, (x1 + x2) / 2)), float(np.polyval(bottom_line, (x1 + x2) / 2))
                if image_size is not None and _cut_by_frame(members, x1, x2, image_size[0]):
                    continue
                gaps.append(Gap(row=first.level, box=Box(x1, y1, x2, y2, 1.0),
                                width_in_facings=round((x2 - x1) / typical, 2)))
    gaps.sort(key=lambda g: (g.row, g.box.x1))
    return gaps


class _TextureMap:
    """Mean gradient magnitude of any box of the photo, in O(1) per box (an integral image)."""

    def __init__(self, image: np.ndarray):
        gray, self.scale = gray_at(image, TEXTURE_SCALE)
        gray = gray.astype(np.float32)
        magnitude = np.abs(cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3))
        magnitude += np.abs(cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3))
        self.integral = cv2.integral(magnitude, sdepth=cv2.CV_64F)
        self.h, self.w = magnitude.shape

    def mean(self, box: Box) -> float | None:
        """Mean over the box's inner part: 15 % in from the sides and the top, 25 % up from the bottom,
        where neighbours' edges, price tags and the shelf lip would otherwise count."""
        width, height = box.width, box.height
        x1 = int(np.clip((box.x1 + 0.15 * width) * self.scale, 0, self.w))
        x2 = int(np.clip((box.x2 - 0.15 * width) * self.scale, 0, self.w))
        y1 = int(np.clip((box.y1 + 0.15 * height) * self.scale, 0, self.h))
        y2 = int(np.clip((box.y2 - 0.25 * height) * self.scale, 0, self.h))
        if x2 - x1 < 2 or y2 - y1 < 2:
            return None
        s = self.integral
        return float(s[y2, x2] - s[y1, x2] - s[y2, x1] + s[y1, x1]) / ((x2 - x1) * (y2 - y1))

    def empty_limit(self, packs: Sequence[Box]) -> float | None:
        """Texture under which a stretch on this row counts as empty: EMPTY_TEXTURE of the row's median
        pack; None when no pack can be measured (then the geometric verdict stands)."""
        reference = [m for m in (self.mean(b) for b in packs) if m is not None]
        return EMPTY_TEXTURE * float(np.median(reference)) if reference else None

    def empty_parts(self, free: tuple[float, float], typical: float, top_line: np.ndarray,
                    bottom_line: np.ndarray, limit: float) -> list[tuple[float, float]]:
        """The parts of a free stretch that look empty: windows of a facing's width, a quarter facing
        apart, each plainer than ``limit``, joined where they touch. A missed pack next to a real gap thus
        leaves the gap, narrower."""
        x1, x2 = free
        cell = min(typical, x2 - x1)
        starts = list(np.arange(x1, x2 - cell, typical / 4)) + [x2 - cell]
        parts: list[tuple[float, float]] = []
        for start in starts:
            mid = start + cell / 2
            found = self.mean(Box(start, float(np.polyval(top_line, mid)), start + cell,
                                  float(np.polyval(bottom_line, mid))))
            if found is not None and found >= limit:
                continue
            if parts and start <= parts[-1][1]:
                parts[-1] = (parts[-1][0], start + cell)
            else:
                parts.append((start, start + cell))
        return parts


def _continuous_shelves(rows: Sequence[ShelfRow], uprights: Sequence[float] = ()) -> list[list[int]]:
    """Row segments that continue one another (same level, side by side, bottoms in line, no bay upright
    between them), as index groups: a stretch between two such segments is shelf, so an empty one there is
    a gap. Segments with a step or an upright between them are different bays; the space between those is
    not judged."""
    order = sorted(range(len(rows)), key=lambda k: (rows[k].level, rows[k].x1))
    groups: list[list[int]] = []
    for k in order:
        row = rows[k]
        if groups:
            prev = rows[groups[-1][-1]]
            height = min(prev.y2 - prev.y1, row.y2 - row.y1)
            apart = any(prev.x2 - 1.0 <= u <= row.x1 + 1.0 for u in uprights)
            if prev.level == row.level and abs(prev.y2 - row.y2) < BOTTOM_TOLERANCE * height and not apart:
                groups[-1].append(k)
                continue
        groups.append([k])
    return groups


def _free_intervals(boxes: Sequence[Box], left: float, right: float) -> list[tuple[float, float]]:
    spans = sorted((max(b.x1, left), min(b.x2, right)) for b in boxes if b.x2 > left and b.x1 < right)
    free, cursor = [], left
    for x1, x2 in spans:
        if x1 > cursor:
            free.append((cursor, x1))
        cursor = max(cursor, x2)
    if cursor < right:
        free.append((cursor, right))
    return free


def _shelf_lines(members: Sequence[Box]) -> tuple[np.ndarray, np.ndarray]:
    """Straight lines through the tops and the bottoms of a row's facings: they follow a tilted shelf."""
    xs = np.array([b.cx for b in members])
    if len(members) < 3 or np.ptp(xs) < 1e-6:
        return (np.array([0.0, np.median([b.y1 for b in members])]),
                np.array([0.0, np.median([b.y2 for b in members])]))
    # the bottom edge is what the packs stand on; tops vary with pack height, so use a robust level
    bottom = np.polyfit(xs, [b.y2 for b in members], 1)
    height = float(np.median([b.height for b in members]))
    return np.array([bottom[0], bottom[1] - height]), bottom


def _cut_by_frame(members: Sequence[Box], x1: float, x2: float, image_h: int) -> bool:
    """True for a stretch at a row end whose nearest facings are cut by the top or bottom of the photo:
    the shelf there runs out of the frame, so the empty-looking end may just be out of view."""
    left = sorted((b for b in members if b.cx <= x1), key=lambda b: -b.cx)[:2]
    right = sorted((b for b in members if b.cx >= x2), key=lambda b: b.cx)[:2]
    if left and right:
        return False  # packs on both sides: the stretch between them is in view
    return any(b.y1 <= 1.0 or b.y2 >= image_h - 1.0 for b in left + right)
