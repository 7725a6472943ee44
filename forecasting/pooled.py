"""Promotion, display and price effects learned across every series at once, and the model that uses them.

Pure numpy/pandas. Why pooled: one store's 60 weeks hold a handful of display weeks, so its own display
coefficient is mostly noise; the category's 88 stores together pin it down. Each series still gets its own
effect, shrunk toward the pooled one by how much the series itself says (empirical Bayes: the between-
series variance of the effects is estimated from the spread of the per-series estimates, less their own
sampling noise). A series with no displays at all simply gets the pooled effect.

The model, on log1p(units) like Prophet's (so effects are comparable and feed planning.effect_lift):
    log1p(y_t) = level_t + weekday_t (daily only) + beta_s . x_t + e_t,   x = (promo, display, price_index)
- Effects are estimated on deviations from a centred moving average of 13 periods, applied to both sides:
  a slow level drift (the tuna brands over seven years) then cannot masquerade as a price effect.
- The level is an exponentially weighted mean of log1p(y) - beta . x over the training periods; its half-life
  is chosen per series by rolling-origin validation on the training part only (:func:`choose_half_life`).
- No trend is extrapolated: that is what made Prophet's forecasts run away on short real series.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.planning import EffectEstimate

FEATURES = ("promo", "display", "price_index")
SMOOTH_WINDOW = 13
HALF_LIVES = (1.0, 2.0, 4.0, 8.0, 16.0, 52.0)
MIN_ROWS = 8


@dataclass(frozen=True)
class PooledEffects:
    """Effects on log1p(units) pooled over series, with the spread of the series' own effects."""

    coef: np.ndarray
    se: np.ndarray
    between_var: np.ndarray  # tau^2: how much true effects differ between series
    residual_var: float
    series: int

    def estimates(self) -> dict[str, EffectEstimate]:
        return {
            name: EffectEstimate(coef=float(c), se=float(s))
            for name, c, s in zip(FEATURES, self.coef, self.se, strict=True)
        }


def reference_price(train: pd.DataFrame) -> float | None:
    prices = train.loc[~train["oos"].astype(bool), "price"].astype(float)
    prices = prices[prices > 0].dropna()
    return float(prices.median()) if len(prices) else None


def feature_matrix(frame: pd.DataFrame, reference: float | None) -> np.ndarray:
    """(promo, display, price / reference price); unknown or zero prices count as the reference price."""
    price = frame["price"].astype(float).to_numpy()
    index = np.ones(len(frame)) if not reference else np.where(price > 0, price / reference, 1.0)
    index = np.where(np.isfinite(index), index, 1.0)
    return np.column_stack([frame["promo"].astype(float), frame["display"].astype(float), index])


def _in_stock(train: pd.DataFrame) -> pd.DataFrame:
    return train[~train["oos"].astype(bool)]


def _deviations(train: pd.DataFrame) -> tuple[np.ndarray, np.ndarray] | None:
    """log1p(y) and features minus their centred moving averages, over the in-stock periods."""
    rows = _in_stock(train)
    if len(rows) < MIN_ROWS:
        return None
    x = feature_matrix(rows, reference_price(train))
    r = np.log1p(rows["y"].astype(float).to_numpy())

    def smooth(values: np.ndarray) -> np.ndarray:
        return pd.DataFrame(values).rolling(SMOOTH_WINDOW, center=True, min_periods=1).mean().to_numpy()

    return x - smooth(x), r - smooth(r[:, None])[:, 0]


def fit_pooled(trains: Iterable[pd.DataFrame]) -> PooledEffects | None:
    """Pooled effects from the training parts of every series; None when nothing varies anywhere."""
    parts = [d for d in (_deviations(t) for t in trains) if d is not None]
    if not parts:
        return None
    x = np.vstack([p[0] for p in parts])
    r = np.concatenate([p[1] for p in parts])
    xtx = x.T @ x + 1e-6 * np.eye(len(FEATURES))
    coef = np.linalg.solve(xtx, x.T @ r)
    residual_var = float(np.mean((r - x @ coef) ** 2)) or 1e-6
    se = np.sqrt(np.diag(np.linalg.inv(xtx)) * residual_var)
    own, own_var = [], []
    for px, pr in parts:
        gram = px.T @ px
        if np.linalg.matrix_rank(gram) < len(FEATURES):
            continue
        inverse = np.linalg.inv(gram)
        own.append(inverse @ px.T @ pr)
        own_var.append(np.diag(inverse) * residual_var)
    if len(own) >= 3:
        between = np.clip(np.var(own, axis=0) - np.mean(own_var, axis=0), 1e-4, None)
    else:
        between = np.full(len(FEATURES), 1e-2)
    return PooledEffects(coef, se, between, residual_var, len(parts))


