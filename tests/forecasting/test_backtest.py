"""The backtest command's JSON report, and the fallback to the baseline where Prophet loses."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command

from forecasting.backtest import MODELS, run_backtest
from forecasting.model import ModelSettings
from forecasting.models import BacktestRun

METRICS = {"wape", "smape", "mase", "bias", "coverage"}


def test_the_json_report_has_exactly_the_documented_shape(sales_history, capsys):
    call_command("backtest", "--freq", "D", "--holdout", "14", "--json", "--workers", "1")
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"series", "seconds", "models", "chosen_by", "prophet_settings", "refused"}
    assert report["series"] == 4 and report["seconds"] > 0
    assert set(report["models"]) == set(MODELS) and report["refused"] == {}
    assert sum(report["chosen_by"].values()) == 4
    for metrics in report["models"].values():
        assert set(metrics) == METRICS
        assert 0 < metrics["wape"] < 1 and 0 <= metrics["coverage"] <= 1 and metrics["mase"] > 0
    stored = BacktestRun.objects.get()
    assert (stored.series, stored.holdout, stored.metrics) == (4, 14, report["models"])


def test_filters_and_rolling_origins(sales_history, capsys):
    call_command(
        "backtest",
        "--holdout",
        "7",
        "--origins",
        "2",
        "--store",
        "s1",
        "--sku",
        "nuts-200",
        "--json",
        "--workers",
        "1",
    )
    report = json.loads(capsys.readouterr().out)
    assert report["series"] == 1


def test_unknown_filters_are_named(sales_history):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="Unknown store code\\(s\\): nowhere"):
        call_command("backtest", "--holdout", "7", "--store", "nowhere")


def jump_series() -> pd.DataFrame:
    week = np.array([10, 12, 11, 13, 30, 45, 20])
    values = np.concatenate([np.tile(week, 13), np.tile(week * 4, 5)])
    return pd.DataFrame({"ds": pd.date_range("2025-01-06", periods=len(values)), "y": values.astype(float)})


def test_where_prophet_loses_the_chosen_model_is_the_baseline_with_its_exact_scores():
    report = run_backtest([("jump", jump_series())], holdout=7, origins=1, settings=ModelSettings())
    models = report.summary["models"]
    # Last week repeats exactly, so the seasonal-naive forecast is perfect and its interval has zero width.
    assert models["seasonal_naive"] == {"wape": 0.0, "smape": 0.0, "mase": 0.0, "bias": 0.0, "coverage": 1.0}
    assert models["chosen"] == models["seasonal_naive"]
    assert models["prophet"]["wape"] > 0
    assert [o.key for o in report.fallbacks] == ["jump"]
    assert any("seasonal_naive chosen: lowest WAPE" in note for note in report.fallbacks[0].notes)


def test_a_series_too_short_to_backtest_is_skipped_and_said_so():
    short = pd.DataFrame({"ds": pd.date_range("2025-01-01", periods=20), "y": np.arange(20.0)})
    report = run_backtest([("short", short)], holdout=7, origins=1, settings=ModelSettings())
    assert report.summary["series"] == 0
    assert report.skipped[0].skipped.startswith("too short to backtest")
    assert report.summary["models"]["prophet"]["wape"] is None
