"""A planogram's shelves and facings as a few lines of text, so an admin edits them on the planogram's
own page: ``1: sku-a x2, sku-b x3`` — the shelf level (1 = top), then the SKUs from left to right with
their facings. Pure: parsing and writing only; ``shelfai.stores.planograms`` reads and stores them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

MAX_FACINGS = 99
_ITEM = re.compile(r"^(?P<sku>[-a-zA-Z0-9_]+)(?:\s*[x×*]\s*(?P<n>\d+))?$")


class LayoutError(ValueError):
    pass


@dataclass(frozen=True)
class ShelfLayout:
    level: int
    facings: tuple[tuple[str, int], ...]  # (sku, facings), left to right


def parse(text: str) -> list[ShelfLayout]:
    shelves: dict[int, ShelfLayout] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = _("Line %(n)s (%(text)s)") % {"n": number, "text": repr(line[:40])}
        level_text, sep, rest = line.partition(":")
        if not sep or not level_text.strip().isdigit():
            raise LayoutError(_("%(where)s: start with the shelf level and a colon, e.g. '1: sku-a x2'.") % {
                "where": where})
        level = int(level_text)
        if not 1 <= level <= 50:
            raise LayoutError(_("%(where)s: the shelf level is 1 (top) to 50.") % {"where": where})
        if level in shelves:
            raise LayoutError(_("%(where)s: shelf %(level)s is written twice; put its SKUs on one line.") % {
                "where": where, "level": level})
        items = [item.strip() for item in rest.split(",") if item.strip()]
        if not items:
            raise LayoutError(_("%(where)s: shelf %(level)s has no SKUs; leave the line out instead.") % {
                "where": where, "level": level})
        facings = []
        for item in items:
            match = _ITEM.match(item)
            if match is None:
                raise LayoutError(_("%(where)s: %(item)s is not 'sku' or 'sku x<facings>'.") % {
                    "where": where, "item": repr(item)})
            count = int(match["n"] or 1)
            if not 1 <= count <= MAX_FACINGS:
                raise LayoutError(_("%(where)s: %(sku)s has %(n)s facings; 1 to %(max)s.") % {
                    "where": where, "sku": match["sku"], "n": count, "max": MAX_FACINGS})
            facings.append((match["sku"], count))
        shelves[level] = ShelfLayout(level=level, facings=tuple(facings))
    return [shelves[level] for level in sorted(shelves)]


def render(shelves: list[ShelfLayout]) -> str:
    return "\n".join(f"{s.level}: " + ", ".join(f"{sku} x{n}" for sku, n in s.facings) for s in shelves)