def series_effects(train: pd.DataFrame, pooled: PooledEffects | None) -> np.ndarray:
    """This series' effects: its own evidence combined with the pooled effect as the prior."""
    if pooled is None:
        return np.zeros(len(FEATURES))
    deviations = _deviations(train)
    if deviations is None:
        return pooled.coef.copy()
    x, r = deviations
    precision = x.T @ x / pooled.residual_var + np.diag(1.0 / pooled.between_var)
    target = x.T @ r / pooled.residual_var + pooled.coef / pooled.between_var
    return np.linalg.solve(precision, target)


def _level_path(u: np.ndarray, half_life: float) -> np.ndarray:
    """EWMA of u after each period (so path[i] forecasts period i + 1)."""
    alpha = 1 - 0.5 ** (1 / half_life)
    out, level = np.empty(len(u)), u[0]
    for i, value in enumerate(u):
        level = value if i == 0 else level + alpha * (value - level)
        out[i] = level
    return out


@dataclass(frozen=True)
class PooledModel:
    """A fitted pooled-effects model for one series."""

    effects: np.ndarray
    reference: float | None
    level: float
    weekday: np.ndarray | None  # log offset per weekday (daily series)
    half_life: float

    def log_forecast(self, future: pd.DataFrame) -> np.ndarray:
        center = self.level + feature_matrix(future, self.reference) @ self.effects
        if self.weekday is not None:
            center = center + self.weekday[pd.to_datetime(future["ds"]).dt.day_of_week.to_numpy()]
        return center

    def effect_estimates(self, pooled: PooledEffects | None) -> dict[str, EffectEstimate]:
        if pooled is None:
            return {}
        # The shrunk effect's uncertainty is at most the prior's (between-series) spread.
        se = np.sqrt(np.minimum(pooled.between_var, pooled.se**2 + pooled.between_var))
        return {
            name: EffectEstimate(coef=float(c), se=float(s))
            for name, c, s in zip(FEATURES, self.effects, se, strict=True)
        }


def fit_series(
    train: pd.DataFrame, pooled: PooledEffects | None, *, freq: str, half_life: float | None = None
) -> PooledModel | None:
    """The pooled-effects model for one series; None without in-stock sales."""
    rows = _in_stock(train)
    if rows.empty or rows["y"].sum() <= 0:
        return None
    effects = series_effects(train, pooled)
    reference = reference_price(train)
    u = np.log1p(rows["y"].astype(float).to_numpy()) - feature_matrix(rows, reference) @ effects
    weekday = None
    if freq == "D" and len(rows) >= 28:
        days = pd.to_datetime(rows["ds"]).dt.day_of_week.to_numpy()
        detrended = u - pd.Series(u).rolling(7, center=True, min_periods=1).mean().to_numpy()
        weekday = np.array([detrended[days == d].mean() if (days == d).any() else 0.0 for d in range(7)])
        weekday -= weekday.mean()
        u = u - weekday[days]
    half_life = half_life or choose_half_life(u)
    level = float(_level_path(u, half_life)[-1])
    return PooledModel(effects, reference, level, weekday, half_life)


def choose_half_life(u: np.ndarray, horizon: int = 12) -> float:
    """The level's half-life whose level, taken at each period of the training part's second half, best
    forecasts the next ``horizon`` periods (the job it does in a forecast, not one step ahead)."""
    if len(u) < 2 * MIN_ROWS:
        return 8.0
    start = len(u) // 2
    actual = np.expm1(u)
    best, best_error = 8.0, np.inf
    for half_life in HALF_LIVES:
        path = np.expm1(_level_path(u, half_life))
        error = sum(float(np.abs(actual[cut : cut + horizon] - path[cut - 1]).sum()) for cut in range(start, len(u)))
        if error < best_error:
            best, best_error = half_life, error
    return best
