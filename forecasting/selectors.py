"""Reads: sales histories with their signals, future regressor frames, and stored forecasts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from django.conf import settings
from django.db.models import Max, Min

from forecasting import regressors
from forecasting.model import daily_to_weekly, regularize
from forecasting.models import ForecastPoint, ForecastRun, Level, SalesRecord, SeriesFit

Key = tuple[int, int]  # (store_id, product_id)


def sales_span(*, store_ids: Iterable[int] | None = None, product_ids: Iterable[int] | None = None):
    """(first, last) sales date of the selection, or (None, None) when there are no sales."""
    span = _sales(store_ids, product_ids).aggregate(first=Min("date"), last=Max("date"))
    return span["first"], span["last"]


def _sales(store_ids, product_ids):
    records = SalesRecord.objects.all()
    if store_ids is not None:
        records = records.filter(store_id__in=list(store_ids))
    if product_ids is not None:
        records = records.filter(product_id__in=list(product_ids))
    return records


def series_keys(
    *, store_ids: Iterable[int] | None = None, product_ids: Iterable[int] | None = None
) -> list[Key]:
    pairs = _sales(store_ids, product_ids).values_list("store_id", "product_id").distinct()
    return sorted(set(pairs))


@dataclass
class SeriesData:
    """Daily history (ds, y, promo, display, price, oos) of each store x SKU, with the signals applied."""

    histories: dict[Key, pd.DataFrame]
    as_of: date | None


def daily_histories(keys: list[Key], *, as_of: date | None = None) -> SeriesData:
    """Histories of ``keys`` up to ``as_of`` (default: the last sales date among them).

    Each runs from its first sales day to ``as_of``; days without a row sold nothing.
    """
    if not keys:
        return SeriesData({}, as_of)
    store_ids, product_ids = {s for s, _ in keys}, {p for _, p in keys}
    wanted = set(keys)
    records = _sales(store_ids, product_ids)
    if as_of is not None:
        records = records.filter(date__lte=as_of)
    rows = records.order_by("store_id", "product_id", "date").values_list(
        "store_id", "product_id", "date", "units", "price", "promo", "display"
    )
    frame = pd.DataFrame.from_records(
        rows.iterator(chunk_size=20000),
        columns=["store_id", "product_id", "ds", "y", "price", "promo", "display"],
    )
    if frame.empty:
        return SeriesData({}, as_of)
    frame["y"] = frame["y"].astype(float)
    frame["price"] = pd.to_numeric(frame["price"], errors="coerce").astype(float)
    frame["promo"] = frame["promo"].astype(float)
    frame["ds"] = pd.to_datetime(frame["ds"])
    as_of = as_of or frame["ds"].max().date()
    start = frame["ds"].min().date()
    promotions = regressors.promotion_windows(
        store_ids=store_ids, product_ids=product_ids, start=start, end=as_of
    )
    displays = regressors.display_days(
        store_ids=store_ids, product_ids=product_ids, start=start, end=as_of, as_of=as_of
    )
    stockouts = regressors.stockout_days(
        store_ids=store_ids,
        product_ids=product_ids,
        start=start,
        end=as_of,
        carry_days=settings.FORECAST_OOS_CARRY_DAYS,
    )
    histories = {}
    for (store_id, product_id), group in frame.groupby(["store_id", "product_id"], sort=True):
        key = (int(store_id), int(product_id))
        if key not in wanted:
            continue
        group = group.drop(columns=["store_id", "product_id"])
        end_row = pd.DataFrame({"ds": [pd.Timestamp(as_of)], "y": [np.nan]})
        daily = regularize(
            pd.concat([group, end_row]) if group["ds"].max() < pd.Timestamp(as_of) else group, "D"
        )
        # Which days had a sales row: a weekly file's days in between are not zero sales (model.recorded_weeks).
        daily["recorded"] = daily["ds"].isin(group["ds"])
        histories[key] = regressors.apply_signals(
            daily, key=key, promotions=promotions, displays=displays, stockouts=stockouts
        )
    return SeriesData(histories, as_of)


def future_daily(
    keys: list[Key], *, after: date, days: int, histories: dict[Key, pd.DataFrame]
) -> dict[Key, pd.DataFrame]:
    """Daily regressor frames for the ``days`` after ``after``, from the campaign calendar and placements.

    The price is the series' last known price, cut by a campaign's planned discount where one runs.
    """
    if not keys:
        return {}
    store_ids, product_ids = {s for s, _ in keys}, {p for _, p in keys}
    start, end = after + timedelta(days=1), after + timedelta(days=days)
    promotions = regressors.promotion_windows(store_ids=store_ids, product_ids=product_ids, start=start, end=end)
    displays = regressors.display_days(
        store_ids=store_ids, product_ids=product_ids, start=start, end=end, as_of=after
    )
    ds = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D")
    out = {}
    for key in keys:
        history = histories.get(key)
        last_price = None
        if history is not None:
            regular = history.loc[history["promo"] == 0, "price"].dropna()
            last_price = float(regular.iloc[-1]) if len(regular) else None
        frame = pd.DataFrame(
            {
                "ds": ds,
                "y": 0.0,
                "promo": 0.0,
                "display": 0.0,
                "price": last_price if last_price else np.nan,
                "oos": False,
            }
        )
        out[key] = regressors.apply_signals(
            frame, key=key, promotions=promotions, displays=displays, stockouts={}, base_price=last_price
        )
    return out


def aggregate_daily(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Sum store series into one (SKU or region level). Stock-out store-days are filled with the in-stock
    stores' average; a day when fewer than half the stores were in stock is itself marked out of stock."""
    stacked = pd.concat(frames, ignore_index=True)
    stacked["in_stock_y"] = stacked["y"].where(~stacked["oos"])
    grouped = stacked.groupby("ds")
    stores = grouped.size()
    in_stock = grouped["oos"].apply(lambda s: int((~s).sum()))
    total = grouped["in_stock_y"].sum() * stores / in_stock.where(in_stock > 0)
    out = pd.DataFrame(
        {
            "y": total.fillna(0.0),
            "promo": grouped["promo"].mean(),
            "display": grouped["display"].mean(),
            "price": grouped["price"].mean(),
            "oos": in_stock < stores / 2,
        }
    )
    out.index.name = "ds"
    return out.reset_index()


