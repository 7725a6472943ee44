"""Forecast regressors per store x SKU x day: promotions, verified displays, stock-outs.

Reads only. The rules, and why:
- **promo**: a campaign of kind promotion or mixed covering the SKU and the store (no stores = every store)
  on that day. Its ``planned_price_discount_pct`` gives the planned price for future days.
- **display**: a paid placement at the store covering the SKU (its required products, else the campaign's
  products) on that day, scored from photo verification: executed 1, partly executed 0.5, not executed 0;
  "insufficient evidence" and superseded checks do not count. A day takes the latest scored check on or
  before it (days before the first check take the first check). Past days of a placement nobody verified
  are unknown (NaN) and the retailer's own display figure is kept; future days count as planned
  (``planned_execution``, 1.0 = as contracted).
- **out of stock**: a shelf observation of the SKU as out of stock marks that day and the following days
  until the next observation, at most ``carry_days`` days in all: shelves are usually refilled with the
  next delivery, and an unbounded carry would mask real demand.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd

from shelfai.claims.models import Campaign, PaidPlacement, PlacementCheck
from shelfai.compliance.models import SkuObservation

VERDICT_SCORE = {
    PlacementCheck.Verdict.EXECUTED: 1.0,
    PlacementCheck.Verdict.PARTLY_EXECUTED: 0.5,
    PlacementCheck.Verdict.NOT_EXECUTED: 0.0,
}
PROMOTION_KINDS = (Campaign.Kind.PROMOTION, Campaign.Kind.MIXED)

Key = tuple[int, int]  # (store_id, product_id)


@dataclass(frozen=True)
class CampaignWindow:
    campaign_id: int
    store_id: int
    product_id: int
    starts_on: date
    ends_on: date
    discount_pct: Decimal | None


def _days(start: date, end: date) -> Iterable[date]:
    for offset in range((end - start).days + 1):
        yield start + timedelta(days=offset)


def promotion_windows(*, store_ids: Iterable[int], product_ids: Iterable[int], start: date, end: date):
    """Every (campaign, store, SKU) promotion window overlapping [start, end], clipped to it."""
    stores, products = set(store_ids), set(product_ids)
    campaigns = (
        Campaign.objects.filter(kind__in=PROMOTION_KINDS, starts_on__lte=end, ends_on__gte=start)
        .prefetch_related("products", "stores")
        .order_by("starts_on", "pk")
    )
    windows = []
    for campaign in campaigns:
        covered_products = {p.pk for p in campaign.products.all()} & products
        covered_stores = {s.pk for s in campaign.stores.all()} or stores
        for store_id in sorted(covered_stores & stores):
            for product_id in sorted(covered_products):
                windows.append(
                    CampaignWindow(
                        campaign.pk,
                        store_id,
                        product_id,
                        max(campaign.starts_on, start),
                        min(campaign.ends_on, end),
                        campaign.planned_price_discount_pct,
                    )
                )
    return windows


def display_days(
    *,
    store_ids: Iterable[int],
    product_ids: Iterable[int],
    start: date,
    end: date,
    as_of: date,
    planned_execution: float = 1.0,
) -> dict[Key, dict[date, float]]:
    """Verified (after ``as_of``: planned) display share per store x SKU x day; unknown days are absent."""
    stores, products = set(store_ids), set(product_ids)
    placements = (
        PaidPlacement.objects.filter(store_id__in=stores, starts_on__lte=end, ends_on__gte=start)
        .select_related("campaign")
        .prefetch_related("required_products", "campaign__products")
    )
    checks = defaultdict(list)
    scored = PlacementCheck.objects.filter(
        placement__in=placements, is_current=True, verdict__in=list(VERDICT_SCORE)
    ).order_by("checked_on", "pk")
    for check in scored.values("placement_id", "checked_on", "verdict"):
        checks[check["placement_id"]].append((check["checked_on"], VERDICT_SCORE[check["verdict"]]))
    out: dict[Key, dict[date, float]] = defaultdict(dict)
    for placement in placements:
        covered = {p.pk for p in placement.required_products.all()} or {
            p.pk for p in placement.campaign.products.all()
        }
        history = checks.get(placement.pk, [])
        for day in _days(max(placement.starts_on, start), min(placement.ends_on, end)):
            value = _score_on(day, history, as_of, planned_execution)
            if value is None:
                continue
            for product_id in covered & products:
                key = (placement.store_id, product_id)
                out[key][day] = max(value, out[key].get(day, 0.0))
    return out


def _score_on(day: date, history: list[tuple[date, float]], as_of: date, planned: float) -> float | None:
    if day > as_of and not any(checked <= day for checked, _ in history):
        return planned
    if not history:
        return None
    value = history[0][1]
    for checked_on, score in history:
        if checked_on > day:
            break
        value = score
    return value


def stockout_days(
    *,
    store_ids: Iterable[int],
    product_ids: Iterable[int],
    start: date,
    end: date,
    carry_days: int,
) -> dict[Key, set[date]]:
    """Days each store x SKU is taken to be out of stock, from shelf observations."""
    observations = (
        SkuObservation.objects.filter(
            store_id__in=set(store_ids),
            product_id__in=set(product_ids),
            observed_on__gte=start - timedelta(days=carry_days),
            observed_on__lte=end,
        )
        .order_by("store_id", "product_id", "observed_on")
        .values_list("store_id", "product_id", "observed_on", "out_of_stock")
    )
    by_key: dict[Key, list[tuple[date, bool]]] = defaultdict(list)
    for store_id, product_id, observed_on, out_of_stock in observations:
        by_key[(store_id, product_id)].append((observed_on, out_of_stock))
    out: dict[Key, set[date]] = {}
    for key, seen in by_key.items():
        days: set[date] = set()
        for index, (observed_on, out_of_stock) in enumerate(seen):
            if not out_of_stock:
                continue
            next_seen = seen[index + 1][0] if index + 1 < len(seen) else None
            for offset in range(carry_days):
                day = observed_on + timedelta(days=offset)
                if (offset and next_seen is not None and day >= next_seen) or day > end:
                    break
                if day >= start:
                    days.add(day)
        if days:
            out[key] = days
    return out


def apply_signals(
    frame: pd.DataFrame,
    *,
    key: Key,
    promotions: list[CampaignWindow],
    displays: dict[Key, dict[date, float]],
    stockouts: dict[Key, set[date]],
    base_price: float | None = None,
) -> pd.DataFrame:
    """Add the signals to one store x SKU daily frame (ds, promo, display, price[, oos]) and return it.

    promo becomes 1 on promotion days; display takes the verified value where there is one; oos is set from
    shelf observations; on future rows (``base_price`` given) a planned discount sets the price.
    """
    frame = frame.copy()
    days = pd.to_datetime(frame["ds"]).dt.date
    position = {day: i for i, day in enumerate(days)}
    promo = frame["promo"].astype(float).to_numpy().copy()
    price = frame["price"].astype(float).to_numpy().copy()
    for window in promotions:
        if (window.store_id, window.product_id) != key:
            continue
        for day in _days(window.starts_on, window.ends_on):
            i = position.get(day)
            if i is None:
                continue
            promo[i] = 1.0
            if base_price is not None and window.discount_pct:
                price[i] = base_price * (1 - float(window.discount_pct) / 100)
    display = frame["display"].astype(float).to_numpy().copy()
    for day, value in displays.get(key, {}).items():
        i = position.get(day)
        if i is not None:
            display[i] = value
    oos = (
        frame["oos"].to_numpy(dtype=bool).copy()
        if "oos" in frame
        else pd.Series(False, index=frame.index).to_numpy()
    )
    for day in stockouts.get(key, set()):
        i = position.get(day)
        if i is not None:
            oos[i] = True
    frame["promo"], frame["display"], frame["price"], frame["oos"] = promo, display, price, oos
    return frame
