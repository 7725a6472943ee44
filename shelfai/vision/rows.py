"""Shelf rows from product geometry alone.

Products stand on shelves, so the bottoms of the facings on one shelf lie on one (possibly tilted) line.
Rows are found by linking each box to its horizontal neighbours whose bottoms line up with its own, and
taking connected chains: a chain follows a tilted or slightly curved shelf edge because each link is local,
and it breaks where two shelf bays side by side sit at different heights (those become separate row
*segments* that share a level). Levels are then numbered from the top of the photo, segments at the same
height in neighbouring bays sharing one level.

Bay uprights (the posts between bays) are found here too, from the boxes alone or in the photo: they split
rows, and :mod:`shelfai.vision.gaps` reuses them so the space across a post is never taken for an empty
shelf. The gaps on these rows are found in :mod:`shelfai.vision.gaps`.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from shelfai.vision.types import Box, ShelfRow

# Two facings are on the same shelf when their bottoms differ by less than this share of the smaller
# facing's height (plus the tilt their horizontal distance allows).
BOTTOM_TOLERANCE = 0.25
# Per unit of horizontal distance, how much the bottom line may rise or fall (a ~8 degree tilt).
MAX_SLOPE = 0.14
# Neighbours are linked across empty stretches up to this many facing widths (gaps must not split rows).
MAX_LINK_GAP = 4.0
# A row's band reaches down over the shelf edge (the price-tag strip) the packs stand on, by this share
# of the typical pack height: on the hand-drawn rows of shelf_rows_dev the row's bottom lies a median
# 0.34 pack heights (quartiles 0.22-0.49) below the 90th-percentile pack bottom.
SHELF_EDGE = 0.3
# Segments one above the other with less than this share of a pack height between them are stacks.
STACK_GAP = 0.06
# Pieces of one row (same level, same bay) closer than this many pack widths are joined into one row.
JOIN_GAP = 2.0
# Bay uprights are only looked for when at least this many rows run across the photo.
MIN_ROWS_FOR_BAY = 3
# Bay uprights seen in the photo: a column where strong vertical edges run through at least this share of
# the shelves' height (all rows and the shelf edges between them). Product edges stop at every shelf
# edge; an upright does not. Chosen on shelf_rows_dev: 0.6 splits bays that are not there, 0.75 misses
# real ones (box-match 52% / 66% / 61% at 0.6 / 0.68 / 0.75).
UPRIGHT_CONTINUITY = 0.68
# Uprights are looked for on the photo scaled to this long side (the scale the constants were tuned at).
UPRIGHT_SCALE = 1024
# Facings must overlap vertically by this share of the smaller height to be on one shelf.
MIN_VERTICAL_OVERLAP = 0.5


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _same_shelf(a: np.ndarray, b: np.ndarray) -> bool:
    """a, b: [x1, y1, x2, y2]. Same shelf if bottoms line up (within tilt) and they overlap vertically."""
    ha, hb = a[3] - a[1], b[3] - b[1]
    small = min(ha, hb)
    dx = abs((a[0] + a[2]) - (b[0] + b[2])) / 2
    if abs(a[3] - b[3]) > BOTTOM_TOLERANCE * small + MAX_SLOPE * dx:
        return False
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap >= MIN_VERTICAL_OVERLAP * small


def _link_neighbours(xyxy: np.ndarray) -> _UnionFind:
    """Link every box to its nearest neighbour on the right at about the same height, if their bottoms
    line up. Only the nearest one: a farther box's larger tilt allowance would bridge a step between bays."""
    n = len(xyxy)
    uf = _UnionFind(n)
    order = np.argsort(xyxy[:, 0])
    widths = xyxy[:, 2] - xyxy[:, 0]
    heights = xyxy[:, 3] - xyxy[:, 1]
    for pos, i in enumerate(order):
        reach = MAX_LINK_GAP * widths[i]
        for j in order[pos + 1 :]:  # boxes further right, by left edge
            if xyxy[j, 0] - xyxy[i, 2] > reach:
                break
            overlap = min(xyxy[i, 3], xyxy[j, 3]) - max(xyxy[i, 1], xyxy[j, 1])
            if overlap < MIN_VERTICAL_OVERLAP * min(heights[i], heights[j]):
                continue  # another shelf
            beside = xyxy[j, 0] >= xyxy[i, 2] - 0.5 * widths[i]
            if _same_shelf(xyxy[i], xyxy[j]):
                uf.union(int(i), int(j))
            if beside:
                break  # the nearest box beside this one decides; the chain carries on from it
    return uf


