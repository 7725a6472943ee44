"""What the photos of one visit show, merged into one view of the shelf per planogram level.

How photos are merged (the rule the scores rest on):

* Photos with the same ``bay`` are views of the same stretch of shelf (a retake, a closer shot, two
  overlapping shots). Their facings are **not** added: per shelf level and SKU the visit keeps the
  **largest** count any one photo shows, the left-to-right order of the photo that shows the most
  recognised facings on that level, and the largest empty space. Adding them would count the same
  pack twice and reward a rep for taking more photos of one bay.
* Photos with different ``bay`` numbers cover different stretches (bay 1, bay 2, ... left to right).
  Their facings **add up**, their left-to-right sequences are joined in bay order, and gaps add up.
* All photos default to ``bay=0``, so an unlabelled visit can only under-count, never over-count.

A photo's row 1 is its top visible shelf; ``first_level`` says which planogram shelf that is (1 =
the planogram's top shelf), for photos that do not show the whole height of the fixture.

Facings whose SKU is ``UNKNOWN_SKU`` or whose recognition confidence is below the threshold are kept
out of every count and sequence: they lower the confidence of the result. So that a pack the
recogniser could not name does not turn into a "too few facings" violation, each one is noted as
*maybe* the SKU of its nearest recognised neighbour on either side of the same row (``maybe``);
scoring gives a short SKU that benefit of the doubt, never a missing one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from shelfai.vision.types import UNKNOWN_SKU, Facing, Gap, ShelfRow


@dataclass(slots=True)
class PhotoObservation:
    """The vision output of one photo, as scoring needs it."""

    facings: list[Facing]
    gaps: list[Gap] = field(default_factory=list)
    rows: list[ShelfRow] = field(default_factory=list)
    photo_id: str | int | None = None
    bay: int = 0  # same bay = overlapping views (max); different bays add up, left to right
    first_level: int = 1  # planogram shelf level shown as the photo's row 1


@dataclass(slots=True)
class GapNote:
    """An empty stretch on one planogram level, with the recognised products on either side."""

    level: int
    width_in_facings: float
    left_sku: str | None
    right_sku: str | None
    photo_id: str | int | None = None


@dataclass(slots=True)
class LevelView:
    """One planogram shelf level as the visit saw it."""

    counts: Counter = field(default_factory=Counter)  # sku -> facings
    maybe: Counter = field(default_factory=Counter)  # sku -> unrecognised facings next to a block of it
    sequence: list[str] = field(default_factory=list)  # recognised SKUs, one per facing, left to right
    gaps: list[GapNote] = field(default_factory=list)
    unknown: int = 0  # facings on this level that were not recognised: any of them may be a "missing" SKU

    @property
    def gap_facings(self) -> float:
        return sum(g.width_in_facings for g in self.gaps)


@dataclass(slots=True)
class VisitView:
    """The merged view: per level, plus facings whose shelf row is unknown."""

    levels: dict[int, LevelView] = field(default_factory=dict)
    rowless: Counter = field(default_factory=Counter)  # sku -> facings with no shelf row
    facings_total: int = 0  # every detected facing, recognised or not
    facings_recognised: int = 0
    photos: int = 0

    def total_by_sku(self) -> Counter:
        total = Counter(self.rowless)
        for view in self.levels.values():
            total.update(view.counts)
        return total

    def maybe_by_sku(self) -> Counter:
        total = Counter()
        for view in self.levels.values():
            total.update(view.maybe)
        return total


def is_recognised(facing: Facing, min_confidence: float) -> bool:
    return facing.sku != UNKNOWN_SKU and bool(facing.sku) and facing.sku_confidence >= min_confidence


def _level(row: int, first_level: int) -> int:
    return first_level + row - 1


def _gap_note(gap: Gap, row_facings: list[Facing], photo: PhotoObservation) -> GapNote:
    left = [f for f in row_facings if f.box.cx <= gap.box.cx]
    right = [f for f in row_facings if f.box.cx > gap.box.cx]
    return GapNote(
        level=_level(gap.row, photo.first_level),
        width_in_facings=float(gap.width_in_facings),
        left_sku=left[-1].sku if left else None,
        right_sku=right[0].sku if right else None,
        photo_id=photo.photo_id,
    )


def _neighbour_skus(row: list[Facing], min_confidence: float) -> Counter:
    """For each unrecognised facing of a row (sorted left to right), the SKUs of the nearest recognised
    facing on its left and on its right: what it may be."""
    maybe = Counter()
    known = [is_recognised(f, min_confidence) for f in row]
    for i in range(len(row)):
        if known[i]:
            continue
        left = next((row[j].sku for j in range(i - 1, -1, -1) if known[j]), None)
        right = next((row[j].sku for j in range(i + 1, len(row)) if known[j]), None)
        for sku in {left, right} - {None}:
            maybe[sku] += 1
    return maybe


def photo_view(photo: PhotoObservation, min_confidence: float) -> VisitView:
    """One photo on its own, mapped to planogram levels."""
    view = VisitView(photos=1, facings_total=len(photo.facings))
    by_level: dict[int, list[Facing]] = {}
    all_by_level: dict[int, list[Facing]] = {}
    for facing in photo.facings:
        if facing.row is not None:
            all_by_level.setdefault(_level(facing.row, photo.first_level), []).append(facing)
        if not is_recognised(facing, min_confidence):
            continue
        view.facings_recognised += 1
        if facing.row is None:
            view.rowless[facing.sku] += 1
        else:
            by_level.setdefault(_level(facing.row, photo.first_level), []).append(facing)
    for row in photo.rows:  # a visible shelf with nothing recognised on it is still a seen shelf
        view.levels.setdefault(_level(row.level, photo.first_level), LevelView())
    for level, facings in by_level.items():
        facings.sort(key=lambda f: f.box.cx)
        level_view = view.levels.setdefault(level, LevelView())
        level_view.sequence = [f.sku for f in facings]
        level_view.counts = Counter(level_view.sequence)
    for level, facings in all_by_level.items():
        facings.sort(key=lambda f: f.box.cx)
        level_view = view.levels.setdefault(level, LevelView())
        level_view.maybe = _neighbour_skus(facings, min_confidence)
        level_view.unknown = sum(1 for f in facings if not is_recognised(f, min_confidence))
    for gap in photo.gaps:
        level = _level(gap.row, photo.first_level)
        view.levels.setdefault(level, LevelView()).gaps.append(_gap_note(gap, by_level.get(level, []), photo))
    for level_view in view.levels.values():
        level_view.gaps.sort(key=lambda g: g.width_in_facings, reverse=True)
    return view


def _overlap(views: list[VisitView]) -> VisitView:
    """Views of the same bay: per level and SKU the largest count; the fullest photo's order and gaps."""
    merged = VisitView()
    for view in views:
        merged.photos += view.photos
        merged.facings_total += view.facings_total
        merged.facings_recognised += view.facings_recognised
        merged.rowless |= view.rowless  # Counter union = per-key maximum
        for level, level_view in view.levels.items():
            into = merged.levels.setdefault(level, LevelView())
            into.counts |= level_view.counts
            into.maybe |= level_view.maybe
            into.unknown = max(into.unknown, level_view.unknown)
            if len(level_view.sequence) > len(into.sequence):
                into.sequence = list(level_view.sequence)
            if level_view.gap_facings > into.gap_facings:
                into.gaps = list(level_view.gaps)
    return merged


def _side_by_side(views: list[VisitView]) -> VisitView:
    """Views of different bays, left to right: counts, sequences and gaps add up."""
    merged = VisitView()
    for view in views:
        merged.photos += view.photos
        merged.facings_total += view.facings_total
        merged.facings_recognised += view.facings_recognised
        merged.rowless.update(view.rowless)
        for level, level_view in view.levels.items():
            into = merged.levels.setdefault(level, LevelView())
            into.counts.update(level_view.counts)
            into.maybe.update(level_view.maybe)
            into.unknown += level_view.unknown
            into.sequence.extend(level_view.sequence)
            into.gaps.extend(level_view.gaps)
    return merged


def visit_view(photos: list[PhotoObservation], min_confidence: float) -> VisitView:
    """Merge a visit's photos by the rule in the module docstring."""
    bays: dict[int, list[VisitView]] = {}
    for photo in photos:
        bays.setdefault(photo.bay, []).append(photo_view(photo, min_confidence))
    return _side_by_side([_overlap(bays[bay]) for bay in sorted(bays)])
