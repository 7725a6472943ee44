"""Forecast accuracy metrics. Pure numpy: arrays in, floats out.

Conventions (stated once, because every report depends on them):
- WAPE = sum|forecast - actual| / sum|actual|. Aggregated over series by summing, so big series weigh more,
  which is what a planner ordering units cares about.
- sMAPE = mean of 2|f - a| / (|a| + |f|), with 0/0 counted as a perfect 0 (a zero forecast of a zero day).
- MASE = MAE / in-sample MAE of the seasonal-naive forecast (lag m) on the training data. Averaged over
  series; series whose training data has no variation at lag m (scale 0) are left out of the mean.
- bias = sum(forecast - actual) / sum(actual): +0.10 means forecasts run 10% high.
- coverage = share of actuals inside [lower, upper]; for an 80% interval it should be near 0.80.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

METRIC_NAMES = ("wape", "smape", "mase", "bias", "coverage")


def _arrays(*values: object) -> list[np.ndarray]:
    return [np.asarray(v, dtype=float) for v in values]


def wape(actual: np.ndarray, forecast: np.ndarray) -> float:
    a, f = _arrays(actual, forecast)
    denominator = np.abs(a).sum()
    return float(np.abs(f - a).sum() / denominator) if denominator > 0 else float("nan")


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    a, f = _arrays(actual, forecast)
    if a.size == 0:
        return float("nan")
    denominator = np.abs(a) + np.abs(f)
    ratio = np.divide(2 * np.abs(f - a), denominator, out=np.zeros_like(a), where=denominator > 0)
    return float(ratio.mean())


def mase_scale(train: np.ndarray, season: int) -> float:
    """In-sample MAE of the seasonal-naive forecast; lag 1 when history is shorter than m.

    NaN marks periods to ignore (stock-outs): differences touching them are left out.
    """
    (y,) = _arrays(train)
    lag = season if y.size > season else 1
    if y.size <= lag:
        return float("nan")
    differences = np.abs(y[lag:] - y[:-lag])
    differences = differences[np.isfinite(differences)]
    return float(differences.mean()) if differences.size else float("nan")


def mase(actual: np.ndarray, forecast: np.ndarray, train: np.ndarray, season: int) -> float:
    a, f = _arrays(actual, forecast)
    scale = mase_scale(train, season)
    if not np.isfinite(scale) or scale == 0 or a.size == 0:
        return float("nan")
    return float(np.abs(f - a).mean() / scale)


def bias(actual: np.ndarray, forecast: np.ndarray) -> float:
    a, f = _arrays(actual, forecast)
    denominator = np.abs(a).sum()
    return float((f - a).sum() / denominator) if denominator > 0 else float("nan")


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    a, lo, hi = _arrays(actual, lower, upper)
    if a.size == 0:
        return float("nan")
    return float(((a >= lo) & (a <= hi)).mean())


@dataclass
class MetricTotals:
    """Accumulates errors over many series so the totals are the pooled metrics described above."""

    abs_error: float = 0.0
    abs_actual: float = 0.0
    signed_error: float = 0.0
    smape_terms: float = 0.0
    points: int = 0
    covered: int = 0
    mase_values: list[float] = field(default_factory=list)

    def add(
        self,
        *,
        actual: np.ndarray,
        forecast: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
        train: np.ndarray,
        season: int,
    ) -> None:
        a, f, lo, hi = _arrays(actual, forecast, lower, upper)
        if a.size == 0:
            return
        self.abs_error += float(np.abs(f - a).sum())
        self.abs_actual += float(np.abs(a).sum())
        self.signed_error += float((f - a).sum())
        self.smape_terms += smape(a, f) * a.size
        self.points += a.size
        self.covered += int(((a >= lo) & (a <= hi)).sum())
        value = mase(a, f, train, season)
        if np.isfinite(value):
            self.mase_values.append(value)

    def merge(self, other: MetricTotals) -> None:
        self.abs_error += other.abs_error
        self.abs_actual += other.abs_actual
        self.signed_error += other.signed_error
        self.smape_terms += other.smape_terms
        self.points += other.points
        self.covered += other.covered
        self.mase_values.extend(other.mase_values)

    def summary(self) -> dict[str, float | None]:
        """Pooled metrics, rounded for reports; None where a metric is undefined (e.g. no actual sales)."""

        def rounded(value: float) -> float | None:
            return round(value, 4) if np.isfinite(value) else None

        has_sales = self.abs_actual > 0
        return {
            "wape": rounded(self.abs_error / self.abs_actual if has_sales else float("nan")),
            "smape": rounded(self.smape_terms / self.points if self.points else float("nan")),
            "mase": rounded(float(np.mean(self.mase_values)) if self.mase_values else float("nan")),
            "bias": rounded(self.signed_error / self.abs_actual if has_sales else float("nan")),
            "coverage": rounded(self.covered / self.points if self.points else float("nan")),
        }
