"""Inventory and campaign planning maths. Pure: numbers in, dataclasses with an explanation out.

Inventory: demand over the lead time is the sum of the daily forecasts; its spread comes from the forecast
interval (an 80% interval spans 2 x 1.2816 standard deviations). Daily errors are treated as independent,
which understates the spread when errors are correlated; the backtest's interval coverage shows how far
to trust it. Safety stock = z(service level) x sigma over the lead time; reorder point = expected lead-time
demand + safety stock; the suggested order brings the stock position up to the demand over lead time plus
one review period plus safety stock, rounded up to whole cases.

Campaigns: the model's regressor effects are multiplicative on log1p(units) (see forecasting.model), so
the baseline (no promotion, no display) is recovered from a forecast by removing the effects that were
in it, and a scenario is the baseline with the scenario's effects put back. Money is Decimal throughout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from statistics import NormalDist

import numpy as np

from forecasting import explanations

Z_80 = NormalDist().inv_cdf(0.9)  # half-width of an 80% central interval, in standard deviations
CENT = Decimal("0.01")


def money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def sigma_from_interval(lower: np.ndarray, upper: np.ndarray, width: float = 0.8) -> np.ndarray:
    """Per-period standard deviation implied by a central interval of the given width."""
    z = NormalDist().inv_cdf(0.5 + width / 2)
    return np.maximum(np.asarray(upper, float) - np.asarray(lower, float), 0.0) / (2 * z)


@dataclass(frozen=True)
class InventoryPlanResult:
    lead_time_demand: float
    lead_time_sigma: float
    safety_stock: float
    reorder_point: float
    order_up_to: float
    order_quantity: int
    explanation: str  # in the active language; explanation_params say it in any (forecasting.explanations)
    explanation_params: dict = field(default_factory=dict)


def inventory_plan(
    *,
    yhat: np.ndarray,
    yhat_lower: np.ndarray,
    yhat_upper: np.ndarray,
    lead_time: int,
    review_period: int,
    service_level: float,
    on_hand: float = 0.0,
    on_order: float = 0.0,
    case_size: int = 1,
    interval_width: float = 0.8,
) -> InventoryPlanResult:
    """Safety stock, reorder point and order quantity from daily forecasts starting tomorrow."""
    if not 0.5 <= service_level < 1:
        raise ValueError("service_level must be in [0.5, 1), e.g. 0.95 for 95%.")
    if lead_time < 1 or review_period < 0:
        raise ValueError("lead_time must be at least 1 day and review_period at least 0 days.")
    if case_size < 1:
        raise ValueError("case_size must be at least 1.")
    horizon = lead_time + review_period
    if len(yhat) < horizon:
        raise ValueError(f"need {horizon} days of forecast for lead time + review period, got {len(yhat)}.")
    sigma = sigma_from_interval(yhat_lower, yhat_upper, interval_width)
    z = NormalDist().inv_cdf(service_level)
    lead_demand = float(np.sum(yhat[:lead_time]))
    lead_sigma = float(math.sqrt(np.sum(sigma[:lead_time] ** 2)))
    cover_demand = float(np.sum(yhat[:horizon]))
    cover_sigma = float(math.sqrt(np.sum(sigma[:horizon] ** 2)))
    safety = z * lead_sigma
    reorder_point = lead_demand + safety
    order_up_to = cover_demand + z * cover_sigma
    shortfall = max(0.0, order_up_to - on_hand - on_order)
    quantity = int(math.ceil(shortfall / case_size - 1e-9) * case_size) if shortfall > 0 else 0
    params = {
        "lead_time": lead_time, "lead_demand": lead_demand, "lead_sigma": lead_sigma,
        "service_level": service_level, "z": z, "safety": safety, "reorder_point": reorder_point,
        "review_period": review_period, "order_up_to": order_up_to, "on_hand": on_hand, "on_order": on_order,
        "quantity": quantity, "case_size": case_size,
    }
    return InventoryPlanResult(
        lead_time_demand=lead_demand,
        lead_time_sigma=lead_sigma,
        safety_stock=safety,
        reorder_point=reorder_point,
        order_up_to=order_up_to,
        order_quantity=quantity,
        explanation=explanations.inventory(params),
        explanation_params=params,
    )


@dataclass(frozen=True)
class EffectEstimate:
    """A regressor's effect as a coefficient on log1p(units), with its standard error."""

    coef: float
    se: float


@dataclass(frozen=True)
class UpliftResult:
    baseline_units: float
    scenario_units: float
    incremental_units: float
    incremental_units_low: float
    incremental_units_high: float
    incremental_revenue: Decimal
    discount_cost: Decimal
    fee: Decimal
    roi: float | None
    roi_low: float | None
    roi_high: float | None
    explanation: str  # in the active language; explanation_params say it in any (forecasting.explanations)
    explanation_params: dict = field(default_factory=dict)


# Regressor values of "no campaign": no promotion, no display, the reference price.
NEUTRAL = {"promo": 0.0, "display": 0.0, "price_index": 1.0}


def baseline_log(
    yhat: np.ndarray, regressors: dict[str, np.ndarray], effects: dict[str, EffectEstimate]
) -> np.ndarray:
    """log1p of the forecast with every known regressor effect moved to its neutral value."""
    base = np.log1p(np.maximum(np.asarray(yhat, float), 0.0))
    for name, effect in effects.items():
        if name in regressors:
            base = base - effect.coef * (np.asarray(regressors[name], float) - NEUTRAL.get(name, 0.0))
    return base