def _segments(xyxy: np.ndarray) -> list[list[int]]:
    uf = _link_neighbours(xyxy)
    groups: dict[int, list[int]] = {}
    for i in range(len(xyxy)):
        groups.setdefault(uf.find(i), []).append(i)
    return list(groups.values())


def _absorb_strays(xyxy: np.ndarray, segments: list[list[int]]) -> list[list[int]]:
    """A lone facing (a stacked pack, a hanging item) joins the segment whose band holds its centre."""
    big = [s for s in segments if len(s) >= 2]
    if not big:
        return segments
    out = [list(s) for s in big]
    bands = [(xyxy[s, 1].min(), xyxy[s, 3].max(), xyxy[s, 0].min(), xyxy[s, 2].max()) for s in big]
    for seg in segments:
        if len(seg) >= 2:
            continue
        i = seg[0]
        cx, cy = (xyxy[i, 0] + xyxy[i, 2]) / 2, (xyxy[i, 1] + xyxy[i, 3]) / 2
        best, best_d = None, np.inf
        for k, (y1, y2, x1, x2) in enumerate(bands):
            if y1 <= cy <= y2:
                d = max(x1 - cx, 0, cx - x2) + abs(cy - (y1 + y2) / 2)
                if d < best_d:
                    best, best_d = k, d
        if best is None:
            out.append([i])
        else:
            out[best].append(i)
    return out


def _merge_stacks(xyxy: np.ndarray, segments: list[list[int]]) -> list[list[int]]:
    """Packs stacked on top of each other stand on one shelf: a segment whose bottom touches the top of
    the segment below it (no shelf board between, gap under STACK_GAP of a pack height) joins it."""
    segments = [list(s) for s in segments]
    merged = True
    while merged:
        merged = False
        segments = [s for s in segments if s]
        order = sorted(range(len(segments)), key=lambda k: float(np.median(xyxy[segments[k], 3])))
        for a_pos, a in enumerate(order):
            upper = segments[a]
            if not upper:
                continue
            ub = float(np.median(xyxy[upper, 3]))
            uh = float(np.median(xyxy[upper, 3] - xyxy[upper, 1]))
            for b in order[a_pos + 1 :]:
                lower = segments[b]
                if not lower:
                    continue
                lt = float(np.median(xyxy[lower, 1]))
                lh = float(np.median(xyxy[lower, 3] - xyxy[lower, 1]))
                overlap = min(xyxy[upper, 2].max(), xyxy[lower, 2].max()) - max(xyxy[upper, 0].min(),
                                                                                 xyxy[lower, 0].min())
                narrow = min(xyxy[upper, 2].max() - xyxy[upper, 0].min(), xyxy[lower, 2].max() - xyxy[lower, 0].min())
                if overlap > 0.5 * narrow and abs(lt - ub) < STACK_GAP * min(uh, lh):
                    segments[b] = lower + upper
                    segments[a] = []
                    merged = True
                    break
    return [s for s in segments if s]


def _bay_boundaries(xyxy: np.ndarray, segments: list[list[int]]) -> list[float]:
    """x positions of uprights between shelf bays: no facing on any row crosses them, although several
    rows run across. Packs have other widths on every shelf, so such a clean cut through all rows is
    rare anywhere but at a bay's edge."""
    rows = [s for s in segments if len(s) >= 3]
    if len(rows) < MIN_ROWS_FOR_BAY:
        return []
    widths = xyxy[:, 2] - xyxy[:, 0]
    step = max(float(np.median(widths)) / 4, 1.0)
    xs = np.arange(xyxy[:, 0].min(), xyxy[:, 2].max(), step)
    spanning = np.zeros(len(xs), int)
    crossed = np.zeros(len(xs), int)
    for seg in rows:
        x1s, x2s = xyxy[seg, 0], xyxy[seg, 2]
        inner = np.median(widths[seg])
        spanning += (xs > x1s.min() + inner) & (xs < x2s.max() - inner)
        margin = 0.15 * widths[seg]
        hit = ((xs[:, None] > (x1s + margin)[None, :]) & (xs[:, None] < (x2s - margin)[None, :])).any(axis=1)
        crossed += hit & (xs > x1s.min()) & (xs < x2s.max())
    clean = (spanning >= MIN_ROWS_FOR_BAY) & (crossed == 0)
    boundaries, run = [], []
    for x, ok in zip(xs, clean, strict=True):
        if ok:
            run.append(x)
        elif run:
            boundaries.append(float(np.mean(run)))
            run = []
    if run:
        boundaries.append(float(np.mean(run)))
    return boundaries


