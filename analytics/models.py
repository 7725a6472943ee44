"""Pre-aggregated figures for the dashboard, rebuilt from the source rows (never edited by hand).

Measured on 25,000 visits / 100,000 photos / 750,000 SKU observations (bench/pages.py): the score
figures joined every visit to its ComplianceResult (wide rows with JSON) and the shelf figures
scanned every observation in the date range, 250-400 ms of SQL per dashboard. These tables hold
one narrow row per store and day, one per day, region and SKU (plus an all-regions row) and one per
store, day, category and brand, which the dashboard sums in a few milliseconds. analytics.summaries keeps them current.
"""

from __future__ import annotations

from django.db import models


class StoreDay(models.Model):
    """Visits to one store on one (local) day: how many, their current visit scores, their photos."""

    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    visits = models.PositiveIntegerField(default=0)
    scored_visits = models.PositiveIntegerField(default=0)
    score_sum = models.FloatField(default=0)
    # Shelf results whose evidence did not hold ("not verified"): left out of the average, and counted
    # so the dashboard can say how many it left out.
    unverified = models.PositiveIntegerField(default=0)
    photos = models.PositiveIntegerField(default=0)
    last_visit_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "day"], name="uniq_analytics_store_day")]
        indexes = [models.Index(fields=["day", "store"])]


class SkuDay(models.Model):
    """What the day's visits in one region saw of one SKU (from SkuObservation).

    Rows with no region add up every region, so the unfiltered dashboard reads 1/regions as many.
    The day is the visit's local check-in day, as for every other figure.
    """

    day = models.DateField()
    region = models.ForeignKey("stores.Region", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("stores.Product", on_delete=models.CASCADE, related_name="+")
    seen = models.PositiveIntegerField(default=0, help_text="Visits that checked the SKU.")
    oos = models.PositiveIntegerField(default=0, help_text="Visits that found it out of stock.")
    facings = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region", "day", "product"], name="uniq_analytics_sku_day")
        ]
        # The dashboard reads one region's rows (or the all-regions rows) over a range of days: with the
        # figures in the index that is an index-only scan (65 → 27 ms for a year, measured).
        indexes = [
            models.Index(fields=["region", "day", "product", "seen", "oos", "facings"], name="analytics_skuday_read"),
            models.Index(fields=["day"], name="analytics_skuday_day"),  # a refresh replaces whole days
        ]


class BrandDay(models.Model):
    """Facings and shelf width one brand had on one store's shelf of one category, on one day.

    From the visit scores' share-of-shelf (every recognised facing, planned or not, competitors
    included). The row with no brand is the whole shelf: the denominator of every share.
    """

    day = models.DateField()
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey("stores.Category", on_delete=models.CASCADE, related_name="+")
    brand = models.ForeignKey("stores.Brand", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    facings = models.PositiveIntegerField(default=0)
    width_mm = models.FloatField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["day", "store", "category", "brand", "facings", "width_mm"],
                         name="analytics_brandday_read")
        ]


class SummaryMark(models.Model):
    """How far the summaries have read a source table (its highest id), so refreshes are incremental."""

    source = models.CharField(max_length=32, primary_key=True)
    last_id = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(auto_now=True)
