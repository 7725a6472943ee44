"""One gradient-boosted model (LightGBM) learned from every series at once. Pure: frames in, forecasts out.

Why global: a store's 60 weeks say little about how a display or a price cut moves its sales, or how fast
a jump in sales fades; 88 stores' weeks together say a lot. Each training row is one (origin, horizon)
pair of one series: what was known at the origin (recent sales, their level and spread, the price and
display then) and what is planned for the target period (display, promotion, price), with the target
log1p(units at origin + h) - level at origin. Working relative to the series' own recent level is what
lets one model serve a brand selling 50,000 tins a week and a store selling 300 packs: it learns ratios.

- **Direct, not recursive:** the horizon is a feature, so twelve weeks ahead are one prediction each, and
  an error in week 1 is not fed back into week 2.
- **L1 loss on the log ratio:** its prediction is the conditional median, which is what WAPE rewards, and
  a median does not change under log, so expm1 of it is the median of units.
- **Missing weeks** (stock-outs, weeks absent from a weekly file) are NaN features, which the trees route
  on their own, and are never targets: they are not demand.
- **Rows are sampled** to at most MAX_ROWS (origins and horizons drawn evenly at random, seeded), so a
  thousand daily series train in seconds; the forecast for a series uses its own full history.
- **The same data gives the same model**, whatever order the series come in: each series' sample is drawn
  with a seed taken from its own values, the rows are sorted before training, and LightGBM runs seeded,
  single-threaded and ``deterministic``. Its bagging follows row order, so before this two imports of the
  same file (a database returns series in no fixed order) gave figures ±0.005 apart.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd

from forecasting.model import SPRING_FESTIVAL, SPRING_FESTIVAL_BEFORE, holiday_frame, weekly_holiday_features

GLOBAL = "global"
LAGS = 8
MIN_TRAIN_ROWS = 200  # fewer (origin, horizon) pairs than this across all series: no global model
MIN_ORIGIN_PERIODS = 4  # an origin needs this many periods of history behind it
MAX_ROWS = 120_000
SEASON = {"D": 7, "W": 52}
HORIZON = {"D": 84, "W": 12}
ANCHOR = {"D": 28, "W": 4}  # periods the level is the mean of: four weeks either way
PARAMS = {
    "objective": "l1",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "num_threads": 1,  # the backtest and the runs parallelise over processes
    "deterministic": True,
    "seed": 7,
    "verbose": -1,
}
ROUNDS = 300
ORIGIN_FEATURES = (
    *(f"lag{i}" for i in range(LAGS)),
    "mean13",
    "mean52",
    "sd13",
    "level",
    "history",
    "since",
    "display_now",
    "display_mean13",
    "price_now",
)
TARGET_FEATURES = (
    "horizon",
    "display",
    "display_excess",
    "promo",
    "price",
    "price_change",
    "seasonal_lag",
)
# Weekly series: the time of year; daily ones: the weekday as well.
CALENDAR = {"W": ("season_sin", "season_cos"), "D": ("weekday_sin", "weekday_cos", "year_sin", "year_cos")}
# With China's calendar, Spring Festival, which the time of year cannot place (its date moves by weeks): the
# festival's week (daily: its break days) and the stock-up before it, as forecasting.model marks them.
FESTIVAL = ("spring_festival", "spring_festival_before")


def feature_names(freq: str, country: str | None = None) -> tuple[str, ...]:
    return (*ORIGIN_FEATURES, *TARGET_FEATURES, *CALENDAR[freq], *(FESTIVAL if country == "CN" else ()))


@dataclass
class _Series:
    """One series' arrays and the origin features at every position."""

    z: np.ndarray  # log1p(units), NaN where not demand (stock-out or missing week)
    display: np.ndarray
    promo: np.ndarray
    price: np.ndarray  # log(price / the series' median price); 0 where unknown
    ds: pd.DatetimeIndex
    origin: np.ndarray  # (periods, len(ORIGIN_FEATURES))
    anchor: np.ndarray  # the level each origin's targets are relative to (NaN: no origin there)


def _price_index(price: pd.Series, reference: float | None) -> np.ndarray:
    values = price.astype(float).to_numpy()
    if not reference:
        return np.zeros(len(values))
    ratio = np.where(values > 0, values / reference, 1.0)
    return np.log(np.where(np.isfinite(ratio) & (ratio > 0), ratio, 1.0))


