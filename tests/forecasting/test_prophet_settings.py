"""Prophet's settings are chosen per series by rolling-origin validation on the training part only, and the
same data gives the same figures: the global model does not depend on the order the series come in."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.backtest import run_backtest
from forecasting.global_model import fit_global
from forecasting.model import PROPHET, ModelSettings
from forecasting.selection import PROPHET_VARIANTS, Validation, validate, variant_label

WEEKLY = ModelSettings(freq="W", country=None)


def weekly(values, **columns) -> pd.DataFrame:
    values = np.asarray(values, dtype=float)
    frame = pd.DataFrame({"ds": pd.date_range("2023-01-02", periods=len(values), freq="7D"), "y": values})
    frame = frame.assign(promo=0.0, display=0.0, price=2.0, oos=False)
    for name, value in columns.items():
        frame[name] = value
    return frame


def stepped(seed: int, weeks: int = 90) -> pd.DataFrame:
    """Sales that step up by half twice: a trend that must follow jumps to keep up."""
    rng = np.random.default_rng(seed)
    level = np.repeat([200.0, 300.0, 450.0], [weeks - 40, 20, 20])
    return weekly(rng.poisson(level).astype(float))


def panel(n: int = 8, weeks: int = 70) -> list[tuple[str, pd.DataFrame]]:
    rng = np.random.default_rng(5)
    out = []
    for index in range(n):
        display = (rng.random(weeks) < 0.2).astype(float)
        rate = 80 * (index + 1) * np.where(display > 0, 1.6, 1.0)
        out.append((f"s{index:02d}", weekly(rng.poisson(rate).astype(float), display=display)))
    return out


def test_each_series_gets_the_prophet_settings_that_validated_best_inside_its_training_part():
    train = stepped(1)
    validation = validate(train, 12, WEEKLY, lambda j: None, include=(PROPHET,))
    assert validation.origins == 3
    labels = {variant_label(v) for v in PROPHET_VARIANTS}
    assert set(validation.prophet_variants) == labels  # every variant was fitted and scored
    best = min(validation.prophet_variants, key=validation.prophet_variants.get)
    assert variant_label(validation.prophet_overrides) == best
    # The "prophet" candidate's validation score is that variant's, and the forecast uses its settings.
    assert validation.scores()[PROPHET] == validation.prophet_variants[best]
    tuned = validation.tuned(WEEKLY)
    for name, value in validation.prophet_overrides.items():
        assert getattr(tuned, name) == value
    # Jumps need a trend free to follow them: a stiff one (prior 0.01) is not what this series gets.
    assert validation.prophet_overrides.get("changepoint_prior_scale") != 0.01
    assert "Prophet settings:" in validation.prophet_note()


def test_the_category_outweighs_a_series_own_lucky_pick():
    own = Validation(horizon=12, origins=3)
    for index, wape in ((0, 0.30), (1, 0.29)):
        result = Validation(horizon=12, origins=3)
        result.abs_error[PROPHET], result.actual[PROPHET] = wape * 100, 100.0
        result.log_errors[PROPHET] = [wape] * 12
        own.variant_results[index] = result
    own.pick_variant()
    assert own.prophet_overrides == PROPHET_VARIANTS[1]  # alone: the variant a hair ahead
    own.pick_variant({0: 0.25, 1: 0.40}, weight=0.75)
    assert own.prophet_overrides == {}  # with the category: the default, far better everywhere
    assert own.scores()[PROPHET] == 0.30


def test_the_global_model_is_the_same_whatever_order_the_series_come_in():
    frames = [frame for _, frame in panel()]
    shuffled = [frames[i] for i in np.random.default_rng(0).permutation(len(frames))]
    first, again, reordered = fit_global(frames, "W"), fit_global(frames, "W"), fit_global(shuffled, "W")
    future = weekly(np.zeros(12), display=1.0).drop(columns=["y", "oos"])
    future["ds"] = pd.date_range(frames[0]["ds"].iloc[-1] + pd.Timedelta(weeks=1), periods=12, freq="7D")
    for frame in frames:
        expected = first.forecast(frame, future)
        np.testing.assert_array_equal(again.forecast(frame, future), expected)
        np.testing.assert_array_equal(reordered.forecast(frame, future), expected)


def test_a_backtest_gives_the_same_figures_twice_and_in_any_order():
    series = panel(n=6, weeks=60)
    settings = ModelSettings(freq="W", country=None)
    first = run_backtest(series, holdout=12, origins=1, settings=settings)
    again = run_backtest(list(reversed(series)), holdout=12, origins=1, settings=settings)
    for summary in (first.summary, again.summary):
        summary.pop("seconds")
    assert first.summary == again.summary
    assert first.summary["prophet_settings"]  # which Prophet settings the series got is reported
