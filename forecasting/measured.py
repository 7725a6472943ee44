"""A finished campaign measured after the fact. Pure: frames and numbers in, dataclasses out.

For each store x SKU of the campaign, the days of the campaign are forecast from the history before its
first day only, as if there had been no campaign (no promotion, no display, the usual price): that is the
counterfactual, with its interval (forecasting.model.forecast_series: the model chosen on validation, its
conformal interval). What actually sold minus the counterfactual is the incremental effect; ROI is on
revenue against what the campaign cost: the fee paid and the discount given on units that would have sold
anyway, as in the planned estimate (forecasting.planning), so planned and measured read alike.

The interval of the counterfactual total: within a series, the days' bounds are added up (a forecast that
is too low one day of a three-week campaign is usually too low all of them: the level is what is
uncertain, and days are not independent); across series, the half-widths are combined as independent
(root sum of squares): stores miss their forecasts for reasons of their own. Stock-out days are left out on
both sides: what did not sell because the shelf was empty says nothing about the campaign.

Control stores: where the same SKUs sold at stores the campaign did not reach, their forecasts for the same
days, made the same way, show how far off such a forecast was for reasons that had nothing to do with the
campaign (a season the history was too short to learn, a market-wide change). The campaign's counterfactual
is scaled by their sold / forecast ratio (difference in differences). The ratio's own uncertainty is not in
the interval, which is why the result says how many control series it rests on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from decimal import Decimal

import numpy as np
import pandas as pd

from forecasting import explanations
from forecasting.model import NO_FORECAST, ModelSettings, forecast_series
from forecasting.planning import money


@dataclass(frozen=True)
class SeriesMeasurement:
    """One store x SKU over the campaign's in-stock days."""

    key: object
    days: int
    actual: float
    counterfactual: float
    low: float  # the counterfactual total's interval
    high: float
    unit_price: Decimal
    model: str
    note: str = ""


@dataclass
class MeasuredResult:
    actual_units: float
    counterfactual_units: float
    counterfactual_low: float
    counterfactual_high: float
    incremental_units: float
    incremental_units_low: float
    incremental_units_high: float
    incremental_revenue: Decimal
    incremental_revenue_low: Decimal
    incremental_revenue_high: Decimal
    discount_cost: Decimal
    fee: Decimal
    roi: float | None
    roi_low: float | None
    roi_high: float | None
    series: list[SeriesMeasurement] = field(default_factory=list)
    explanation: str = ""  # in the active language; explanation_params say it in any (forecasting.explanations)
    control_ratio: float | None = None
    control_series: int = 0
    explanation_params: dict = field(default_factory=dict)


def counterfactual(
    key, history: pd.DataFrame, campaign_days: pd.DataFrame, settings: ModelSettings, unit_price: Decimal
) -> SeriesMeasurement | str:
    """The no-campaign forecast of ``campaign_days`` (ds, y, oos) from ``history`` (everything before the
    first campaign day), compared with what sold; a string says why a series cannot be measured."""
    in_stock = ~campaign_days["oos"].astype(bool).to_numpy()
    if not in_stock.any():
        return "every campaign day was out of stock"
    future = pd.DataFrame({"ds": pd.to_datetime(campaign_days["ds"]).to_numpy(), "promo": 0.0, "display": 0.0})
    future["price"] = np.nan  # the usual price: the campaign's discount is part of what is measured
    forecast = forecast_series(history, future, settings, select=True, validation_horizon=len(future))
    if forecast.model == NO_FORECAST:
        return forecast.note
    actual = campaign_days["y"].astype(float).to_numpy()[in_stock]
    return SeriesMeasurement(
        key=key,
        days=int(in_stock.sum()),
        actual=float(actual.sum()),
        counterfactual=float(forecast.yhat[in_stock].sum()),
        low=float(forecast.yhat_lower[in_stock].sum()),
        high=float(forecast.yhat_upper[in_stock].sum()),
        unit_price=Decimal(unit_price or 0),
        model=forecast.model,
        note=forecast.note,
    )


def control_ratio(controls: list[SeriesMeasurement]) -> float | None:
    """Sold / forecast over the control series, None without any (or without a forecast to divide by)."""
    expected = sum(c.counterfactual for c in controls)
    return sum(c.actual for c in controls) / expected if controls and expected > 0 else None


def _scaled(series: SeriesMeasurement, ratio: float) -> SeriesMeasurement:
    return replace(
        series, counterfactual=series.counterfactual * ratio, low=series.low * ratio, high=series.high * ratio
    )


def measured_result(
    series: list[SeriesMeasurement],
    *,
    discount_pct: Decimal | None,
    fee: Decimal,
    interval_width: float = 0.8,
    controls: list[SeriesMeasurement] | None = None,
) -> MeasuredResult:
    """Incremental units, revenue and ROI of a finished campaign over its counterfactual, with intervals;
    with ``controls``, the counterfactual is first scaled by how the control series' forecasts did."""
    if not series:
        raise ValueError("no series to measure")
    ratio = control_ratio(controls or [])
    if ratio is not None:
        series = [_scaled(s, ratio) for s in series]
    pct = Decimal(discount_pct or 0) / 100
    actual = sum(s.actual for s in series)
    expected = sum(s.counterfactual for s in series)
    # Incremental = actual - counterfactual, so a high counterfactual is a low increment.
    below = math.sqrt(sum((s.counterfactual - s.low) ** 2 for s in series))
    above = math.sqrt(sum((s.high - s.counterfactual) ** 2 for s in series))
    incremental, inc_low, inc_high = actual - expected, actual - expected - above, actual - expected + below
    # Revenue per unit as in the planned estimate: the catalogue price less the campaign's discount.
    weights = [(s.counterfactual, Decimal(s.unit_price)) for s in series]
    price = (
        sum((Decimal(str(w)) * p for w, p in weights), Decimal(0)) / Decimal(str(expected))
        if expected > 0
        else Decimal(series[0].unit_price)
    )
    selling = price * (1 - pct)
    at_full_price = sum((Decimal(str(s.counterfactual)) * Decimal(s.unit_price) for s in series), Decimal(0))
    discount_cost = money(at_full_price * pct)
    fee = money(fee)
    spend = discount_cost + fee

    def revenue(units: float) -> Decimal:
        return money(Decimal(str(units)) * selling)

    def roi(units: float) -> float | None:
        return round(float((revenue(units) - spend) / spend), 3) if spend > 0 else None

    params = {
        "actual_units": actual, "days": sum(s.days for s in series), "counterfactual_units": expected,
        "interval_width": interval_width, "counterfactual_low": expected - below,
        "counterfactual_high": expected + above, "incremental_units": incremental, "incremental_low": inc_low,
        "incremental_high": inc_high, "control_ratio": ratio, "control_series": len(controls or []),
    }
    return MeasuredResult(
        actual_units=actual,
        counterfactual_units=expected,
        counterfactual_low=expected - below,
        counterfactual_high=expected + above,
        incremental_units=incremental,
        incremental_units_low=inc_low,
        incremental_units_high=inc_high,
        incremental_revenue=revenue(incremental),
        incremental_revenue_low=revenue(inc_low),
        incremental_revenue_high=revenue(inc_high),
        discount_cost=discount_cost,
        fee=fee,
        roi=roi(incremental),
        roi_low=roi(inc_low),
        roi_high=roi(inc_high),
        series=series,
        explanation=explanations.measured(params),
        explanation_params=params,
        control_ratio=ratio,
        control_series=len(controls or []) if ratio is not None else 0,
    )
