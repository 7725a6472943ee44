"""A finished campaign measured after the fact: its days forecast from the history before it (no campaign),
compared with what sold. On generated sales with a known uplift, the true increment lies in the interval."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from forecasting.measured import counterfactual, measured_result
from forecasting.model import ModelSettings
from forecasting.synthetic import DemandTruth, simulate_daily

SETTINGS = ModelSettings(freq="D", country=None)
HISTORY, CAMPAIGN = 364, 21
LIFT = 0.5  # +50% units while the display is up


def _store(seed: int, base: float) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """A year without displays, then three weeks with a display up every day; and the true increment."""
    rng = np.random.default_rng(seed)
    truth = DemandTruth(base=base, display_lift=LIFT, trend_per_year=0.0)
    display = np.r_[np.zeros(HISTORY), np.ones(CAMPAIGN)]
    frame = simulate_daily(
        rng, start=date(2024, 1, 1), days=HISTORY + CAMPAIGN, truth=truth, display=display, promo_share=0.0
    )
    days = frame.iloc[HISTORY:]
    true_increment = float(days["rate"].sum()) * LIFT / (1 + LIFT)  # expected units the display added
    return frame.iloc[:HISTORY].drop(columns="rate"), days.drop(columns="rate"), true_increment


def test_a_display_campaign_recovers_its_known_uplift_within_the_interval():
    series, truth = [], 0.0
    for seed, base in ((1, 30.0), (2, 55.0), (3, 18.0)):
        history, days, increment = _store(seed, base)
        measured = counterfactual(seed, history, days, SETTINGS, Decimal("2.50"))
        assert not isinstance(measured, str), measured
        series.append(measured)
        truth += increment
    result = measured_result(series, discount_pct=None, fee=Decimal("300"))
    assert result.incremental_units_low < truth < result.incremental_units_high
    assert result.incremental_units_low > 0  # a +50% display is visibly more than noise here
    assert abs(result.incremental_units - truth) / truth < 0.35
    # ROI against the fee: (incremental revenue - fee) / fee, with the same interval.
    true_roi = (truth * 2.5 - 300) / 300
    assert result.roi_low < true_roi < result.roi_high
    assert result.roi == pytest.approx(float((result.incremental_revenue - 300) / 300), abs=1e-3)
    assert result.fee == Decimal("300.00") and result.discount_cost == Decimal("0.00")


def test_a_campaign_that_did_nothing_is_measured_as_about_nothing():
    rng = np.random.default_rng(9)
    frame = simulate_daily(
        rng,
        start=date(2024, 1, 1),
        days=HISTORY + CAMPAIGN,
        truth=DemandTruth(base=40.0, trend_per_year=0.0),
        display=np.zeros(HISTORY + CAMPAIGN),
        promo_share=0.0,
    ).drop(columns="rate")
    measured = counterfactual("s", frame.iloc[:HISTORY], frame.iloc[HISTORY:], SETTINGS, Decimal("2"))
    result = measured_result([measured], discount_pct=None, fee=Decimal("100"))
    assert result.incremental_units_low < 0 < result.incremental_units_high
    assert result.roi_low < -0.5  # the fee was most likely wasted


def test_the_discount_given_on_units_that_would_have_sold_anyway_is_a_cost():
    history, days, _ = _store(4, 30.0)
    measured = counterfactual("s", history, days, SETTINGS, Decimal("2.00"))
    result = measured_result([measured], discount_pct=Decimal("10"), fee=Decimal("0"))
    expected = Decimal(str(measured.counterfactual)) * Decimal("2.00") * Decimal("0.1")
    assert abs(result.discount_cost - expected) < Decimal("0.01")
    assert result.roi is not None  # the discount alone is spend


def test_days_out_of_stock_are_left_out_on_both_sides():
    history, days, _ = _store(5, 30.0)
    days = days.assign(oos=False)
    days.loc[days.index[:5], ["y", "oos"]] = [0.0, True]
    measured = counterfactual("s", history, days, SETTINGS, Decimal("2"))
    assert measured.days == CAMPAIGN - 5
    everything = days.assign(oos=True)
    assert counterfactual("s", history, everything, SETTINGS, Decimal("2")) == "every campaign day was out of stock"


def test_control_stores_correct_a_forecast_that_missed_for_reasons_of_its_own():
    from forecasting.measured import SeriesMeasurement

    # The campaign store sold 1,500 against a forecast of 1,000; a store without the campaign sold 1,200
    # against 1,000 on the same days: a fifth of the "uplift" was the season, not the campaign.
    campaign = SeriesMeasurement("s1", 21, 1500.0, 1000.0, 900.0, 1100.0, Decimal("2"), "prophet")
    control = SeriesMeasurement("s2", 21, 1200.0, 1000.0, 900.0, 1100.0, Decimal("2"), "prophet")
    plain = measured_result([campaign], discount_pct=None, fee=Decimal("100"))
    adjusted = measured_result([campaign], discount_pct=None, fee=Decimal("100"), controls=[control])
    assert plain.incremental_units == pytest.approx(500) and plain.control_ratio is None
    assert adjusted.counterfactual_units == pytest.approx(1200) and adjusted.incremental_units == pytest.approx(300)
    assert adjusted.counterfactual_low == pytest.approx(1080) and adjusted.control_series == 1
    assert "scaled by 1.20" in adjusted.explanation
