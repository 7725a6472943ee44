"""Hand-written shelves for the scoring tests: facings laid out left to right, row by row."""

from __future__ import annotations

from shelfai.compliance.observations import PhotoObservation
from shelfai.compliance.scoring import ExpectedItem, PlanogramSpec, ShelfSpec
from shelfai.compliance.types import CatalogEntry
from shelfai.vision.types import UNKNOWN_SKU, Box, Facing, Gap, ShelfRow

CATALOG = {
    "G900": CatalogEntry("Gold Formula 900 g", "Gold", 120),
    "G400": CatalogEntry("Gold Formula 400 g", "Gold", 90),
    "A": CatalogEntry("Alpha Rice 1 kg", "Rival", 100),
    "B": CatalogEntry("Beta Rice 1 kg", "Rival", 100),
    "C": CatalogEntry("Gamma Oats 500 g", "Rival", 80),
    "S1": CatalogEntry("Silver Oats 500 g", "Silver", 80),
    "S2": CatalogEntry("Silver Oats 1 kg", "Silver", 110),
    "X1": CatalogEntry("Rival Muesli 750 g", "Rival", 100),
}

# Planned shelves, top to bottom: (sku, facings) left to right.
PLAN_ROWS = [
    [("A", 2), ("B", 2), ("C", 2)],
    [("G900", 4), ("G400", 2)],
    [("S1", 3), ("S2", 3)],
]


def planogram(rows=PLAN_ROWS, brand_targets=None) -> PlanogramSpec:
    return PlanogramSpec(
        shelves=[
            ShelfSpec(
                level, [ExpectedItem(sku, facings=n, position=i) for i, (sku, n) in enumerate(row, start=1)]
            )
            for level, row in enumerate(rows, start=1)
        ],
        brand_targets=dict(brand_targets or {}),
        own_brands=frozenset({"Gold"}),
    )


def shelf_photo(rows, *, confidence: float = 0.9, first_level: int = 1, bay: int = 0) -> PhotoObservation:
    """``rows``: per photo row, a list of (sku, n) blocks; sku None is an empty gap n facings wide,
    UNKNOWN_SKU an unrecognised pack, and a (sku, n, confidence) triple sets the confidence."""
    facings, gaps, shelf_rows = [], [], []
    for row_no, blocks in enumerate(rows, start=1):
        x, y = 0.0, row_no * 200.0
        for block in blocks:
            sku, n = block[0], block[1]
            conf = block[2] if len(block) > 2 else (0.0 if sku == UNKNOWN_SKU else confidence)
            if sku is None:
                gaps.append(Gap(row=row_no, box=Box(x, y, x + 60 * n, y + 150), width_in_facings=float(n)))
                x += 60 * n
                continue
            for _ in range(n):
                facings.append(
                    Facing(box=Box(x, y, x + 60, y + 150), row=row_no, sku=sku, sku_confidence=conf)
                )
                x += 60
        shelf_rows.append(ShelfRow(level=row_no, y1=y, y2=y + 150, x1=0, x2=max(x, 60)))
    return PhotoObservation(facings=facings, gaps=gaps, rows=shelf_rows, first_level=first_level, bay=bay)
