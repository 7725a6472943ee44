"""Planogram compliance of a photo or a visit: a 0-100 score where every lost point is explained.

The score starts at 100 and loses points in seven categories, each capped at its weight in
``shelfai.compliance.types.ScoringWeights`` (defaults add up to 100)::

    presence          30  a planned SKU is not on the shelf at all
    facings           20  a planned SKU has fewer facings than planned (a missing SKU loses these too)
    shelf_level       15  facings of a planned SKU stand on another shelf than planned
    order             10  planned SKUs on a shelf are not in planned left-to-right order
    not_in_planogram  10  recognised products that the planogram does not list
    gaps              10  empty space on the shelves
    share_of_shelf     5  a brand with a target share is below it

Every planned SKU weighs the same: with 12 SKUs, a missing one costs (30 + 20) / 12 = 4.2 points, a
SKU with 2 of 4 facings costs 20 / 12 * 2/4 = 0.8, and 3 of its 3 facings on the wrong shelf cost
15 / 12. Order costs ``order * (planned SKUs on that shelf / all planned SKUs) * (out of place /
present)`` per shelf. Products that do not belong and empty space cost their weight times their
facings over the planned facings. A brand's share shortfall costs ``share_of_shelf / brands with a
target * shortfall / target``.

Only what the photos show is judged. Planned SKUs on shelves no photo shows are "not assessed":
they cost no points and lower the confidence instead. Unknown or low-confidence facings are never a
violation: they too lower the confidence, which is
``recognised facings / all facings * planned facings on seen shelves / all planned facings``, and an
unrecognised pack standing next to a block of a SKU that is short counts in that SKU's favour (it may
be one of its packs the recogniser could not name); a SKU not seen at all is still missing.

**The evidence gate.** A result is *verified* only when a planned shelf was seen and at least
``min_recognised_share`` of the facings on the photos were recognised (or the shelf is empty, all gaps).
Otherwise nothing is stated as missing or short: the report has no score, no deductions, every planned
SKU reads ``not_verified``, and ``not_verified_reason`` says why and what to do. A shelf of products the
catalog does not know is not "100 % out of stock"; it is not verified.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils import translation

from shelfai.compliance import messages
from shelfai.compliance.observations import PhotoObservation, VisitView, visit_view
from shelfai.compliance.rules import (
    Deduction,
    Plan,
    gap_deductions,
    not_in_planogram_deductions,
    order_deductions,
    share_deductions,
    sku_deductions,
    unverified_absence,
)
from shelfai.compliance.types import BrandShare, CatalogEntry, ScoringWeights
from shelfai.vision.types import UNKNOWN_SKU


@dataclass(frozen=True, slots=True)
class ExpectedItem:
    sku: str
    name: str = ""
    brand: str = ""
    facings: int = 1
    position: int = 0  # left-to-right order on its shelf (1 = leftmost)


@dataclass(frozen=True, slots=True)
class ShelfSpec:
    level: int  # 1 = top shelf
    items: tuple[ExpectedItem, ...] | list[ExpectedItem] = ()


@dataclass(slots=True)
class PlanogramSpec:
    shelves: list[ShelfSpec]
    name: str = ""  # what the rep calls this shelf ("Snacks bay"): named in a "not verified" reason
    brand_targets: dict[str, float] = field(default_factory=dict)  # brand -> target share, 0..1
    own_brands: frozenset[str] = frozenset()


@dataclass(slots=True)
class SkuLine:
    """Planned against seen, for one SKU (planned or found)."""

    sku: str
    name: str
    brand: str
    expected_facings: int
    observed_facings: int
    expected_levels: list[int]
    observed_levels: dict[int, int]  # level -> facings
    status: str  # ok, short, missing, wrong_shelf, not_in_planogram, not_assessed
    unrecognised_nearby: int = 0  # unrecognised facings next to its block: maybe more of it


@dataclass(slots=True)
class ComplianceReport:
    score: float | None  # None when no planned shelf was seen at all: nothing to judge
    confidence: float
    deductions: list[Deduction]
    skus: list[SkuLine]
    brand_shares: list[BrandShare]
    own_share: dict[str, float]  # {"facings": .., "width": ..} of the own brands together
    gaps: list[dict[str, Any]]
    unseen_levels: list[int]
    facings_total: int
    facings_recognised: int
    photos: int
    weights: ScoringWeights
    verified: bool = True
    # Why the verdicts are withheld, as a code and its parameters (shelfai.compliance.messages):
    # {"code": "too_few_recognised", "params": {"recognised": 3, "total": 40, "shelf": "Snacks bay"}}.
    not_verified: dict[str, Any] = field(default_factory=dict)

    @property
    def not_verified_reason(self) -> str:
        """Why the verdicts are withheld, in the active language ("" when verified)."""
        return messages.report_not_verified_reason({"not_verified": self.not_verified})

    @property
    def facings_by_sku(self) -> dict[str, int]:
        return {line.sku: line.observed_facings for line in self.skus if line.observed_facings}

    def points_by_code(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for d in self.deductions:
            out[d.code] = round(out.get(d.code, 0.0) + d.points, 2)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; floats rounded so stored reports stay readable.

        Texts are stored as codes and parameters, read in the reader's language. The English
        ``message`` / ``not_verified_reason`` beside them is for readers that do not render codes
        (old API clients, the ERP's exports); pages and the API render the code.
        """
        with translation.override("en"):
            english = [d.message for d in self.deductions]
            english_reason = self.not_verified_reason
        return {
            "score": self.score,
            "confidence": round(self.confidence, 3),
            "deductions": [asdict(d) | {"message": text} for d, text in zip(self.deductions, english, strict=True)],
            "points_by_code": self.points_by_code(),
            "skus": [
                asdict(line) | {"observed_levels": {str(k): v for k, v in line.observed_levels.items()}}
                for line in self.skus
            ],
            "share_of_shelf": {
                "basis": self.weights.share_basis,
                "own": {k: round(v, 4) for k, v in self.own_share.items()},
                "brands": [
                    asdict(b)
                    | {"facings_share": round(b.facings_share, 4), "width_share": round(b.width_share, 4)}
                    for b in self.brand_shares
                ],
            },
            "gaps": self.gaps,
            "unseen_levels": self.unseen_levels,
            "facings_total": self.facings_total,
            "facings_recognised": self.facings_recognised,
            "photos": self.photos,
            "weights": asdict(self.weights),
            "verified": self.verified,
            "not_verified": self.not_verified,
            "not_verified_reason": english_reason,
        }


