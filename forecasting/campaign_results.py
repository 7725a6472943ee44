"""A finished campaign's measured uplift and ROI: ORM glue around forecasting.measured.

What the campaign cost is what was actually paid where finance has decided its claims (the approved
amounts of approved and part-approved claim lines on its paid displays); before any decision it is the
contracted fees, and the result says so. Measuring fits a model per store x SKU, so a result is cached
until the sales or the payments it read change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Sum
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from forecasting import selectors
from forecasting.measured import MeasuredResult, SeriesMeasurement, counterfactual, measured_result
from forecasting.model import MIN_PROPHET_PERIODS, ModelSettings
from forecasting.models import SalesRecord
from forecasting.notes import model_note
from forecasting.plan_services import PlanningError
from forecasting.regressors import PROMOTION_KINDS
from shelfai import formats
from shelfai.claims.models import Campaign, ClaimLine, ExpenseClaim
from shelfai.stores.models import Store

CACHE_SECONDS = 24 * 3600
MAX_SERIES = 60  # store x SKU series measured per campaign: each is a model fit while the page waits
MAX_CONTROLS = 30  # series at stores the campaign did not reach (control_ratio), same cost each


@dataclass
class MeasuredCampaign:
    campaign: Campaign
    result: MeasuredResult | None = None
    fee_source: str = ""
    notes: list[str] = field(default_factory=list)
    stores: list[dict] = field(default_factory=list)  # per store: actual, counterfactual, incremental


def fee_paid(campaign: Campaign) -> tuple[Decimal, str]:
    """What the campaign cost in fees, and where the figure comes from."""
    lines = ClaimLine.objects.filter(
        placement__campaign=campaign,
        claim__status__in=(ExpenseClaim.Status.APPROVED, ExpenseClaim.Status.PARTIAL),
    )
    approved = lines.aggregate(total=Sum("approved_amount"), n=Count("pk"))
    if approved["n"]:
        return Decimal(approved["total"] or 0), f"paid: approved amounts of {approved['n']} decided claim line(s)"
    contracted = campaign.placements.aggregate(total=Sum("fee"))["total"]
    if contracted is not None:
        return Decimal(contracted), "contracted fees of its paid displays (no claim decided yet)"
    return Decimal(campaign.budget or 0), "the campaign's budget (it pays for no displays)"


def campaign_measured(*, campaign: Campaign, today: date | None = None) -> MeasuredCampaign:
    """Measure a campaign that has ended; PlanningError says why one cannot be."""
    today = today or timezone.localdate()
    if campaign.ends_on >= today:
        raise PlanningError(
            _("%(name)s runs until %(end)s: it is measured once it has ended, from the sales of its days against a "
              "forecast from the history before it.") % {"name": campaign.name, "end": formats.day(campaign.ends_on)}
        )
    products = {p.pk: p for p in campaign.products.all()}
    if not products:
        raise PlanningError(
            _("Campaign %(name)s has no products, so there are no sales to measure.") % {"name": campaign.name}
        )
    store_ids = [s.pk for s in campaign.stores.all()] or None
    keys = selectors.series_keys(store_ids=store_ids, product_ids=list(products))[:MAX_SERIES]
    fee, source = fee_paid(campaign)
    key = _cache_key(campaign, keys, fee)
    cached = cache.get(key)
    if cached is not None:
        return cached
    measured = MeasuredCampaign(campaign, fee_source=source)
    series = _measure_series(campaign, keys, products, measured.notes)
    controls = _measure_series(campaign, _control_keys(campaign, store_ids, products), products, [])
    if not series:
        facts = {"name": campaign.name, "start": formats.day(campaign.starts_on), "note": "; ".join(measured.notes[:1])}
        if measured.notes:
            raise PlanningError(_("No store × SKU of %(name)s has sales on its days and enough history before "
                                  "%(start)s to forecast them (%(note)s).") % facts)
        raise PlanningError(_("No store × SKU of %(name)s has sales on its days and enough history before "
                              "%(start)s to forecast them.") % facts)
    discount = campaign.planned_price_discount_pct if campaign.kind in PROMOTION_KINDS else None
    measured.result = measured_result(series, discount_pct=discount, fee=fee, controls=controls)
    measured.stores = _by_store(measured.result.series)  # scaled by the control stores, as the total
    cache.set(key, measured, CACHE_SECONDS)
    return measured


def _control_keys(campaign: Campaign, store_ids: list[int] | None, products: dict) -> list[tuple[int, int]]:
    """The campaign's SKUs at stores it did not reach (none when it ran at every store), up to MAX_CONTROLS,
    leaving out stores that ran another campaign of the same SKUs on any of its days."""
    if not store_ids:
        return []
    busy = set(
        Campaign.objects.filter(
            products__in=list(products), starts_on__lte=campaign.ends_on, ends_on__gte=campaign.starts_on
        )
        .exclude(pk=campaign.pk)
        .values_list("stores", flat=True)
    )
    if None in busy:  # another campaign of these SKUs ran at every store then: no clean control
        return []
    keys = selectors.series_keys(product_ids=list(products))
    return [k for k in keys if k[0] not in set(store_ids) and k[0] not in busy][:MAX_CONTROLS]


def _measure_series(campaign, keys, products, notes) -> list[SeriesMeasurement]:
    data = selectors.daily_histories(keys, as_of=campaign.ends_on)
    model_settings = ModelSettings(freq="D", country=settings.FORECAST_COUNTRY or None)
    start, end = pd.Timestamp(campaign.starts_on), pd.Timestamp(campaign.ends_on)
    series = []
    for store_id, product_id in keys:
        frame = data.histories.get((store_id, product_id))
        product = products[product_id]
        label = {"store": store_id, "sku": product.sku, "days": MIN_PROPHET_PERIODS["D"]}
        if frame is None:
            continue
        before = frame[frame["ds"] < start]
        during = frame[(frame["ds"] >= start) & (frame["ds"] <= end)]
        if (~before["oos"].astype(bool)).sum() < MIN_PROPHET_PERIODS["D"]:
            notes.append(_("store %(store)s × %(sku)s: under %(days)s days of sales before the campaign") % label)
            continue
        if during.empty:
            notes.append(_("store %(store)s × %(sku)s: no sales days inside the campaign") % label)
            continue
        outcome = counterfactual((store_id, product_id), before, during, model_settings, product.unit_price)
        if isinstance(outcome, str):
            notes.append(_("store %(store)s × %(sku)s: %(why)s") % {**label, "why": model_note(outcome)})
        else:
            series.append(outcome)
    return series


def _by_store(series: list[SeriesMeasurement]) -> list[dict]:
    stores = {s.pk: s for s in Store.objects.filter(pk__in={m.key[0] for m in series})}
    rows: dict[int, dict] = {}
    for m in series:
        row = rows.setdefault(m.key[0], {"store": stores.get(m.key[0]), "actual": 0.0, "counterfactual": 0.0})
        row["actual"] += m.actual
        row["counterfactual"] += m.counterfactual
    for row in rows.values():
        row["incremental"] = row["actual"] - row["counterfactual"]
        row["lift"] = row["incremental"] / row["counterfactual"] if row["counterfactual"] > 0 else None
    return sorted(rows.values(), key=lambda r: -r["incremental"])


def _cache_key(campaign: Campaign, keys, fee: Decimal) -> str:
    """Changes when the campaign, its sales up to its end, or what was paid change."""
    sales = SalesRecord.objects.filter(
        product__in=campaign.products.all(),
        date__lte=campaign.ends_on,
        date__gte=campaign.starts_on - timedelta(days=3 * 365),
    ).aggregate(n=Count("pk"), last=Max("pk"), units=Sum("units"))
    # The language too: the cached result's explanation and notes are sentences in the reader's language.
    text = (
        f"{get_language()}|{campaign.pk}|{campaign.starts_on}|{campaign.ends_on}|{campaign.kind}|{campaign.planned_price_discount_pct}"
        f"|{sorted(keys)}|{fee}|{sales}"
    )
    return "measured-campaign:" + hashlib.sha256(text.encode()).hexdigest()
