"""Plain data shared by the scoring rules (``rules``) and the report (``scoring``).

Both modules need these, and ``scoring`` imports ``rules``; keeping them here lets ``rules`` use them
without importing ``scoring`` back. No Django, no logic beyond validating the weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class CatalogEntry(NamedTuple):
    """What the catalog says about a SKU: its name, its brand and its pack width (for share of shelf)."""

    name: str
    brand: str
    width_mm: float | None = None


@dataclass(frozen=True, slots=True)
class ScoringWeights:
    """Points per category (must add up to 100) and the recognition threshold. See ``shelfai.compliance.scoring``."""

    presence: float = 30.0
    facings: float = 20.0
    shelf_level: float = 15.0
    order: float = 10.0
    not_in_planogram: float = 10.0
    gaps: float = 10.0
    share_of_shelf: float = 5.0
    min_sku_confidence: float = 0.5  # below this a facing counts as unknown
    # Below this share of recognised facings a result is "not verified": with most packs unnamed,
    # "missing" would mean "not recognised", and a false out-of-stock reaches orders and claims.
    min_recognised_share: float = 0.5
    share_basis: str = "width"  # "width" (facings x pack width) or "facings": what brand targets mean

    def __post_init__(self) -> None:
        points = self.category_points()
        if any(v < 0 for v in points.values()):
            raise ValueError(f"Scoring weights cannot be negative: {points}")
        if abs(sum(points.values()) - 100) > 1e-6:
            raise ValueError(
                f"Scoring weights must add up to 100 points; these add up to {sum(points.values()):g}. "
                "Scale them so the score stays on a 0-100 scale."
            )
        if self.share_basis not in ("width", "facings"):
            raise ValueError(f"share_basis must be 'width' or 'facings', not {self.share_basis!r}")
        if not 0 <= self.min_sku_confidence <= 1:
            raise ValueError("min_sku_confidence is a probability between 0 and 1")
        if not 0 <= self.min_recognised_share <= 1:
            raise ValueError("min_recognised_share is a share between 0 and 1")

    def category_points(self) -> dict[str, float]:
        return {
            "presence": self.presence,
            "facings": self.facings,
            "shelf_level": self.shelf_level,
            "order": self.order,
            "not_in_planogram": self.not_in_planogram,
            "gaps": self.gaps,
            "share_of_shelf": self.share_of_shelf,
        }


@dataclass(slots=True)
class BrandShare:
    """A brand's share of the recognised facings and of their width, against its target share."""

    brand: str
    is_own: bool
    facings: int
    facings_share: float
    width_mm: float
    width_share: float
    target: float | None
