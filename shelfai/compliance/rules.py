"""The deduction rules behind ``scoring``: each returns ``Deduction``s a rep can act on.

Point formulas are documented in ``shelfai.compliance.scoring``; messages name the product, the
shelf and what to do, because a rep reads them standing at the shelf. A deduction keeps a code and
its parameters; ``shelfai.compliance.messages`` writes the sentence in the reader's language.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field

from shelfai.compliance import messages
from shelfai.compliance.alignment import check_order
from shelfai.compliance.observations import VisitView
from shelfai.compliance.types import BrandShare, CatalogEntry, ScoringWeights


@dataclass(frozen=True, slots=True)
class Deduction:
    # missing_sku, short_facings, wrong_shelf, wrong_order, not_in_planogram, empty_gap, share_below_target
    code: str
    sku: str | None
    points: float
    params: dict
    level: int | None = None

    @property
    def message(self) -> str:
        """The sentence in the active language (``shelfai.compliance.messages``)."""
        return messages.deduction_text(self.code, self.params)


@dataclass(slots=True)
class Plan:
    """A planogram indexed for scoring."""

    catalog: dict[str, CatalogEntry]
    brand_targets: dict[str, float]
    own_brands: frozenset[str]
    order: dict[int, list[str]] = field(default_factory=dict)  # level -> planned SKUs, left to right
    levels: dict[str, Counter] = field(default_factory=dict)  # sku -> {level: planned facings}
    names: dict[str, str] = field(default_factory=dict)
    brands: dict[str, str] = field(default_factory=dict)
    name_of_shelf: str = ""  # the planogram's name, for messages

    def name(self, sku: str) -> str:
        entry = self.catalog.get(sku)
        return self.names.get(sku) or (entry.name if entry else "") or sku

    def brand(self, sku: str) -> str:
        entry = self.catalog.get(sku)
        return self.brands.get(sku) or (entry.brand if entry else "")

    def planned_facings_on(self, levels: set[int]) -> int:
        return sum(n for planned in self.levels.values() for lvl, n in planned.items() if lvl in levels)


def unverified_absence(view: VisitView, planned: dict[int, int]) -> bool:
    """A planned SKU none of whose facings was recognised is stated missing (the out-of-stock signal
    planners order stock on) only when its shelves hold fewer unrecognised packs than its planned
    facings: otherwise it may well stand there unrecognised, and "missing" would be a guess."""
    unknown = sum(view.levels[lvl].unknown for lvl in planned if lvl in view.levels)
    return unknown >= sum(planned.values())


def sku_deductions(
    plan: Plan, view: VisitView, assessed: list[str], weights: ScoringWeights
) -> list[Deduction]:
    """Missing SKUs, too few facings, and facings on the wrong shelf."""
    if not assessed:
        return []
    share = 1.0 / len(assessed)
    seen = set(view.levels)
    totals = view.total_by_sku()
    maybe = view.maybe_by_sku()
    out = []
    for sku in assessed:
        planned = {lvl: n for lvl, n in plan.levels[sku].items() if lvl in seen}
        expected = sum(planned.values())
        name, levels = plan.name(sku), sorted(planned)
        observed = totals.get(sku, 0)
        if observed == 0 and unverified_absence(view, planned):
            continue  # enough unrecognised packs where it belongs to be it: its absence is not shown
        if observed == 0:
            out.append(
                Deduction(
                    "missing_sku",
                    sku,
                    round((weights.presence + weights.facings) * share, 2),
                    {"name": name, "expected": expected, "levels": levels},
                )
            )
            continue
        on_level = {lvl: view.levels[lvl].counts.get(sku, 0) for lvl in view.levels}
        wrong = {lvl: n for lvl, n in on_level.items() if n and lvl not in planned}
        wrong_n, placed_n = sum(wrong.values()), sum(on_level.values())
        # Unrecognised packs next to this SKU's block may be more of it: give the benefit of the doubt.
        doubt = min(maybe.get(sku, 0), max(0, expected - observed))
        short = expected - observed - doubt
        if short > 0:
            out.append(
                Deduction(
                    "short_facings",
                    sku,
                    round(weights.facings * share * short / expected, 2),
                    {"name": name, "observed": observed, "expected": expected, "levels": levels,
                     "wrong_n": wrong_n, "placed_n": placed_n, "wrong_levels": sorted(wrong), "doubt": doubt,
                     "short": short},
                    min(planned),
                )
            )
        if wrong_n:
            out.append(
                Deduction(
                    "wrong_shelf",
                    sku,
                    round(weights.shelf_level * share * wrong_n / placed_n, 2),
                    {"name": name, "wrong_n": wrong_n, "wrong_levels": sorted(wrong), "levels": levels},
                    min(wrong),
                )
            )
    return out


def _placement_hint(plan: Plan, in_order: tuple, sku: str, expected: list[str]) -> dict[str, str | None]:
    """Where an out-of-place SKU belongs: its planned neighbours that are in order (None: no such neighbour)."""
    rank = {s: i for i, s in enumerate(expected)}
    before = [s for s in in_order if rank[s] < rank[sku]]
    after = [s for s in in_order if rank[s] > rank[sku]]
    return {"left": plan.name(before[-1]) if before else None, "right": plan.name(after[0]) if after else None}


def order_deductions(
    plan: Plan, view: VisitView, assessed: list[str], weights: ScoringWeights
) -> list[Deduction]:
    """Planned SKUs that stand on their shelf but out of the planned left-to-right order."""
    assessed_set = set(assessed)
    slots = {
        lvl: [s for s in skus if s in assessed_set] for lvl, skus in plan.order.items() if lvl in view.levels
    }
    total = sum(len(set(s)) for s in slots.values())
    out = []
    for level, expected in sorted(slots.items()):
        check = check_order(expected, view.levels[level].sequence)
        if check.present < 2 or not check.out_of_order:
            continue
        per_sku = weights.order * len(set(expected)) / total / check.present
        for sku in check.out_of_order:
            out.append(
                Deduction(
                    "wrong_order",
                    sku,
                    round(per_sku, 2),
                    {"level": level, "name": plan.name(sku)}
                    | _placement_hint(plan, check.in_order, sku, expected),
                    level,
                )
            )
    return out


def _scaled(deductions: list[Deduction], cap: float) -> list[Deduction]:
    """Keep a category within its weight, whatever the amount of trouble on the shelf."""
    total = sum(d.points for d in deductions)
    if total <= cap or total == 0:
        return deductions
    return [
        Deduction(d.code, d.sku, round(d.points * cap / total, 2), d.params, d.level) for d in deductions
    ]


def not_in_planogram_deductions(
    plan: Plan, view: VisitView, assessed: list[str], weights: ScoringWeights
) -> list[Deduction]:
    """Recognised products the planogram does not list, by the share of planned space they take."""
    planned_seen = plan.planned_facings_on(set(view.levels))
    if not assessed or not planned_seen:
        return []
    out = []
    for sku, n in sorted(view.total_by_sku().items()):
        if sku in plan.levels:
            continue
        levels = [lvl for lvl, v in view.levels.items() if v.counts.get(sku)]
        levels = sorted(levels)
        out.append(
            Deduction(
                "not_in_planogram",
                sku,
                round(weights.not_in_planogram * n / planned_seen, 2),
                {"name": plan.name(sku), "brand": plan.brand(sku), "n": n, "levels": levels},
                min(levels) if levels else None,
            )
        )
    return _scaled(out, weights.not_in_planogram)


def gap_deductions(
    plan: Plan, view: VisitView, assessed: list[str], weights: ScoringWeights
) -> list[Deduction]:
    """Empty space on planned shelves, by its width in facings over the planned facings."""
    planned_seen = plan.planned_facings_on(set(view.levels))
    if not assessed or not planned_seen:
        return []
    out = []
    for level in sorted(set(view.levels) & set(plan.order)):
        for gap in view.levels[level].gaps:
            left = plan.name(gap.left_sku) if gap.left_sku else None
            right = plan.name(gap.right_sku) if gap.right_sku else None
            width = max(1, round(gap.width_in_facings))
            out.append(
                Deduction(
                    "empty_gap",
                    None,
                    round(weights.gaps * gap.width_in_facings / planned_seen, 2),
                    {"level": level, "width": width, "left": left, "right": right},
                    level,
                )
            )
    return _scaled(out, weights.gaps)


def median_width(catalog: dict[str, CatalogEntry]) -> float:
    widths = [e.width_mm for e in catalog.values() if e.width_mm]
    return float(statistics.median(widths)) if widths else 1.0


def share_deductions(
    plan: Plan, view: VisitView, weights: ScoringWeights
) -> tuple[list[BrandShare], dict[str, float], list[Deduction]]:
    """Share of shelf per brand by facings and by width (facings x pack width), against targets.

    Only recognised facings of SKUs whose brand is known count. A pack width missing from the
    catalog is taken as the catalog's median width, so one missing value cannot hide a brand.
    """
    fallback = median_width(plan.catalog)
    facings, width, widths_by_brand = Counter(), Counter(), {}
    for sku, n in view.total_by_sku().items():
        brand = plan.brand(sku)
        if not brand:
            continue
        entry = plan.catalog.get(sku)
        w = entry.width_mm if entry and entry.width_mm else fallback
        facings[brand] += n
        width[brand] += n * w
        widths_by_brand.setdefault(brand, []).append(w)
    total_f, total_w = sum(facings.values()), sum(width.values())
    brands = sorted(set(facings) | set(plan.brand_targets), key=lambda b: (-width[b], b))
    shares = [
        BrandShare(
            brand=b,
            is_own=b in plan.own_brands,
            facings=facings[b],
            facings_share=facings[b] / total_f if total_f else 0.0,
            width_mm=round(width[b], 1),
            width_share=width[b] / total_w if total_w else 0.0,
            target=plan.brand_targets.get(b),
        )
        for b in brands
    ]
    own = {
        "facings": sum(s.facings_share for s in shares if s.is_own),
        "width": sum(s.width_share for s in shares if s.is_own),
    }
    if not total_f or not plan.brand_targets:
        return shares, own, []
    out = []
    per_brand = weights.share_of_shelf / len(plan.brand_targets)
    by_width = weights.share_basis == "width"
    for s in shares:
        target = s.target
        actual = s.width_share if by_width else s.facings_share
        if not target or actual >= target - 1e-9:
            continue
        have, total = (width[s.brand], total_w) if by_width else (facings[s.brand], total_f)
        needed = (target * total - have) / (1 - target) if target < 1 else math.inf
        pack = statistics.median(widths_by_brand.get(s.brand) or [fallback]) if by_width else 1.0
        more = math.ceil(needed / pack - 1e-9) if math.isfinite(needed) else None
        out.append(
            Deduction(
                "share_below_target",
                None,
                round(per_brand * (target - actual) / target, 2),
                {"brand": s.brand, "actual": round(actual, 4), "target": target, "more": more,
                 "basis": "width" if by_width else "facings"},
            )
        )
    return shares, own, out