def _reference_price(frame: pd.DataFrame) -> float | None:
    prices = frame.loc[~frame["oos"].astype(bool), "price"].astype(float)
    prices = prices[prices > 0].dropna()
    return float(prices.median()) if len(prices) else None


def _prepare(frame: pd.DataFrame, freq: str, reference: float | None = None) -> _Series:
    oos = frame["oos"].astype(bool).to_numpy()
    z = np.log1p(frame["y"].astype(float).clip(lower=0).to_numpy())
    z = np.where(oos, np.nan, z)
    reference = reference if reference is not None else _reference_price(frame)
    price = _price_index(frame["price"], reference)
    display = frame["display"].astype(float).to_numpy()
    series = pd.Series(z)
    known = np.isfinite(z)
    count = np.cumsum(known)
    # The level an origin stands on: the mean of its last four weeks with sales data, however far back
    # (a chain's weeks can be missing for months); how far back is a feature of its own.
    positions = np.flatnonzero(known)
    anchor = np.full(len(z), np.nan)
    since = np.full(len(z), np.nan)
    if positions.size:
        level = pd.Series(z[positions]).rolling(ANCHOR[freq], min_periods=1).mean().to_numpy()
        latest = count - 1  # index into positions of the last known period at or before each t
        has = latest >= 0
        anchor[has] = level[latest[has]]
        since[has] = np.arange(len(z))[has] - positions[latest[has]]
    anchor = np.where(count >= MIN_ORIGIN_PERIODS, anchor, np.nan)
    columns = [np.concatenate([np.full(i, np.nan), z[: len(z) - i]]) - anchor for i in range(LAGS)]
    columns += [
        series.rolling(13, min_periods=1).mean().to_numpy() - anchor,
        series.rolling(52, min_periods=1).mean().to_numpy() - anchor,
        series.rolling(13, min_periods=2).std().to_numpy(),
        anchor,
        np.log1p(count),
        since,
        display,
        pd.Series(display).rolling(13, min_periods=1).mean().to_numpy(),
        price,
    ]
    return _Series(
        z=z,
        display=display,
        promo=frame["promo"].astype(float).to_numpy(),
        price=price,
        ds=pd.DatetimeIndex(frame["ds"]),
        origin=np.column_stack(columns),
        anchor=anchor,
    )


def _calendar(ds: pd.DatetimeIndex, freq: str, country: str | None = None) -> list[np.ndarray]:
    year = 2 * np.pi * ds.day_of_year.to_numpy() / 365.25
    festival = _festival(ds, freq) if country == "CN" else []
    if freq == "W":
        return [np.sin(year), np.cos(year), *festival]
    weekday = 2 * np.pi * ds.day_of_week.to_numpy() / 7
    return [np.sin(weekday), np.cos(weekday), np.sin(year), np.cos(year), *festival]


def _festival(ds: pd.DatetimeIndex, freq: str) -> list[np.ndarray]:
    if not len(ds):
        return [np.zeros(0), np.zeros(0)]
    if freq == "W":
        weeks = pd.Series(ds.unique())
        features = weekly_holiday_features("CN", weeks)
        return [pd.Series(features[name], index=weeks).reindex(ds).to_numpy() for name in FESTIVAL]
    frame = holiday_frame("CN", ds.min(), ds.max())
    named = frame.set_index("ds")["holiday"] if frame is not None else pd.Series(dtype=str)
    names = named.reindex(ds.normalize()).to_numpy()
    return [(names == SPRING_FESTIVAL).astype(float), (names == SPRING_FESTIVAL_BEFORE).astype(float)]


def _rows(
    series: _Series,
    t: np.ndarray,
    h: np.ndarray,
    *,
    display: np.ndarray,
    promo: np.ndarray,
    price: np.ndarray,
    ds: pd.DatetimeIndex,
    freq: str,
    country: str | None = None,
) -> np.ndarray:
    """Feature rows for origins ``t`` and horizons ``h``; target-period values given per row."""
    origin = series.origin[t]
    season = SEASON[freq]
    back = t + h - season * np.ceil(h / season).astype(int)  # the same weekday (or week) last seen
    usable = (back >= 0) & (back <= t)
    seasonal = np.full(len(t), np.nan)
    seasonal[usable] = series.z[back[usable]] - series.anchor[t[usable]]
    target = np.column_stack(
        [
            h.astype(float),
            display,
            display - origin[:, ORIGIN_FEATURES.index("display_mean13")],
            promo,
            price,
            price - origin[:, ORIGIN_FEATURES.index("price_now")],
            seasonal,
            *_calendar(ds, freq, country),
        ]
    )
    return np.column_stack([origin, target])


