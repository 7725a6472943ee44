"""Guardrails a planner relies on, on small generated fixtures: bad input gets a sensible forecast or a reason
that names the row, never a crash or a forecast far past the history; the global model learns a display
effect from every series at once; conformal intervals cover what they say; the per-series choice weighs
the category and never picks a model the series cannot use; validation skips weeks missing from a file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.global_model import GLOBAL, fit_global
from forecasting.intervals import conformal_interval
from forecasting.model import NO_FORECAST, PROPHET, SEASONAL_NAIVE, Forecast, ModelSettings, forecast_series
from forecasting.selection import ENSEMBLE, POOLED, Validation, choose, validation_cuts

WEEKLY = ModelSettings(freq="W", country=None)


def weekly(values, start="2024-01-01", **columns) -> pd.DataFrame:
    values = np.asarray(values, dtype=float)
    frame = pd.DataFrame({"ds": pd.date_range(start, periods=len(values), freq="7D"), "y": values})
    for name, value in columns.items():
        frame[name] = value
    return frame


def future_after(history: pd.DataFrame, periods: int = 12, **columns) -> pd.DataFrame:
    ds = pd.date_range(history["ds"].iloc[-1] + pd.Timedelta(weeks=1), periods=periods, freq="7D")
    frame = pd.DataFrame({"ds": ds, "promo": 0.0, "display": 0.0, "price": np.nan})
    for name, value in columns.items():
        frame[name] = value
    return frame


def noisy(weeks: int, level: float = 200.0, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).poisson(level, weeks).astype(float)


# --- bad input -----------------------------------------------------------------------------------------------


def test_three_rows_get_a_forecast_from_those_rows_and_say_the_history_is_short():
    history = weekly([40, 55, 47])
    forecast = forecast_series(history, future_after(history), WEEKLY)
    assert forecast.model == SEASONAL_NAIVE
    assert forecast.note.startswith("short history (3 periods; Prophet needs 13)")
    assert np.isfinite(forecast.yhat).all() and 40 <= forecast.yhat.min() and forecast.yhat.max() <= 55


def test_all_zeros_forecast_zero_and_say_so():
    history = weekly(np.zeros(40))
    forecast = forecast_series(history, future_after(history), WEEKLY)
    assert (forecast.yhat == 0).all() and forecast.note == "no sales in 40 periods of history: forecasting zero."


def test_one_huge_outlier_week_is_left_out_and_named_not_forecast():
    values = noisy(60)
    values[45] = 250_000  # a typo: a thousand times a normal week, with no display or price cut
    history = weekly(values, price=2.0)
    forecast = forecast_series(history, future_after(history), WEEKLY)
    assert forecast.note.startswith("left out as outliers (over 50x the periods around them): 2024-11-11 (250,000")
    assert forecast.model in (PROPHET, SEASONAL_NAIVE)
    # Sensible: the forecast and its interval stay near the ordinary weeks (about 200), nowhere near 250,000.
    assert 120 < forecast.yhat.mean() < 300 and forecast.yhat_upper.max() < 1_000


def test_a_deep_price_cut_week_is_demand_not_an_outlier():
    values = noisy(60)
    values[45] = 20_000
    price = np.full(60, 2.0)
    price[45] = 1.0
    history = weekly(values, price=price)
    forecast = forecast_series(history, future_after(history), WEEKLY)
    assert "outlier" not in forecast.note


def test_a_price_of_zero_is_read_as_an_unknown_price():
    values = noisy(60)
    zero, unknown = np.full(60, 2.0), np.full(60, 2.0)
    zero[[10, 30, 50]], unknown[[10, 30, 50]] = 0.0, np.nan
    with_zero = forecast_series(weekly(values, price=zero), future_after(weekly(values)), WEEKLY)
    with_nan = forecast_series(weekly(values, price=unknown), future_after(weekly(values)), WEEKLY)
    np.testing.assert_allclose(with_zero.yhat, with_nan.yhat, rtol=1e-6)
    assert 120 < with_zero.yhat.mean() < 300


ROW_8 = "value out of range: history row 8 (2024-02-19)"


@pytest.mark.parametrize(
    ("where", "column", "value", "message"),
    [
        ("history", "display", 1.7, f"{ROW_8} has display 1.7, which is a share: 0 to 1."),
        ("history", "y", -5.0, f"{ROW_8} has units -5.0, which must be a count"),
        ("history", "price", -1.0, f"{ROW_8} has price -1.0, which must be 0 or more"),
        ("future", "display", 1.7, "value out of range: future row 8 (2024-11-25) has display 1.7"),
    ],
)
def test_a_value_out_of_range_is_refused_naming_its_row(where, column, value, message):
    history = weekly(noisy(40), price=2.0, display=0.0)
    future = future_after(history)
    target = history if where == "history" else future
    target[column] = target[column].astype(float)
    target.loc[7, column] = value
    forecast = forecast_series(history, future, WEEKLY)
    assert forecast.model == NO_FORECAST and forecast.note.startswith(message)
    assert np.isnan(forecast.yhat).all()  # no number a planner could mistake for a forecast


# --- the global model --------------------------------------------------------------------------------------------


def display_panel(series: int = 30, weeks: int = 70, lift: float = 2.0, seed: int = 4) -> list[pd.DataFrame]:
    """Weekly series at different levels; displays on random weeks multiply sales by ``lift``."""
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(series):
        display = (rng.random(weeks) < 0.15).astype(float)
        level = float(rng.lognormal(np.log(300), 1.0))
        y = rng.poisson(level * np.where(display > 0, lift, 1.0)).astype(float)
        frame = weekly(y, display=display, promo=0.0, price=3.0, oos=False)
        frames.append(frame)
    return frames


def test_the_global_model_learns_a_display_lift_across_series_and_gives_it_to_a_series_without_displays():
    frames = display_panel()
    model = fit_global(frames, "W")
    assert model is not None
    # A series the model never saw, at a level of its own, that never had a display.
    newcomer = weekly(noisy(40, level=5_000, seed=9), display=0.0, promo=0.0, price=3.0, oos=False)
    plain = model.forecast(newcomer, future_after(newcomer, price=3.0))
    shown = model.forecast(newcomer, future_after(newcomer, display=1.0, price=3.0))
    assert 4_000 < np.median(plain) < 6_000  # its own level, not the panel's
    assert 1.6 < np.median(shown / plain) < 2.5  # the +100% display lift, learned from the others


def test_the_global_model_needs_some_history_to_start_from():
    model = fit_global(display_panel(series=10), "W")
    three = weekly([40, 55, 47], display=0.0, promo=0.0, price=3.0, oos=False)
    assert model.forecast(three, future_after(three)) is None  # the candidate is left out, not guessed


# --- intervals, choice, validation -------------------------------------------------------------------------------


def test_conformal_intervals_cover_about_eighty_percent_of_new_outcomes():
    rng = np.random.default_rng(11)
    truth = 500.0
    calibration = np.abs(np.log1p(rng.lognormal(np.log(truth), 0.4, 300)) - np.log1p(truth))
    outcomes = rng.lognormal(np.log(truth), 0.4, 5_000)
    forecast = Forecast("m", pd.DatetimeIndex([]), np.full(5_000, truth), np.full(5_000, truth), np.full(5_000, truth))
    conformal_interval(forecast, calibration, 0.8)
    covered = np.mean((outcomes >= forecast.yhat_lower) & (outcomes <= forecast.yhat_upper))
    assert 0.75 <= covered <= 0.85
    # Too few errors to say anything: the interval is left as it was, not made up.
    narrow = Forecast("m", pd.DatetimeIndex([]), np.ones(3), np.ones(3), np.ones(3))
    assert (conformal_interval(narrow, [0.1] * 5, 0.8).yhat_upper == 1).all()


def forecasts(*names: str) -> dict[str, Forecast]:
    return {name: Forecast(name, pd.DatetimeIndex([]), np.ones(1), np.ones(1), np.ones(1)) for name in names}


def test_a_series_choice_weighs_the_category_and_never_picks_what_the_series_cannot_use():
    validation = Validation(horizon=12, origins=3)
    for name, error in ((POOLED, 0.19), (ENSEMBLE, 0.20), (GLOBAL, 0.35)):
        validation.abs_error[name], validation.actual[name] = error * 100, 100.0
    category = {POOLED: 0.30, ENSEMBLE: 0.21, GLOBAL: 0.20}
    # Alone, pooled wins by a hair; with the category, the ensemble (good everywhere) does.
    assert choose(validation, forecasts(POOLED, ENSEMBLE, GLOBAL))[0] == POOLED
    name, note = choose(validation, forecasts(POOLED, ENSEMBLE, GLOBAL), category)
    assert name == ENSEMBLE and "weighed 75% with the category's" in note
    # The global model is best across the category but this series could not use it now.
    validation.excluded[GLOBAL] = "no recent sales to start from"
    assert choose(validation, forecasts(POOLED, ENSEMBLE), {**category, GLOBAL: 0.0})[0] == ENSEMBLE


def test_validation_passes_over_weeks_missing_from_the_file():
    values = noisy(100)
    oos = np.zeros(100, dtype=bool)
    oos[64:88] = True  # the chain's file has no rows for these 24 weeks, right before the last 12
    train = weekly(np.where(oos, 0.0, values), oos=oos)
    cuts = validation_cuts(train, 12, "W")
    assert cuts == [(1, 88), (4, 52), (5, 40)]  # windows 2 and 3 hold no sales data


def test_a_live_forecast_carries_the_conformal_interval_from_its_validation_weeks():
    rng = np.random.default_rng(21)
    values = rng.lognormal(np.log(300), 0.35, 60)  # noisier than Poisson: Prophet's own band would be off
    history = weekly(values, price=2.0)
    forecast = forecast_series(history, future_after(history), WEEKLY)
    assert forecast.note.endswith("80% interval calibrated on its errors over the last 12 validation periods.")
    ratio = forecast.yhat_upper / forecast.yhat
    # A band in ratio terms, the same width every week, and wide enough for noise of sd 0.35 on the log.
    assert np.allclose(ratio, ratio[0], rtol=1e-3) and 1.2 < ratio[0] < 3.0
    assert (forecast.yhat_lower <= forecast.yhat).all()
