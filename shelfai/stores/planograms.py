"""A planogram's shelves and facings read and replaced as one ``layout`` (see ``shelfai.stores.layout``)."""

from __future__ import annotations

from django.db import transaction

from shelfai.stores.layout import ShelfLayout
from shelfai.stores.models import Planogram, PlanogramFacing, PlanogramShelf, Product


def of_planogram(planogram: Planogram) -> list[ShelfLayout]:
    shelves = planogram.shelves.prefetch_related("facings__product").order_by("level")
    return [ShelfLayout(level=s.level, facings=tuple((f.product.sku, f.facings) for f in s.facings.all()))
            for s in shelves]


@transaction.atomic
def replace(planogram: Planogram, shelves: list[ShelfLayout]) -> None:
    """The planogram's shelves become ``shelves``; positions are 1.. from the left. Nothing refers to
    shelf or facing rows (results keep the planogram and its version), so they are simply rewritten."""
    products = Product.objects.in_bulk([sku for s in shelves for sku, _ in s.facings], field_name="sku")
    planogram.shelves.all().delete()
    for shelf in shelves:
        row = PlanogramShelf.objects.create(planogram=planogram, level=shelf.level)
        PlanogramFacing.objects.bulk_create(
            PlanogramFacing(shelf=row, product=products[sku], position=position, facings=count)
            for position, (sku, count) in enumerate(shelf.facings, start=1))
