"""Inventory and campaign arithmetic, checked against hand calculations. Pure."""

from __future__ import annotations

import math
from decimal import Decimal
from statistics import NormalDist

import numpy as np
import pytest

from forecasting.planning import (
    Z_80,
    EffectEstimate,
    SeriesScenario,
    campaign_uplift,
    effect_lift,
    inventory_plan,
)

FLAT = np.full(14, 10.0)  # 10 units a day, sigma 2 a day (an 80% interval of +-2 x 1.2816)


def plan(**kwargs):
    args = {
        "yhat": FLAT,
        "yhat_lower": FLAT - 2 * Z_80,
        "yhat_upper": FLAT + 2 * Z_80,
        "lead_time": 4,
        "review_period": 3,
        "service_level": 0.95,
    }
    return inventory_plan(**{**args, **kwargs})


def test_safety_stock_and_reorder_point_follow_the_textbook_formula():
    result = plan()
    z = NormalDist().inv_cdf(0.95)
    assert result.lead_time_demand == pytest.approx(40)
    assert result.lead_time_sigma == pytest.approx(4)  # sqrt(4 days) x 2
    assert result.safety_stock == pytest.approx(z * 4)
    assert result.reorder_point == pytest.approx(40 + z * 4)
    assert "reorder point is 47" in result.explanation


def test_the_order_tops_up_to_lead_time_plus_review_and_rounds_up_to_cases():
    result = plan(on_hand=20, on_order=5, case_size=6)
    order_up_to = 70 + NormalDist().inv_cdf(0.95) * 2 * math.sqrt(7)
    assert result.order_up_to == pytest.approx(order_up_to)
    assert result.order_quantity == 6 * math.ceil((order_up_to - 25) / 6)
    assert result.order_quantity % 6 == 0


def test_no_order_when_stock_already_covers_the_period():
    assert plan(on_hand=500).order_quantity == 0


def test_a_higher_service_level_holds_more_safety_stock():
    assert plan(service_level=0.99).safety_stock > plan(service_level=0.9).safety_stock


def test_bad_planning_inputs_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="service_level"):
        plan(service_level=1.2)
    with pytest.raises(ValueError, match="need 30 days"):
        plan(lead_time=20, review_period=10)


def test_campaign_uplift_units_revenue_and_roi():
    effects = {"promo": EffectEstimate(coef=math.log(1.5), se=0.0)}
    base = np.log1p(np.full(10, 20.0))  # 20 units a day without the campaign
    scenario = SeriesScenario(base, {"promo": np.ones(10)}, {}, effects, Decimal("2.00"))
    result = campaign_uplift(series=[scenario], discount_pct=Decimal("10"), fee=Decimal("50"))
    # log1p model: (20 + 1) x 1.5 - 1 = 30.5 units a day with the promotion, 10.5 more than without.
    assert result.incremental_units == pytest.approx(105)
    assert result.incremental_revenue == Decimal("189.00")  # 105 x 1.80
    assert result.discount_cost == Decimal("40.00")  # 200 baseline units x 0.20 given away
    assert result.roi == pytest.approx((189 - 90) / 90, abs=1e-3)


def test_the_uplift_interval_widens_with_the_effect_uncertainty():
    base = np.log1p(np.full(10, 20.0))
    narrow = SeriesScenario(
        base, {"promo": np.ones(10)}, {}, {"promo": EffectEstimate(0.3, 0.01)}, Decimal(1)
    )
    wide = SeriesScenario(base, {"promo": np.ones(10)}, {}, {"promo": EffectEstimate(0.3, 0.1)}, Decimal(1))
    a = campaign_uplift(series=[narrow], discount_pct=None, fee=Decimal(0))
    b = campaign_uplift(series=[wide], discount_pct=None, fee=Decimal(0))
    assert a.incremental_units_low < a.incremental_units < a.incremental_units_high
    assert b.incremental_units_high - b.incremental_units_low > 5 * (
        a.incremental_units_high - a.incremental_units_low
    )
    assert a.roi is None and "no ROI" in a.explanation


def test_effect_lift_is_in_units_where_exp_coef_would_understate_a_slow_sellers_lift():
    effects = {"promo": EffectEstimate(coef=math.log(1.4), se=0.05)}
    zeros = {"promo": np.zeros(7)}
    fast, _, _ = effect_lift(yhat=np.full(7, 200.0), regressors=zeros, effects=effects, name="promo")
    slow, low, high = effect_lift(yhat=np.full(7, 2.0), regressors=zeros, effects=effects, name="promo")
    assert fast == pytest.approx(0.4, abs=0.005)
    assert slow == pytest.approx((3 * 1.4 - 1) / 2 - 1)  # 0.6 lift on (units + 1) = +60% of 2 units
    assert low < slow < high
    assert effect_lift(yhat=FLAT, regressors=zeros, effects=effects, name="display") is None
