"""FORECAST_COUNTRY=CN: China's public holidays, Spring Festival's moving date included, in every fit."""

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.global_model import fit_global
from forecasting.model import (
    SPRING_FESTIVAL,
    SPRING_FESTIVAL_BEFORE,
    ModelSettings,
    daily_to_weekly,
    forecast_series,
    holiday_frame,
    weekly_holiday_features,
)
from forecasting.planning import effect_lift
from forecasting.synthetic import DemandTruth, simulate_daily

ROOT = Path(__file__).resolve().parents[2]


def test_the_week_holding_spring_festival_2027_is_the_festival_week_and_the_week_before_the_stock_up():
    weeks = pd.Series(pd.date_range("2027-01-18", periods=4, freq="W-MON"))
    features = weekly_holiday_features("CN", weeks)
    # Chinese New Year's Day 2027 is Saturday 6 February: the Monday week of 1 February.
    assert list(features["spring_festival"]) == [0, 0, 1, 0]
    assert list(features["spring_festival_before"]) == [0, 1, 0, 0]


def test_spring_festival_moves_with_the_lunar_calendar():
    weeks = pd.Series(pd.date_range("2025-01-06", "2026-03-02", freq="W-MON"))
    festival = weeks[weekly_holiday_features("CN", weeks)["spring_festival"] == 1]
    assert [day.date() for day in festival] == [date(2025, 1, 27), date(2026, 2, 16)]


def test_the_daily_calendar_names_the_break_as_one_festival_with_its_stock_up_days():
    frame = holiday_frame("CN", pd.Timestamp("2026-01-01"), pd.Timestamp("2026-12-31"))
    names = frame.set_index("ds")["holiday"]
    # The eve, the festival days and the substituted day off after them are one effect.
    assert {names[pd.Timestamp(day)] for day in ("2026-02-16", "2026-02-17", "2026-02-20")} == {SPRING_FESTIVAL}
    assert names[pd.Timestamp("2026-02-10")] == SPRING_FESTIVAL_BEFORE
    assert {"National Day", "Mid-Autumn Festival", "Dragon Boat Festival", "Labor Day"} <= set(names)
    assert not any(name.startswith("Day off") for name in names)


def test_other_countries_have_no_spring_festival():
    weeks = pd.Series(pd.date_range("2027-01-25", periods=3, freq="W-MON"))
    assert set(weekly_holiday_features("US", weeks)) == {"holiday_days"}


def test_a_spring_festival_effect_is_recovered_within_ten_percent():
    # A region's weekly sales of one SKU (base 200 a day), five Spring Festivals in the history.
    rng = np.random.default_rng(7)
    truth = DemandTruth(base=200.0, spring_festival_lift=0.5, spring_festival_before_lift=0.3)
    daily = simulate_daily(rng, start=date(2021, 1, 4), days=7 * 274, truth=truth)
    weekly = daily_to_weekly(daily.drop(columns="rate"))
    history, holdout = weekly.iloc[:-13], weekly.iloc[-13:]
    future = holdout[["ds", "promo", "display", "price"]]
    with_cn = forecast_series(history, future, ModelSettings(freq="W", country="CN"), select=False)
    without = forecast_series(history, future, ModelSettings(freq="W", country=None), select=False)
    features = weekly_holiday_features("CN", holdout["ds"])
    assert features["spring_festival"].sum() == 1, "the holdout holds Spring Festival 2026"
    lift = effect_lift(
        yhat=with_cn.yhat,
        regressors={"spring_festival": features["spring_festival"]},
        effects=with_cn.effects,
        name="spring_festival",
    )
    assert lift[0] == pytest.approx(0.5, rel=0.10)
    actual = holdout["y"].to_numpy()
    assert np.abs(actual - with_cn.yhat).sum() < np.abs(actual - without.yhat).sum()


def test_the_global_model_learns_spring_festival_from_the_calendar():
    histories, holdouts = [], []
    for index in range(8):
        rng = np.random.default_rng([11, index])
        truth = DemandTruth(base=40.0, spring_festival_lift=0.5, spring_festival_before_lift=0.3)
        weekly = daily_to_weekly(simulate_daily(rng, start=date(2021, 1, 4), days=7 * 274, truth=truth))
        histories.append(weekly.iloc[:-13].reset_index(drop=True))
        holdouts.append(weekly.iloc[-13:].reset_index(drop=True))
    festival = weekly_holiday_features("CN", holdouts[0]["ds"])["spring_festival"] == 1

    def festival_error(country):
        model = fit_global(histories, "W", country=country)
        errors = [
            abs(model.forecast(h, f[["ds", "promo", "display", "price"]])[festival] - f["y"][festival]).sum()
            for h, f in zip(histories, holdouts, strict=True)
        ]
        return sum(errors), model

    with_cn, model = festival_error("CN")
    without, _ = festival_error(None)
    assert model.country == "CN" and "spring_festival" in model.booster.feature_name()
    assert with_cn < 0.7 * without


def test_an_unknown_country_code_stops_the_process_with_what_to_use():
    env = {**os.environ, "FORECAST_COUNTRY": "XX", "DJANGO_SETTINGS_MODULE": "shelfai.settings", "DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: FORECAST_COUNTRY='XX' is not a country" in result.stderr
    assert "CN" in result.stderr