def build_plan(spec: PlanogramSpec, catalog: dict[str, CatalogEntry | tuple]) -> Plan:
    """Index the planogram by SKU and level; names and brands fall back to the catalog, then the code."""
    cat = {sku: CatalogEntry(*entry) for sku, entry in catalog.items()}
    plan = Plan(catalog=cat, brand_targets=dict(spec.brand_targets), own_brands=frozenset(spec.own_brands),
                name_of_shelf=spec.name)
    for shelf in spec.shelves:
        items = sorted(shelf.items, key=lambda item: item.position)
        plan.order[shelf.level] = [item.sku for item in items]
        for item in items:
            if item.facings < 1:
                raise ValueError(
                    f"Planogram item {item.sku} on shelf {shelf.level} must plan at least 1 facing"
                )
            entry = cat.get(item.sku)
            plan.names.setdefault(item.sku, item.name or (entry.name if entry else item.sku))
            plan.brands.setdefault(item.sku, item.brand or (entry.brand if entry else ""))
            plan.levels.setdefault(item.sku, Counter())[shelf.level] += item.facings
    return plan


def score_visit(
    spec: PlanogramSpec,
    catalog: dict[str, CatalogEntry | tuple],
    photos: list[PhotoObservation],
    weights: ScoringWeights | None = None,
) -> ComplianceReport:
    """Score a visit (one or more photos, merged as ``observations`` documents) against a planogram."""
    weights = weights or ScoringWeights()
    plan = build_plan(spec, catalog)
    view = visit_view(photos, weights.min_sku_confidence)
    return _report(plan, view, weights)


def score_photo(
    spec: PlanogramSpec,
    catalog: dict[str, CatalogEntry | tuple],
    photo: PhotoObservation,
    weights: ScoringWeights | None = None,
) -> ComplianceReport:
    return score_visit(spec, catalog, [photo], weights)


def best_planogram(photo: PhotoObservation, planned: dict[Any, set[str]],
                   weights: ScoringWeights | None = None) -> tuple[Any, int]:
    """The planogram (a key of ``planned``: key -> its SKUs) whose products the photo shows most of.

    For a photo sent without a capture task: it counts the recognised facings (at the compliance
    threshold) of each planogram's SKUs; ties go to more distinct SKUs, then to the first key. Returns
    (key, recognised facings of it); the key is None when no planogram's product was recognised, so
    the caller can say so rather than score the photo against a shelf it does not show.
    """
    weights = weights or ScoringWeights()
    seen = Counter(f.sku for f in photo.facings
                   if f.sku != UNKNOWN_SKU and f.sku_confidence >= weights.min_sku_confidence)
    best, best_rank = None, (0, 0)
    for key, skus in planned.items():
        rank = (sum(n for sku, n in seen.items() if sku in skus), sum(1 for sku in seen if sku in skus))
        if rank > best_rank:
            best, best_rank = key, rank
    return best, best_rank[0]