def gray_at(image: np.ndarray, long_side: int) -> tuple[np.ndarray, float]:
    """The photo in grey, scaled down (never up) to ``long_side``, and the scale used. Shared with the gap
    texture check so both look at the photo the same way."""
    h, w = image.shape[:2]
    scale = min(1.0, long_side / max(h, w))
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if scale < 1.0:
        size = (max(int(w * scale), 1), max(int(h * scale), 1))
        if scale < 0.5:  # a bilinear step to twice the size first: INTER_AREA on 12 MP alone costs ~40 ms
            gray = cv2.resize(gray, (size[0] * 2, size[1] * 2), interpolation=cv2.INTER_LINEAR)
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    return gray, scale


def _uprights(image: np.ndarray, xyxy: np.ndarray) -> list[float]:
    """x positions (image pixels) of bay uprights: near-vertical lines that run unbroken through the whole
    height of the shelves. Allows for a tilt of up to ~3.5 degrees (the photo's, one for all uprights)."""
    if len(xyxy) < 6:
        return []
    gray, scale = gray_at(image, UPRIGHT_SCALE)
    boxes = xyxy * scale
    top, bottom = int(np.percentile(boxes[:, 1], 2)), int(np.percentile(boxes[:, 3], 98))
    if bottom - top < 50:
        return []
    gx = np.abs(cv2.Sobel(cv2.GaussianBlur(gray, (3, 3), 0), cv2.CV_32F, 1, 0, ksize=3))[top:bottom]
    flat = gx.ravel()
    k = int(0.8 * (flat.size - 1))
    strong = (gx > np.partition(flat, k)[k]).astype(np.uint8)  # the strongest 20 % of vertical edges
    strong = cv2.dilate(strong, np.ones((1, 5), np.uint8))
    sh, sw = strong.shape
    offsets = np.arange(sh) - sh / 2
    cols = np.zeros(sw)
    for shear in (-0.06, -0.03, 0.0, 0.03, 0.06):
        # column x of the sheared image takes line y from column x + shift(y): a tilted upright becomes one
        # column. Lines with the same shift are summed first, then added shifted (edges repeat).
        shifts = (shear * offsets).astype(int)
        pad = int(np.abs(shifts).max())
        scored = np.zeros(sw)
        for shift in np.unique(shifts):
            summed = np.pad(strong[shifts == shift].sum(axis=0, dtype=np.int64), pad, mode="edge")
            scored += summed[pad + shift : pad + shift + sw]
        scored /= sh
        if scored.max() > cols.max():
            cols = scored
    width = float(np.median(boxes[:, 2] - boxes[:, 0]))
    peaks: list[int] = []
    for x in np.argsort(-cols):
        if cols[x] < UPRIGHT_CONTINUITY:
            break
        if width <= x <= sw - width and all(abs(int(x) - p) > 2 * width for p in peaks):
            peaks.append(int(x))
    return sorted(p / scale for p in peaks)


def _split_at(xyxy: np.ndarray, segments: list[list[int]], boundaries: list[float]) -> list[list[int]]:
    if not boundaries:
        return segments
    edges = np.array(boundaries)
    out = []
    for seg in segments:
        parts: dict[int, list[int]] = {}
        for i in seg:
            parts.setdefault(int(np.searchsorted(edges, (xyxy[i, 0] + xyxy[i, 2]) / 2)), []).append(i)
        out.extend(parts.values())
    return out


