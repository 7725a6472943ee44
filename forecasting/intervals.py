"""Conformal prediction intervals. Pure numpy.

The absolute errors on log1p(units) at validation origins (forecasts made before a cut, scored after it)
give a forecast its interval half-width: the ceil((n + 1) x 0.8)-th smallest of n errors, so that 80% of
outcomes fall inside by construction if the future errs like the recent past. Prophet's own interval
assumes its model is right, and on real series it is not (it covered a third of the cheese weeks). On
the log scale the interval is a ratio band, so a big seller and a slow one get the same relative width,
and the lower end never goes below zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from forecasting.model import Forecast

MIN_RESIDUALS = 8  # fewer validation errors than this say too little about the interval


def half_width(log_errors, width: float) -> float | None:
    """The conformal half-width on log1p(units): the ceil((n + 1) x width)-th smallest of n errors."""
    errors = np.sort(np.asarray(log_errors, dtype=float))
    errors = errors[np.isfinite(errors)]
    if errors.size < MIN_RESIDUALS:
        return None
    rank = min(int(np.ceil((errors.size + 1) * width)), errors.size)
    return float(errors[rank - 1])


def conformal_interval(
    forecast: Forecast, log_errors, width: float, *, category_half: float | None = None, weight: float = 0.5
) -> Forecast:
    """The forecast with its interval replaced by the conformal one (when there are enough errors).

    With ``category_half`` (the same model's half-width from every series' validation errors), the series'
    own half-width is weighed with it by ``weight``: a model chosen because its few validation weeks went
    well has, by that very choice, errors that look smaller than its next ones will be, and its interval
    alone undercovers.
    """
    half = half_width(log_errors, width)
    if half is None:
        return forecast
    if category_half is not None:
        half = (1 - weight) * half + weight * category_half
    center = np.log1p(forecast.yhat)
    # min/max with yhat: expm1(log1p(x)) is not exactly x, and a zero-width interval must still hold yhat.
    forecast.yhat_lower = np.clip(np.minimum(np.expm1(center - half), forecast.yhat), 0.0, None)
    forecast.yhat_upper = np.maximum(np.expm1(center + half), forecast.yhat)
    return forecast


def log_errors(actual: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    return np.abs(np.log1p(np.asarray(actual, dtype=float)) - np.log1p(np.asarray(predicted, dtype=float)))