def _report(plan: Plan, view: VisitView, weights: ScoringWeights) -> ComplianceReport:
    seen_levels = set(view.levels)
    planned_levels = set(plan.order)
    assessed = [sku for sku, levels in plan.levels.items() if set(levels) & seen_levels]
    deductions: list[Deduction] = []
    deductions += sku_deductions(plan, view, assessed, weights)
    deductions += order_deductions(plan, view, assessed, weights)
    deductions += not_in_planogram_deductions(plan, view, assessed, weights)
    deductions += gap_deductions(plan, view, assessed, weights)
    shares, own_share, share_cuts = share_deductions(plan, view, weights)
    deductions += share_cuts
    deductions = [d for d in deductions if d.points > 0]  # a category weighted 0 is switched off

    planned_total = sum(sum(levels.values()) for levels in plan.levels.values())
    planned_seen = sum(
        n for levels in plan.levels.values() for lvl, n in levels.items() if lvl in seen_levels
    )
    recognised_share = (
        view.facings_recognised / view.facings_total
        if view.facings_total
        else float(any(v.gaps for v in view.levels.values()))
    )
    coverage = planned_seen / planned_total if planned_total else 1.0
    score = round(max(0.0, 100.0 - sum(d.points for d in deductions)), 1) if assessed else None
    skus = _sku_lines(plan, view, assessed)
    reason = _not_verified_reason(plan, view, assessed, recognised_share, weights)
    report = ComplianceReport(
        score=score,
        confidence=round(recognised_share * coverage, 4),
        deductions=sorted(deductions, key=lambda d: -d.points),
        skus=skus,
        brand_shares=shares,
        own_share=own_share,
        gaps=[asdict(g) for level in sorted(view.levels) for g in view.levels[level].gaps],
        unseen_levels=sorted(planned_levels - seen_levels),
        facings_total=view.facings_total,
        facings_recognised=view.facings_recognised,
        photos=view.photos,
        weights=weights,
    )
    return withhold(report, reason) if reason else report


def withhold(report: ComplianceReport, reason: dict[str, Any]) -> ComplianceReport:
    """The same report with its verdicts withheld: no score, no deductions, planned SKUs not verified.

    ``reason`` is a code and its parameters: ``{"code": .., "params": {..}}`` (shelfai.compliance.messages).
    """
    report.score, report.deductions, report.verified, report.not_verified = None, [], False, reason
    for line in report.skus:
        if line.status not in ("not_in_planogram", "not_assessed"):
            line.status = "not_verified"
    return report


def _not_verified_reason(plan: Plan, view: VisitView, assessed: list[str], recognised_share: float,
                         weights: ScoringWeights) -> dict[str, Any]:
    """Why this result cannot be stated (a code and its parameters), or {} when it can."""
    if not assessed:
        return {"code": "shelf_not_shown", "params": {"shelf": plan.name_of_shelf}}
    if recognised_share < weights.min_recognised_share:
        return {"code": "too_few_recognised", "params": {
            "shelf": plan.name_of_shelf, "recognised": view.facings_recognised, "total": view.facings_total}}
    return {}


def _sku_lines(plan: Plan, view: VisitView, assessed: list[str]) -> list[SkuLine]:
    totals = view.total_by_sku()
    maybe = view.maybe_by_sku()
    by_level: dict[str, dict[int, int]] = {}
    for level, level_view in sorted(view.levels.items()):
        for sku, n in level_view.counts.items():
            by_level.setdefault(sku, {})[level] = n
    lines = []
    assessed_set = set(assessed)
    for sku in list(plan.levels) + sorted(set(totals) - set(plan.levels)):
        planned = plan.levels.get(sku, Counter())
        observed = totals.get(sku, 0)
        levels = by_level.get(sku, {})
        if sku not in plan.levels:
            status = "not_in_planogram"
        elif sku not in assessed_set:
            status = "not_assessed"
        elif observed == 0 and unverified_absence(
                view, {lvl: n for lvl, n in planned.items() if lvl in view.levels}):
            status = "not_verified"  # its shelf holds enough unrecognised packs to be it
        elif observed == 0:
            status = "missing"
        elif observed + maybe.get(sku, 0) < sum(n for lvl, n in planned.items() if lvl in view.levels):
            status = "short"
        elif any(level not in planned for level in levels):
            status = "wrong_shelf"
        else:
            status = "ok"
        lines.append(
            SkuLine(
                sku=sku,
                name=plan.name(sku),
                brand=plan.brand(sku),
                expected_facings=sum(planned.values()),
                observed_facings=observed,
                expected_levels=sorted(planned),
                observed_levels=levels,
                status=status,
                unrecognised_nearby=maybe.get(sku, 0),
            )
        )
    return lines
