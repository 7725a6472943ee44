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
    assert chips.effects["promo"]["coef"] > 0
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
