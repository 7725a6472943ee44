"""Generated daily sales with known truth: for the demo data, the benchmarks and the tests. Pure numpy/pandas.

Demand rate = base x weekday profile x yearly season x trend x promo lift x display lift x price effect
(x the Spring Festival's lifts, off unless asked for); units are Poisson around it. Stock-out days sell
nothing (lost sales) and are flagged, which is exactly the censoring the forecaster has to ignore.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd

from forecasting.model import weekly_holiday_features

# Monday..Sunday; weekends sell more in grocery.
WEEKDAY_PROFILE = np.array([0.88, 0.90, 0.93, 0.97, 1.08, 1.20, 1.04])


@dataclass(frozen=True)
class DemandTruth:
    base: float = 20.0
    weekly_strength: float = 1.0  # 0 flattens the weekday profile
    yearly_amplitude: float = 0.25  # peak-to-mean in log terms, peak in mid December
    trend_per_year: float = 0.05
    promo_lift: float = 0.40  # +40% units while a promotion runs
    display_lift: float = 0.25  # +25% units with a display up all period
    price_elasticity: float = -1.2  # d log(units) / d log(price)
    # China's calendar: units x (1 + lift) on every day of the Monday week holding Chinese New Year's Day, and
    # of the week before it (the stock-up), as forecasting.model's weekly CN regressors put them.
    spring_festival_lift: float = 0.0
    spring_festival_before_lift: float = 0.0


def episodes(rng: np.random.Generator, days: int, share: float, length: tuple[int, int]) -> np.ndarray:
    """A 0/1 daily flag covering about ``share`` of the days in runs of ``length`` days."""
    flag = np.zeros(days)
    if share <= 0:
        return flag
    mean_length = sum(length) / 2
    for _ in range(round(days * share / mean_length)):
        start = int(rng.integers(0, max(days - length[0], 1)))
        flag[start : start + int(rng.integers(length[0], length[1] + 1))] = 1.0
    return flag


def demand_rate(ds: pd.DatetimeIndex, truth: DemandTruth, promo, display, price_ratio) -> np.ndarray:
    weekday = WEEKDAY_PROFILE[ds.day_of_week.to_numpy()] ** truth.weekly_strength
    day_of_year = ds.day_of_year.to_numpy()
    yearly = np.exp(truth.yearly_amplitude * np.cos(2 * np.pi * (day_of_year - 350) / 365.25))
    years = (ds - ds[0]).days.to_numpy() / 365.25
    trend = np.exp(truth.trend_per_year * years)
    lifts = (1 + truth.promo_lift) ** np.asarray(promo) * (1 + truth.display_lift) ** np.asarray(display)
    price = np.asarray(price_ratio, float) ** truth.price_elasticity
    return truth.base * weekday * yearly * trend * lifts * price * spring_festival_factor(ds, truth)


def spring_festival_factor(ds: pd.DatetimeIndex, truth: DemandTruth) -> np.ndarray:
    """The Spring Festival's multiplier on each day (1 outside its week and the week before)."""
    if not (truth.spring_festival_lift or truth.spring_festival_before_lift):
        return np.ones(len(ds))
    if len(ds) and len(ds) == (ds[-1] - ds[0]).days + 1:
        # One run of days (the demo's sales, a bench's series): the same factor for every series.
        lifts = (truth.spring_festival_lift, truth.spring_festival_before_lift)
        return _daily_factor(ds[0], len(ds), lifts).copy()
    return _factor(ds, truth.spring_festival_lift, truth.spring_festival_before_lift)


@lru_cache(maxsize=8)
def _daily_factor(start: pd.Timestamp, days: int, lifts: tuple[float, float]) -> np.ndarray:
    return _factor(pd.date_range(start, periods=days, freq="D"), *lifts)


def _factor(ds: pd.DatetimeIndex, lift: float, before_lift: float) -> np.ndarray:
    monday = pd.DatetimeIndex(ds - pd.to_timedelta(ds.day_of_week, unit="D")).normalize()
    weeks = pd.Series(monday.unique())
    features = weekly_holiday_features("CN", weeks)
    factor = (1 + lift) ** features["spring_festival"] * (1 + before_lift) ** features["spring_festival_before"]
    return pd.Series(factor, index=weeks).reindex(monday).to_numpy()


def simulate_daily(
    rng: np.random.Generator,
    *,
    start: date,
    days: int,
    truth: DemandTruth,
    promo: np.ndarray | None = None,
    display: np.ndarray | None = None,
    promo_share: float = 0.12,
    display_share: float = 0.10,
    promo_discount: float = 0.0,
    price_noise: float = 0.03,
    oos_share: float = 0.0,
    unit_price: float = 2.49,
) -> pd.DataFrame:
    """One store x SKU: ds, y (units), promo, display, price, oos, and ``rate`` (the true expected units)."""
    ds = pd.date_range(pd.Timestamp(start), periods=days, freq="D")
    promo = episodes(rng, days, promo_share, (7, 14)) if promo is None else np.asarray(promo, float)
    display = episodes(rng, days, display_share, (7, 21)) if display is None else np.asarray(display, float)
    # Shelf price drifts a little between price changes every ~8 weeks; promotions may cut it further.
    steps = np.repeat(rng.normal(0.0, price_noise, days // 56 + 1), 56)[:days]
    price_ratio = np.exp(steps) * (1 - promo_discount * promo)
    rate = demand_rate(ds, truth, promo, display, price_ratio)
    oos = episodes(rng, days, oos_share, (1, 4)).astype(bool)
    units = rng.poisson(rate).astype(float)
    units[oos] = 0.0
    return pd.DataFrame(
        {
            "ds": ds,
            "y": units,
            "promo": promo,
            "display": display,
            "price": np.round(unit_price * price_ratio, 2),
            "oos": oos,
            "rate": rate,
        }
    )