def at_frequency(daily: pd.DataFrame, freq: str) -> pd.DataFrame:
    return daily_to_weekly(daily) if freq == "W" else daily


def latest_run(*, freq: str | None = None) -> ForecastRun | None:
    runs = ForecastRun.objects.filter(status=ForecastRun.Status.DONE)
    if freq:
        runs = runs.filter(freq=freq)
    return runs.order_by("-finished_at", "-pk").first()


def forecast_points(
    run: ForecastRun, *, product_id: int, store_id: int | None = None, region_id: int | None = None
):
    level = Level.SERIES if store_id else Level.REGION if region_id else Level.SKU
    return ForecastPoint.objects.filter(
        run=run, level=level, product_id=product_id, store_id=store_id, region_id=region_id
    ).order_by("date")


def series_fit(
    run: ForecastRun, *, product_id: int, store_id: int | None = None, region_id: int | None = None
):
    level = Level.SERIES if store_id else Level.REGION if region_id else Level.SKU
    return SeriesFit.objects.filter(
        run=run, level=level, product_id=product_id, store_id=store_id, region_id=region_id
    ).first()


def forecast_points_in(
    run: ForecastRun, *, product_id: int, start: date, end: date, store_ids: set[int] | None = None
) -> dict[int, list[ForecastPoint]]:
    """Store-level forecast points of one SKU between two dates, grouped by store."""
    points = ForecastPoint.objects.filter(
        run=run, level=Level.SERIES, product_id=product_id, date__gte=start, date__lte=end
    )
    if store_ids:
        points = points.filter(store_id__in=store_ids)
    grouped: dict[int, list[ForecastPoint]] = {}
    for point in points.order_by("store_id", "date"):
        grouped.setdefault(point.store_id, []).append(point)
    return grouped


def forecast_span(run: ForecastRun) -> tuple[date | None, date | None]:
    """The first and last day a run forecasts at store level."""
    span = ForecastPoint.objects.filter(run=run, level=Level.SERIES).aggregate(first=Min("date"), last=Max("date"))
    return span["first"], span["last"]