def _join_fragments(xyxy: np.ndarray, segments: list[list[int]], levels: list[int],
                    boundaries: list[float]) -> tuple[list[list[int]], list[int]]:
    """Pieces of one shelf that a missed or odd box split apart: same level, no bay upright between them,
    less than JOIN_GAP pack widths apart. They become one row again."""
    edges = np.array(boundaries)
    bay = [int(np.searchsorted(edges, float(np.median((xyxy[s, 0] + xyxy[s, 2]) / 2)))) for s in segments]
    order = sorted(range(len(segments)), key=lambda k: (levels[k], bay[k], xyxy[segments[k], 0].min()))
    out: list[list[int]] = []
    out_levels: list[int] = []
    prev = None
    for k in order:
        seg = segments[k]
        if prev is not None and levels[prev] == levels[k] and bay[prev] == bay[k]:
            joined = out[-1] + seg
            width = float(np.median(xyxy[joined, 2] - xyxy[joined, 0]))
            height = float(np.median(xyxy[joined, 3] - xyxy[joined, 1]))
            left_end = sorted(out[-1], key=lambda i: -xyxy[i, 2])[:3]
            right_start = sorted(seg, key=lambda i: xyxy[i, 0])[:3]
            step = abs(float(np.median(xyxy[left_end, 3])) - float(np.median(xyxy[right_start, 3])))
            gap = xyxy[seg, 0].min() - xyxy[out[-1], 2].max()
            if gap < JOIN_GAP * width and step < BOTTOM_TOLERANCE * height + MAX_SLOPE * max(gap, 0.0):
                out[-1] = out[-1] + seg
                prev = k
                continue
        out.append(list(seg))
        out_levels.append(levels[k])
        prev = k
    return out, out_levels


def _number_levels(bands: list[tuple[float, float]]) -> list[int]:
    """Level per band (1 = top): bands that overlap vertically by half the smaller height share a level."""
    order = sorted(range(len(bands)), key=lambda k: (bands[k][0] + bands[k][1]) / 2)
    levels = [0] * len(bands)
    level, current = 0, None  # current: (y1, y2) of the level being filled
    for k in order:
        y1, y2 = bands[k]
        if current is not None:
            overlap = min(y2, current[1]) - max(y1, current[0])
            if overlap >= 0.5 * min(y2 - y1, current[1] - current[0]):
                levels[k] = level
                continue
        level += 1
        levels[k] = level
        current = (y1, y2)
    return levels


def bay_uprights(image: np.ndarray, boxes: Sequence[Box]) -> list[float]:
    """x positions of the bay uprights seen in the photo (see :func:`assign_rows`); compute once and pass
    to both :func:`assign_rows` and :func:`shelfai.vision.gaps.find_gaps`."""
    if not boxes:
        return []
    return _uprights(image, np.array([[b.x1, b.y1, b.x2, b.y2] for b in boxes], dtype=np.float64))


def assign_rows(boxes: Sequence[Box], image_h: int, image_w: int, *, image: np.ndarray | None = None,
                uprights: Sequence[float] | None = None) -> tuple[list[int], list[ShelfRow]]:
    """Shelf level per box (1 = top row of the photo) and the row segments, sorted top-down, left-right.

    Several segments can share a level when shelf bays side by side are cut at different heights. With the
    photo (``image``, BGR or grey), bay uprights seen in it split rows too, also where neighbouring bays'
    shelves are level with each other.
    """
    if not boxes:
        return [], []
    xyxy = np.array([[b.x1, b.y1, b.x2, b.y2] for b in boxes], dtype=np.float64)
    xyxy[:, [0, 2]] = xyxy[:, [0, 2]].clip(0, image_w)
    xyxy[:, [1, 3]] = xyxy[:, [1, 3]].clip(0, image_h)
    segments = _merge_stacks(xyxy, _absorb_strays(xyxy, _segments(xyxy)))
    boundaries = _bay_boundaries(xyxy, segments)
    if uprights is None and image is not None:
        uprights = _uprights(image, xyxy)
    if uprights:
        boundaries = sorted(set(boundaries) | set(uprights))
    segments = _split_at(xyxy, segments, boundaries)
    # robust band: the typical top and bottom of the segment, so one tall stray does not swallow a row
    bands = [(float(np.percentile(xyxy[s, 1], 10)), float(np.percentile(xyxy[s, 3], 90))) for s in segments]
    seg_levels = _number_levels(bands)
    if JOIN_GAP > 0:
        segments, seg_levels = _join_fragments(xyxy, segments, seg_levels, boundaries)
    rows = []
    for k, seg in enumerate(segments):
        y1, y2 = float(xyxy[seg, 1].min()), float(xyxy[seg, 3].max())
        lip = SHELF_EDGE * float(np.median(xyxy[seg, 3] - xyxy[seg, 1]))
        rows.append(ShelfRow(level=seg_levels[k], y1=y1, y2=min(y2 + lip, float(image_h)),
                             x1=float(xyxy[seg, 0].min()), x2=float(xyxy[seg, 2].max())))
    box_levels = [0] * len(boxes)
    for k, seg in enumerate(segments):
        for i in seg:
            box_levels[i] = seg_levels[k]
    rows.sort(key=lambda r: (r.level, r.x1))
    return box_levels, rows
