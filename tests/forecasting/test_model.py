"""The per-series models: never negative, never a crash on thin data, stock-outs not learned as low demand,
and the baseline chosen (and named) where Prophet loses. Pure, with a few small Prophet fits."""

from __future__ import annotations

import types
from datetime import date

import numpy as np
import pandas as pd
import pytest

from forecasting.model import (
    NO_FORECAST,
    PROPHET,
    SEASONAL_NAIVE,
    ModelSettings,
    choose_model,
    daily_to_weekly,
    forecast_series,
    future_frame,
    holiday_frame,
    prophet_forecast,
    regularize,
)
from forecasting.planning import effect_lift
from forecasting.synthetic import DemandTruth, simulate_daily

DAILY = ModelSettings(freq="D", country="US")


def series(values, start="2025-01-06", **columns) -> pd.DataFrame:
    frame = pd.DataFrame({"ds": pd.date_range(start, periods=len(values)), "y": np.asarray(values, float)})
    for name, value in columns.items():
        frame[name] = value
    return frame


def future_after(history: pd.DataFrame, days: int) -> pd.DataFrame:
    return future_frame(history["ds"].iloc[-1], days, "D")


def test_a_collapsing_series_is_never_forecast_below_zero():
    rng = np.random.default_rng(3)
    history = series(rng.poisson(np.linspace(60, 1, 150)))  # a linear trend would cross zero within weeks
    forecast = forecast_series(history, future_after(history, 60), DAILY, select=False)
    # Prophet's forecast collapses far below the recent weeks, so the guardrail falls back and says why.
    assert forecast.model in (PROPHET, SEASONAL_NAIVE)
    if forecast.model == SEASONAL_NAIVE:
        assert "Prophet's forecast not used (level collapse" in forecast.note
    for values in (forecast.yhat, forecast.yhat_lower, forecast.yhat_upper):
        assert np.isfinite(values).all() and (values >= 0).all()
    assert (forecast.yhat_lower <= forecast.yhat).all() and (forecast.yhat <= forecast.yhat_upper).all()


@pytest.mark.parametrize(
    ("history", "model", "note"),
    [
        (series([]), NO_FORECAST, "not enough history: no sales rows."),
        (series([7]), SEASONAL_NAIVE, "short history (1 periods; Prophet needs 28): seasonal naive."),
        (series(np.zeros(90)), SEASONAL_NAIVE, "no sales in 90 periods of history: forecasting zero."),
        (series([3, 5, 4, 6, 2, 8, 9, 4, 5]), SEASONAL_NAIVE, "short history (9 periods"),
        (series([5.0] * 40, oos=True), NO_FORECAST, "not enough history: every period was out of stock."),
    ],
    ids=["empty", "single row", "all zeros", "nine days", "always out of stock"],
)
def test_thin_histories_get_a_sensible_forecast_or_a_clear_reason(history, model, note):
    future = future_frame(pd.Timestamp("2025-06-01"), 14, "D")
    forecast = forecast_series(history, future, DAILY)
    assert forecast.model == model
    assert forecast.note.startswith(note)
    assert len(forecast.yhat) == 14
    if model != NO_FORECAST:
        assert (forecast.yhat >= 0).all() and (forecast.yhat_upper >= forecast.yhat).all()
    if len(history) == 1:
        assert (forecast.yhat == 7).all()


def test_stockout_days_are_not_learned_as_low_demand():
    rng = np.random.default_rng(5)
    units = rng.poisson(20, 150).astype(float)
    units[-12:] = 0  # the shelf was empty for the last 12 days
    flagged = series(units, oos=np.arange(150) >= 138)
    future = future_after(flagged, 14)
    masked = forecast_series(flagged, future, DAILY, select=False)
    naive_model = forecast_series(flagged.assign(oos=False), future, DAILY, select=False)
    assert masked.yhat.mean() == pytest.approx(20, rel=0.15)
    assert naive_model.yhat.mean() < 0.8 * masked.yhat.mean()


