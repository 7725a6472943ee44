"""Accuracy metrics on numbers small enough to check by hand. Pure."""

from __future__ import annotations

import numpy as np
import pytest

from forecasting.metrics import MetricTotals, bias, coverage, mase, smape, wape


def test_the_metrics_match_their_definitions():
    actual, forecast = np.array([10, 0, 5]), np.array([8, 0, 10])
    assert wape(actual, forecast) == pytest.approx(7 / 15)
    assert smape(actual, forecast) == pytest.approx((4 / 18 + 0 + 10 / 15) / 3)  # 0/0 counts as perfect
    assert bias(actual, forecast) == pytest.approx(3 / 15)
    assert coverage(actual, lower=[9, 0, 6], upper=[11, 1, 9]) == pytest.approx(2 / 3)


def test_mase_scales_by_the_seasonal_naive_error_and_ignores_stockout_gaps():
    train = np.array([1, 2, 1, 4, np.nan, 2])  # lag-2 differences: 0, 2, nan, 2 -> mean 4/3
    assert mase([3, 3], [4, 1], train, season=2) == pytest.approx(1.5 / (4 / 3))


def test_pooled_totals_weigh_series_by_volume():
    totals = MetricTotals()
    totals.add(
        actual=[100, 100], forecast=[110, 90], lower=[0, 0], upper=[200, 200], train=[1, 2, 3], season=1
    )
    totals.add(actual=[1, 1], forecast=[3, 3], lower=[2, 2], upper=[4, 4], train=[1, 2, 3], season=1)
    summary = totals.summary()
    assert summary["wape"] == pytest.approx(24 / 202, abs=1e-4)
    assert summary["bias"] == pytest.approx(4 / 202, abs=1e-4)
    assert summary["coverage"] == 0.5


def test_undefined_metrics_are_reported_as_none_not_as_numbers():
    totals = MetricTotals()
    totals.add(actual=[0, 0], forecast=[0, 1], lower=[0, 0], upper=[1, 1], train=[0, 0, 0], season=1)
    summary = totals.summary()
    assert summary["wape"] is None and summary["mase"] is None and summary["coverage"] == 1.0
