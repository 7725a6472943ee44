"""Plausibility checks on a forecast against its own series' history. Pure numpy.

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
    recent = float(values[-RECENT_PERIODS:].mean())
    level = float(forecast.mean())
    if recent > 0 and level > LEVEL_JUMP * recent:
        return f"level jump: mean forecast {level:.3g} is {level / recent:.1f}x the recent mean {recent:.3g}"
    if recent > 0 and level < recent / LEVEL_JUMP:
        return f"level collapse: mean forecast {level:.3g} against a recent mean of {recent:.3g}"
    if forecast.max() > PEAK_EXPLOSION * values.max():
        return (
            f"explosion: forecast peak {forecast.max():.3g} is {forecast.max() / values.max():.1f}x "
            "the history's highest period"
        )
    return None