def training_rows(
    frames: Iterable[pd.DataFrame], freq: str, *, max_rows: int = MAX_ROWS, seed: int = 0, country: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(features, target) for every usable (origin, horizon) pair inside each frame, sampled to ``max_rows``."""
    horizon = HORIZON[freq]
    prepared = [_prepare(frame, freq) for frame in frames if len(frame) > MIN_ORIGIN_PERIODS]
    pairs = []
    for index, series in enumerate(prepared):
        n = len(series.z)
        t, h = np.meshgrid(np.arange(n), np.arange(1, horizon + 1), indexing="ij")
        t, h = t.ravel(), h.ravel()
        keep = (t + h < n) & np.isfinite(series.anchor[t])
        t, h = t[keep], h[keep]
        keep = np.isfinite(series.z[t + h])
        pairs.append((index, t[keep], h[keep]))
    total = sum(len(t) for _, t, _ in pairs)
    if total == 0:
        return np.empty((0, len(feature_names(freq, country)))), np.empty(0)
    share = min(1.0, max_rows / total)
    features, targets = [], []
    for index, t, h in pairs:
        if share < 1.0:
            rng = np.random.default_rng([seed, _digest(prepared[index])])
            chosen = rng.random(len(t)) < share
            t, h = t[chosen], h[chosen]
        if not len(t):
            continue
        series, u = prepared[index], t + h
        features.append(
            _rows(
                series,
                t,
                h,
                display=series.display[u],
                promo=series.promo[u],
                price=series.price[u],
                ds=series.ds[u],
                freq=freq,
                country=country,
            )
        )
        targets.append(series.z[u] - series.anchor[t])
    x, y = np.vstack(features), np.concatenate(targets)
    order = np.lexsort(np.column_stack([x, y]).T[::-1])  # rows in an order of their own, not the frames'
    return x[order], y[order]


def _digest(series: _Series) -> int:
    """A seed from the series' own sales and dates: the same series draws the same sample in any company."""
    values = np.nan_to_num(series.z, nan=-1.0).tobytes() + series.ds.asi8.tobytes()
    return zlib.crc32(values)


@dataclass
class GlobalModel:
    """A fitted global model; ``booster`` pickles, so worker processes get it with their jobs."""

    booster: lgb.Booster
    freq: str
    rows: int
    country: str | None = None  # the holidays calendar it learned with (FESTIVAL features with CN)

    def forecast(self, train: pd.DataFrame, future: pd.DataFrame) -> np.ndarray | None:
        """Units for each row of ``future`` (the periods right after ``train``); None without an origin."""
        if len(train) <= MIN_ORIGIN_PERIODS or not len(future):
            return None
        reference = _reference_price(train)
        series = _prepare(train, self.freq, reference)
        last = len(train) - 1
        if not np.isfinite(series.anchor[last]):
            return None
        h = np.arange(1, len(future) + 1)
        t = np.full(len(h), last)
        features = _rows(
            series,
            t,
            h,
            display=future["display"].astype(float).to_numpy(),
            promo=future["promo"].astype(float).to_numpy(),
            price=_price_index(future["price"], reference),
            ds=pd.DatetimeIndex(future["ds"]),
            freq=self.freq,
            country=self.country,
        )
        log_units = series.anchor[last] + self.booster.predict(features, num_threads=1)
        return np.clip(np.expm1(log_units), 0.0, None)


def fit_global(
    frames: Iterable[pd.DataFrame], freq: str, *, max_rows: int = MAX_ROWS, country: str | None = None
) -> GlobalModel | None:
    """The global model from every frame's (training) periods; None when they hold too few pairs. Only
    China's calendar adds features (FESTIVAL); other countries' holidays stay with Prophet."""
    country = "CN" if country == "CN" else None
    x, y = training_rows(frames, freq, max_rows=max_rows, country=country)
    if len(y) < MIN_TRAIN_ROWS:
        return None
    data = lgb.Dataset(x, y, feature_name=list(feature_names(freq, country)), free_raw_data=True)
    booster = lgb.train(PARAMS, data, num_boost_round=ROUNDS)
    return GlobalModel(booster, freq, len(y), country)
