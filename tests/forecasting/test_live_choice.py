"""Live runs choose each store x SKU series' model the way the backtest does: every candidate, with what
the run learned across all its series, the best on a validation window, said so, with a conformal interval."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting import runs
from forecasting.model import ModelSettings
from forecasting.models import ForecastPoint, Level, ModelName, SeriesFit
from forecasting.selection import RunLearning, forecast_chosen, learn_run


def test_a_run_chooses_among_every_model_and_says_which_won_and_why(sales_history):
    run = runs.forecast_run_create(horizon=14, levels=(Level.SERIES, Level.SKU), select=True, dispatch=None)
    run = runs.forecast_run_execute(run.pk)
    assert run.status == run.Status.DONE and run.learning  # learned once, before the chunks
    series_fits = SeriesFit.objects.filter(run=run, level=Level.SERIES)
    assert series_fits.count() == 4
    for fit in series_fits:
        assert fit.model in ModelName.values and fit.model != ModelName.NONE
        assert fit.note.startswith(f"{fit.model} chosen: lowest WAPE over 1 validation origin(s) of 14 periods")
        assert fit.model in fit.validation and fit.validation[fit.model] == min(fit.validation.values())
        points = ForecastPoint.objects.filter(run=run, level=Level.SERIES, store=fit.store, product=fit.product)
        assert points.count() == 14
        assert all(p.yhat_lower <= p.yhat <= p.yhat_upper for p in points)
        assert any(p.yhat_upper > p.yhat for p in points)  # a real interval, not a point
    # Campaign uplift still has effects to read: Prophet's, or the pooled model's where Prophet has none.
    chips = series_fits.get(store=sales_history.store, product=sales_history.chips)
    # Every past promotion came with its 10% discount, so the split between the promotion and the price
    # effect is not identified (the pooled model put promo at -1.0 and price at -13.9 one day): what a
    # planner sees is the two together, a promotion at 10% off, and that must sell more.
    effects = chips.effects
    together = effects["promo"]["coef"] + effects.get("price_index", {"coef": 0.0})["coef"] * (0.9 - 1.0)
    assert together > 0
    # The SKU totals are sums of series, not series of their own: Prophet or the baseline, as before.
    assert set(SeriesFit.objects.filter(run=run, level=Level.SKU).values_list("model", flat=True)) <= {
        ModelName.PROPHET,
        ModelName.SEASONAL_NAIVE,
    }


def test_what_a_run_learned_reads_back_the_same_from_its_stored_text():
    rng = np.random.default_rng(3)
    frames = []
    for index in range(12):
        display = (rng.random(60) < 0.2).astype(float)
        y = rng.poisson(100 * (index + 1) * np.where(display > 0, 1.8, 1.0)).astype(float)
        ds = pd.date_range("2024-01-01", periods=60, freq="7D")
        frames.append(pd.DataFrame({"ds": ds, "y": y, "promo": 0.0, "display": display, "price": 2.0, "oos": False}))
    settings = ModelSettings(freq="W", country=None)
    learning = learn_run(frames, 12, "W")
    stored = RunLearning.from_json(learning.to_json())
    history = frames[0]
    future = pd.DataFrame(
        {"ds": pd.date_range("2025-02-24", periods=12, freq="7D"), "promo": 0.0, "display": 1.0, "price": 2.0}
    )
    first, again = (
        forecast_chosen(history, future, settings, learning),
        forecast_chosen(history, future, settings, stored),
    )
    assert first.model == again.model and first.note == again.note
    np.testing.assert_allclose(first.yhat, again.yhat, rtol=1e-9)


def _panel_learning() -> RunLearning:
    rng = np.random.default_rng(8)
    frames = [
        pd.DataFrame(
            {
                "ds": pd.date_range("2024-01-01", periods=60, freq="7D"),
                "y": rng.poisson(150, 60).astype(float),
                "promo": 0.0,
                "display": 0.0,
                "price": 2.0,
                "oos": False,
            }
        )
        for _ in range(8)
    ]
    return learn_run(frames, 12, "W")


def _weekly(values, **columns) -> pd.DataFrame:
    frame = pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=len(values), freq="7D"), "y": values})
    return frame.assign(**columns)


def test_bad_input_on_the_live_path_gets_a_forecast_or_a_reason_never_a_crash():
    settings, learning = ModelSettings(freq="W", country=None), _panel_learning()
    rng = np.random.default_rng(2)
    ordinary = rng.poisson(150, 60).astype(float)
    outlier = ordinary.copy()
    outlier[40] = 150_000
    display = np.zeros(60)
    display[30] = 1.7
    price = np.full(60, 2.0)
    price[::7] = 0.0
    cases = {
        "three rows": (_weekly([40.0, 55.0, 47.0]), "short history (3 periods"),
        "all zeros": (_weekly(np.zeros(60)), "no sales in 60 periods"),
        "outlier": (_weekly(outlier, price=2.0), "left out as outliers (over 50x the periods around them): 2024-10-07"),
        "display 1.7": (_weekly(ordinary, display=display), "value out of range: history row 31 (2024-07-29)"),
        "price 0": (_weekly(ordinary, price=price), ""),
    }
    for label, (history, note) in cases.items():
        future = pd.DataFrame(
            {"ds": history["ds"].iloc[-1] + pd.to_timedelta(np.arange(1, 13) * 7, unit="D"), "price": 2.0}
        )
        forecast = forecast_chosen(history, future, settings, learning)
        assert forecast.note.startswith(note), label
        if forecast.model != ModelName.NONE:
            top = float(np.max(history["y"].where(history["y"] < 100_000)))
            assert np.isfinite(forecast.yhat).all() and forecast.yhat.max() <= 3 * max(top, 1.0), label
