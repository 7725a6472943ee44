"""Keeping StoreDay and SkuDay current.

Incremental: each source table's highest id already summarised is kept in SummaryMark; rows with
a higher id name the days to rebuild, and each of those days is recomputed from its visits (so a
rescored visit — a new ComplianceResult, new observations — replaces its day's figures rather than
adding to them). A day is found by its visits' local_date (the store's day) and everything else through the
visit ids, so every lookup is an index lookup except the one over visits. Deleted rows are only
noticed by a full rebuild, which the nightly task and ``manage.py refresh_analytics --full`` do.

Called by the dashboard before it reads (when nothing is new that costs one indexed max() per
source), by the ``analytics.tasks.refresh_summaries`` Celery task, and by the management command.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.db.models import Count, Exists, F, Max, OuterRef

from analytics.models import BrandDay, SkuDay, StoreDay, SummaryMark
from shelfai.compliance.models import ComplianceResult, SkuObservation
from shelfai.stores.models import Brand
from shelfai.visits.models import Photo, Visit

log = logging.getLogger(__name__)
# Ids are handed out before commit, so a row can become visible after a higher one already was.
# Each refresh looks again at this many ids below the mark, so such a late row is still counted.
LATE_COMMIT_IDS = 100
DAYS_PER_READ = 31


def _sources() -> dict[str, tuple]:
    """Each source: its rows, and the expression giving the (local) day a row counts on."""
    return {
        # A day is the visit's day in its store's time zone (Visit.local_date), never the server's.
        "visit": (Visit.objects.all(), F("local_date")),
        "photo": (Photo.objects.all(), F("visit__local_date")),
        "result": (ComplianceResult.objects.filter(scope=ComplianceResult.Scope.VISIT), F("visit__local_date")),
        "observation": (SkuObservation.objects.all(), F("visit__local_date")),
    }


def refresh_pending() -> int:
    """Rebuild the days touched by rows added since the last refresh. Returns how many days."""
    sources = _sources()
    marks = dict(SummaryMark.objects.values_list("source", "last_id"))
    newest = {name: rows.aggregate(m=Max("pk"))["m"] or 0 for name, (rows, _) in sources.items()}
    if all(newest[name] <= marks.get(name, 0) for name in sources):
        return 0  # nothing new: the common case, no lock taken
    with transaction.atomic():
        # One refresher at a time; a second one waits here and then finds little or nothing left.
        for name in sources:
            SummaryMark.objects.get_or_create(source=name)
        marks = dict(SummaryMark.objects.select_for_update().values_list("source", "last_id"))
        days: set[date] = set()
        for name, (rows, day) in sources.items():
            pending = rows.filter(pk__gt=max(marks[name] - LATE_COMMIT_IDS, 0), pk__lte=newest[name])
            days.update(d for d in pending.annotate(d=day).values_list("d", flat=True).distinct() if d)
        rebuild_days(sorted(days))
        for name in sources:
            SummaryMark.objects.filter(source=name).update(last_id=max(newest[name], marks[name]))
    return len(days)


def refresh_all() -> int:
    """Rebuild every day from scratch (nightly, after deletions, or to backfill). Returns days rebuilt."""
    sources = _sources()
    with transaction.atomic():
        newest = {name: rows.aggregate(m=Max("pk"))["m"] or 0 for name, (rows, _) in sources.items()}
        days = set(Visit.objects.values_list("local_date", flat=True).distinct().order_by())
        for summary in (StoreDay, SkuDay, BrandDay):
            summary.objects.all().delete()
        rebuild_days(sorted(days), replace=False)
        for name in sources:
            SummaryMark.objects.update_or_create(source=name, defaults={"last_id": newest[name]})
    return len(days)


def rebuild_days(days: Iterable[date], *, replace: bool = True) -> None:
    """Recompute the summaries of ``days`` from their visits (one read of the visits per batch).

    ``replace=False`` skips deleting the days' old rows, for a rebuild into emptied tables.
    """
    days = sorted(set(days))
    brand_ids = dict(Brand.objects.values_list("name", "pk"))
    for start in range(0, len(days), DAYS_PER_READ):
        batch = days[start:start + DAYS_PER_READ]
        by_day: dict[date, list[tuple]] = defaultdict(list)
        visits = Visit.objects.filter(local_date__gte=batch[0], local_date__lte=batch[-1]).filter(
            Exists(Photo.objects.filter(visit_id=OuterRef("pk"))))  # an empty visit never counts
        rows = visits.values_list("pk", "store_id", "started_at", "store__region_id", "local_date")
        for row in rows.iterator(chunk_size=5000):
            by_day[row[4]].append(row[:4])
        for day in batch:
            if replace:
                for summary in (StoreDay, SkuDay, BrandDay):
                    summary.objects.filter(day=day).delete()
            _rebuild_day(day, by_day.get(day, []), brand_ids)


def _rebuild_day(day: date, visits: list[tuple], brand_ids: dict[str, int]) -> None:
    """Write one day's summary rows; ``visits`` are its (id, store, started_at, region) rows."""
    if not visits:
        return
    visit_ids = [v[0] for v in visits]
    store_of = {pk: store for pk, store, _, _ in visits}
    region_of = {pk: region for pk, _, _, region in visits}
    rows: dict[int, StoreDay] = {}
    for _visit_id, store, started_at, _ in visits:
        row = rows.setdefault(store, StoreDay(store_id=store, day=day, visits=0))
        row.visits += 1
        row.last_visit_at = max(row.last_visit_at or started_at, started_at)
    scores = ComplianceResult.objects.filter(visit_id__in=visit_ids, scope=ComplianceResult.Scope.VISIT,
                                             is_current=True, score__isnull=False)
    for visit_id, score in scores.values_list("visit_id", "score"):
        row = rows[store_of[visit_id]]
        row.scored_visits += 1
        row.score_sum += float(score)
    unverified = ComplianceResult.objects.filter(visit_id__in=visit_ids, scope=ComplianceResult.Scope.VISIT,
                                                 is_current=True, score__isnull=True, report__verified=False)
    for visit_id in unverified.values_list("visit_id", flat=True):
        rows[store_of[visit_id]].unverified += 1
    photos = Photo.objects.filter(visit_id__in=visit_ids).values("visit_id").annotate(n=Count("pk")).order_by()
    for r in photos:
        rows[store_of[r["visit_id"]]].photos += r["n"]
    StoreDay.objects.bulk_create(rows.values(), batch_size=2000)
    _rebuild_sku_day(day, visit_ids, region_of)
    _rebuild_brand_day(day, visit_ids, store_of, brand_ids)


