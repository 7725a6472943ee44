"""Plausibility checks on a forecast against its own series' history, and on the inputs. Pure numpy/pandas.

Two strengths, for two jobs:
- :func:`implausible` is the production guardrail: a forecast whose level jumps far from the recent level,
  or whose peak explodes past anything the series ever sold, is not used; the caller falls back and the
  reason goes into the forecast's note.
- :func:`degenerate` is the backtest's refusal: a model that forecasts all zeros for a selling series, or
  a hundred times the history, has lost the data (the tuna weeks did), and its WAPE is not a result.

The bounds are deliberately wide: a planned display can lift a week several-fold (tuna weeks on display
sell up to ten times a normal week), and that must not be flagged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RECENT_PERIODS = 26
LEVEL_JUMP = 4.0  # mean forecast vs. mean of the recent in-stock periods, either way
PEAK_EXPLOSION = 3.0  # forecast peak vs. the history's highest period
DEGENERATE_PEAK = 100.0


def _selling(history: np.ndarray) -> np.ndarray:
    values = np.asarray(history, dtype=float)
    return values[np.isfinite(values)]


def degenerate(yhat: np.ndarray, history: np.ndarray) -> str | None:
    """Why this forecast is no result at all (all zeros for a selling series, or absurdly high), or None."""
    values, forecast = _selling(history), np.asarray(yhat, dtype=float)
    if values.size == 0 or values.sum() <= 0 or forecast.size == 0:
        return None
    if not np.isfinite(forecast).all():
        return "the forecast has missing values"
    mean = float(values[-RECENT_PERIODS:].mean())  # recent: a series that has dwindled may sell little now
    if mean > 0 and forecast.mean() < 0.01 * mean:
        return f"forecasts about zero ({forecast.mean():.3g} a period) for a series selling {mean:.3g} a period"
    if forecast.max() > DEGENERATE_PEAK * values.max():
        return f"forecast peak {forecast.max():.3g} is over {DEGENERATE_PEAK:.0f}x the history's highest"
    return None


def implausible(yhat: np.ndarray, history: np.ndarray) -> str | None:
    """Why this forecast should not be used for this series (level jump, explosion, collapse), or None."""
    reason = degenerate(yhat, history)
    if reason:
        return reason
    values, forecast = _selling(history), np.asarray(yhat, dtype=float)
    if values.size == 0 or values.sum() <= 0 or forecast.size == 0:
        return None
    # The recent median, not the mean: one promotion week selling fifty times the usual (the tuna brands
    # have several) would make an ordinary forecast read as a "collapse" against the mean.
    recent = float(np.median(values[-RECENT_PERIODS:]))
    level = float(forecast.mean())
    if recent > 0 and level > LEVEL_JUMP * recent:
        return f"level jump: mean forecast {level:.3g} is {level / recent:.1f}x the recent median {recent:.3g}"
    if recent > 0 and level < recent / LEVEL_JUMP:
        return f"level collapse: mean forecast {level:.3g} against a recent median of {recent:.3g}"
    if forecast.max() > PEAK_EXPLOSION * values.max():
        return (
            f"explosion: forecast peak {forecast.max():.3g} is {forecast.max() / values.max():.1f}x "
            "the history's highest period"
        )
    return None


# --- inputs -------------------------------------------------------------------------------------------------

OUTLIER_RATIO = 50.0  # a period selling this many times its neighbours' median is a data error, not demand
OUTLIER_WINDOW = 13


def input_problem(frame: pd.DataFrame, what: str) -> str | None:
    """The first value in ``frame`` (history or future rows) that no model should be given, named by its
    row and date, or None. NaN prices are unknown prices, and a price of 0 is read as unknown by every
    model; a display share is the share of the period (or of the stores) with a display, so 0 to 1."""
    checks = (
        ("y", "units", lambda v: np.isinf(v) | (v < 0), "must be a count of 0 or more"),
        ("price", "price", lambda v: np.isinf(v) | (v < 0), "must be 0 or more (empty when unknown)"),
        ("display", "display", lambda v: ~np.isfinite(v) | (v < 0) | (v > 1), "is a share: 0 to 1"),
        ("promo", "promo", lambda v: ~np.isfinite(v) | (v < 0) | (v > 1), "must be 0 or 1"),
    )
    for column, label, bad, rule in checks:
        if column not in frame:
            continue
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        if column in ("y", "price"):  # a missing count is a period without a row; a missing price is unknown
            values = np.where(np.isnan(values), 0.0, values)
        wrong = np.flatnonzero(bad(values))
        if wrong.size:
            row = int(wrong[0])
            when = pd.Timestamp(frame["ds"].iloc[row]).date() if "ds" in frame else "?"
            more = f" (and {wrong.size - 1} more rows)" if wrong.size > 1 else ""
            return (
                f"value out of range: {what} row {row + 1} ({when}) has {label} {frame[column].iloc[row]}, "
                f"which {rule}{more}."
            )
    return None


def outlier_periods(frame: pd.DataFrame) -> np.ndarray:
    """Periods selling more than OUTLIER_RATIO times the median of the in-stock periods around them with
    nothing to explain it: a typo or a bulk order, not shelf demand. A period with a display, a promotion
    or a price cut is never one (the tuna brands sell fifty times a normal week at a deep price cut). Marked
    so the models leave them out, as they leave out stock-outs."""
    oos = frame["oos"].to_numpy(dtype=bool)
    values = np.where(oos, np.nan, np.log1p(frame["y"].to_numpy(dtype=float)))
    if np.isfinite(values).sum() < 4:
        return np.zeros(len(values), dtype=bool)
    neighbours = pd.Series(values).rolling(OUTLIER_WINDOW, center=True, min_periods=3).median().to_numpy()
    price = frame["price"].astype(float).to_numpy()
    usual = np.nanmedian(np.where(price > 0, price, np.nan)) if (price > 0).any() else np.nan
    explained = (frame["display"].to_numpy(dtype=float) > 0) | (frame["promo"].to_numpy(dtype=float) > 0)
    explained |= np.nan_to_num(price, nan=np.inf) < 0.95 * np.nan_to_num(usual, nan=-np.inf)
    with np.errstate(invalid="ignore"):
        return (np.nan_to_num(values - neighbours, nan=0.0) > np.log(OUTLIER_RATIO)) & ~explained