def test_prophet_recovers_a_known_promotion_effect():
    rng = np.random.default_rng(11)
    truth = DemandTruth(base=30, promo_lift=0.5, display_lift=0.0, yearly_amplitude=0.0)
    frame = simulate_daily(
        rng, start=date(2024, 1, 1), days=400, truth=truth, promo_share=0.15, display_share=0
    )
    forecast = prophet_forecast(regularize(frame.iloc[:372], "D"), frame.iloc[372:], DAILY)
    lift, low, high = effect_lift(
        yhat=forecast.yhat, regressors=forecast.regressors, effects=forecast.effects, name="promo"
    )
    assert lift == pytest.approx(0.5, rel=0.15)
    assert low < lift < high


def test_the_fast_prediction_path_matches_prophets_own_predict():
    from forecasting import prophet_fit

    rng = np.random.default_rng(2)
    frame = simulate_daily(rng, start=date(2024, 11, 1), days=120, truth=DemandTruth(), oos_share=0.05)
    train, future = frame.iloc[:100], frame.iloc[100:]
    fit = prophet_fit.fit_prophet(
        train[~train["oos"]],
        freq="D",
        holidays=holiday_frame("US", train["ds"].iloc[0], future["ds"].iloc[-1]),
        holiday_features=None,
        yearly_order=4,
        weekly_order=3,
        n_changepoints=10,
        changepoint_prior_scale=0.05,
        interval_width=0.8,
    )
    assert fit.fast_design, (
        "our feature matrix no longer reproduces Prophet's: predictions fall back to pandas"
    )
    fast = prophet_fit.predict_prophet(fit, future, z=1.28, holiday_features=None)[0]
    fit.fast_design = False
    slow = prophet_fit.predict_prophet(fit, future, z=1.28, holiday_features=None)[0]
    np.testing.assert_allclose(fast, slow, rtol=1e-9)


def test_the_fast_component_map_matches_prophets():
    from prophet import Prophet

    from forecasting.prophet_fit import fast_regressor_column_matrix

    days = pd.date_range("2024-01-01", periods=400)
    frame = pd.DataFrame({"ds": days, "y": np.arange(400) % 7, "promo": (np.arange(400) % 9 == 0) * 1.0})

    def component_map(fast: bool):
        model = Prophet(
            holidays=holiday_frame("US", days[0], days[-1]), yearly_seasonality=4, weekly_seasonality=3
        )
        model.add_regressor("promo", standardize=False)
        if fast:
            model.regressor_column_matrix = types.MethodType(fast_regressor_column_matrix, model)
        inputs = model.preprocess(frame.copy())
        return model.train_component_cols, inputs.s_a, inputs.s_m

    ours, prophets = component_map(True), component_map(False)
    assert ours[0].equals(prophets[0])
    assert list(ours[1]) == list(prophets[1]) and list(ours[2]) == list(prophets[2])


def test_the_baseline_is_chosen_where_prophet_loses_and_the_note_says_so():
    week = np.array([10, 12, 11, 13, 30, 45, 20])
    # Sales jump fourfold three weeks from the end (a new listing): last week's sales are a perfect forecast,
    # while Prophet, which places no trend changes in the last fifth of the history, lags behind.
    history = series(np.concatenate([np.tile(week, 13), np.tile(week * 4, 3)]))
    model, note, scores = choose_model(regularize(history, "D"), 14, DAILY)
    assert model == SEASONAL_NAIVE
    assert scores[SEASONAL_NAIVE] == 0 < scores[PROPHET]
    assert note.startswith("seasonal naive chosen: it beat Prophet on the last 14 periods")


def test_weekly_totals_fill_stockout_days_at_the_weeks_in_stock_rate():
    daily = series(
        [10.0] * 21, start="2025-01-06", oos=[False] * 7 + [False] * 5 + [True] * 2 + [True] * 5 + [False] * 2
    )
    daily.loc[daily["oos"], "y"] = 0.0
    weekly = daily_to_weekly(daily)
    assert list(weekly["y"]) == [70.0, 70.0, 70.0]
    assert list(weekly["oos"]) == [False, False, True]  # two in-stock days are too few to trust


def test_an_unknown_country_is_refused_with_what_to_use():
    history = series(np.random.default_rng(0).poisson(10, 60))
    with pytest.raises(ValueError, match="FORECAST_COUNTRY='XX' is not a country"):
        forecast_series(history, future_after(history, 7), ModelSettings(country="XX"), select=False)