def _rebuild_sku_day(day: date, visit_ids: list[int], region_of: dict[int, int]) -> None:
    per_visit = (
        SkuObservation.objects.filter(visit_id__in=visit_ids)
        .values("visit_id", "product_id", "facings", "out_of_stock")
    )
    totals: dict[tuple[int | None, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in per_visit.iterator(chunk_size=5000):
        for region in (region_of[r["visit_id"]], None):  # the region's row and the all-regions row
            seen_oos_facings = totals[(region, r["product_id"])]
            seen_oos_facings[0] += 1
            seen_oos_facings[1] += 1 if r["out_of_stock"] else 0
            seen_oos_facings[2] += r["facings"]
    SkuDay.objects.bulk_create(
        (SkuDay(day=day, region_id=region, product_id=product, seen=seen, oos=oos, facings=facings)
         for (region, product), (seen, oos, facings) in totals.items()),
        batch_size=2000,
    )


def _rebuild_brand_day(day: date, visit_ids: list[int], store_of: dict[int, int], brand_ids: dict[str, int]
                       ) -> None:
    """Each brand's facings and width per store shelf, from the visit scores' share of shelf."""
    results = ComplianceResult.objects.filter(
        visit_id__in=visit_ids, scope=ComplianceResult.Scope.VISIT, is_current=True,
        planogram__isnull=False,
    ).values_list("visit_id", "planogram__category_id", "share_of_shelf")
    totals: dict[tuple[int, int, int | None], list[float]] = defaultdict(lambda: [0, 0.0])
    for visit_id, category_id, share in results:
        for entry in brand_shares(share):
            brand_id = brand_ids.get(entry["brand"])
            for brand in (brand_id, None) if brand_id else (None,):  # the brand's row and the shelf's
                row = totals[(store_of[visit_id], category_id, brand)]
                row[0] += entry["facings"]
                row[1] += entry["width_mm"]
    BrandDay.objects.bulk_create(
        (BrandDay(day=day, store_id=store, category_id=category, brand_id=brand, facings=int(facings),
                  width_mm=width) for (store, category, brand), (facings, width) in totals.items()),
        batch_size=2000,
    )


def brand_shares(share_of_shelf: dict | None) -> list[dict]:
    """The brands of a stored share-of-shelf ({"brands": [{brand, facings, width_mm, ...}]}), cleaned."""
    out = []
    for entry in (share_of_shelf or {}).get("brands") or []:
        try:
            out.append({"brand": str(entry["brand"]), "facings": max(int(entry.get("facings") or 0), 0),
                        "width_mm": max(float(entry.get("width_mm") or 0), 0.0)})
        except (KeyError, TypeError, ValueError):
            log.warning("Skipping a malformed share-of-shelf entry: %r", entry)
    return out