@dataclass(frozen=True)
class SeriesScenario:
    """One store x SKU over the campaign days: the no-campaign baseline and the two situations to compare."""

    base: np.ndarray  # log1p of the no-campaign forecast, one value per day (see baseline_log)
    scenario: dict[str, np.ndarray]  # regressor values with the campaign, e.g. {"promo": 1, "display": 1}
    reference: dict[str, np.ndarray]  # what it is compared with; {} = no campaign
    effects: dict[str, EffectEstimate]
    unit_price: Decimal


def scenario_units(
    base: np.ndarray, values: dict[str, np.ndarray], effects: dict[str, EffectEstimate], z: float
):
    """Expected units over the days, with each effect moved by z standard errors."""
    log_units = np.asarray(base, float).copy()
    for name, column in values.items():
        effect = effects.get(name)
        if effect is not None:
            shift = np.asarray(column, float) - NEUTRAL.get(name, 0.0)
            log_units = log_units + (effect.coef + z * effect.se) * shift
    return float(np.maximum(np.expm1(log_units), 0.0).sum())


def campaign_uplift(
    *,
    series: list[SeriesScenario],
    discount_pct: Decimal | None,
    fee: Decimal,
    interval_width: float = 0.8,
    comparison: str = "",
    currency: str | None = None,
) -> UpliftResult:
    """Incremental units, revenue and ROI of each series' ``scenario`` over its ``reference``, summed.

    ``comparison`` ("planned", "execution", or "" for the campaign against none) names the two situations
    in the explanation (forecasting.explanations), so two comparisons on one page never both call their
    reference "baseline"; ``currency`` is the one the explanation writes its amounts in.

    The interval moves every effect to its lower (upper) bound together, which is conservative when effects
    are independent. ROI is on revenue, not margin (margins are not in the system):
    (incremental revenue - discount cost - fee) / (discount cost + fee), where the discount cost is the
    discount given on the units that would have sold anyway.
    """
    z = NormalDist().inv_cdf(0.5 + interval_width / 2)
    pct = Decimal(discount_pct or 0) / 100
    totals = {"baseline": 0.0, "scenario": 0.0, "low": 0.0, "high": 0.0}
    revenue = {"mid": Decimal(0), "low": Decimal(0), "high": Decimal(0)}
    discount_cost = Decimal(0)
    for item in series:
        baseline = scenario_units(item.base, item.reference, item.effects, 0.0)
        with_campaign = scenario_units(item.base, item.scenario, item.effects, 0.0)
        bounds = [
            scenario_units(item.base, item.scenario, item.effects, sign * z)
            - scenario_units(item.base, item.reference, item.effects, sign * z)
            for sign in (-1, 1)
        ]
        selling_price = Decimal(item.unit_price) * (1 - pct)
        totals["baseline"] += baseline
        totals["scenario"] += with_campaign
        totals["low"] += min(bounds)
        totals["high"] += max(bounds)
        revenue["mid"] += Decimal(str(with_campaign - baseline)) * selling_price
        revenue["low"] += Decimal(str(min(bounds))) * selling_price
        revenue["high"] += Decimal(str(max(bounds))) * selling_price
        discount_cost += Decimal(str(baseline)) * Decimal(item.unit_price) * pct
    labels = {"comparison": comparison, "currency": currency or ""}
    return _uplift_result(totals, revenue, money(discount_cost), money(fee), interval_width, labels)


def _uplift_result(totals, revenue, discount_cost: Decimal, fee: Decimal, width: float, labels) -> UpliftResult:
    spend = discount_cost + fee

    def roi(gain: Decimal) -> float | None:
        return round(float((gain - spend) / spend), 3) if spend > 0 else None

    incremental = totals["scenario"] - totals["baseline"]
    params = {
        **labels,
        "baseline_units": totals["baseline"], "scenario_units": totals["scenario"], "incremental_units": incremental,
        "incremental_low": totals["low"], "incremental_high": totals["high"], "interval_width": width,
        "revenue": str(money(revenue["mid"])), "discount_cost": str(discount_cost), "fee": str(fee),
        "roi": roi(revenue["mid"]),
    }
    return UpliftResult(
        baseline_units=totals["baseline"],
        scenario_units=totals["scenario"],
        incremental_units=incremental,
        incremental_units_low=totals["low"],
        incremental_units_high=totals["high"],
        incremental_revenue=money(revenue["mid"]),
        discount_cost=discount_cost,
        fee=fee,
        roi=roi(revenue["mid"]),
        roi_low=roi(revenue["low"]),
        roi_high=roi(revenue["high"]),
        explanation=explanations.uplift(params),
        explanation_params=params,
    )


def effect_lift(
    *,
    yhat: np.ndarray,
    regressors: dict[str, np.ndarray],
    effects: dict[str, EffectEstimate],
    name: str,
    value: float = 1.0,
    interval_width: float = 0.8,
) -> tuple[float, float, float] | None:
    """Relative change in expected units (e.g. 0.40 = +40%) from setting ``name`` to ``value`` on every day,
    against no campaign, with its interval; None when the effect was not learned or there is no baseline.

    This, not exp(coef) - 1, is the effect in units: on log1p(units) a coefficient multiplies (units + 1),
    so for a slow seller exp(coef) - 1 understates the relative lift in units.
    """
    if name not in effects:
        return None
    base = baseline_log(yhat, regressors, effects)
    without = scenario_units(base, {}, effects, 0.0)
    if without <= 0:
        return None
    z = NormalDist().inv_cdf(0.5 + interval_width / 2)
    column = {name: np.full(len(base), value)}
    only = {name: effects[name]}
    lifts = [scenario_units(base, column, only, sign * z) / without - 1 for sign in (0, -1, 1)]
    return lifts[0], min(lifts[1:]), max(lifts[1:])
