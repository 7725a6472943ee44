"""Inventory and campaign plans from a finished forecast run: ORM glue around forecasting.planning."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from forecasting import explanations, planning, selectors
from forecasting.models import ForecastRun, InventoryPlan, Level, SeriesFit
from forecasting.planning import EffectEstimate, SeriesScenario, UpliftResult
from forecasting.regressors import PROMOTION_KINDS, VERDICT_SCORE
from shelfai import formats
from shelfai.claims.models import Campaign, PlacementCheck

THOUSANDTH = Decimal("0.001")
DISPLAY_KINDS = (Campaign.Kind.DISPLAY, Campaign.Kind.MIXED)


class PlanningError(ValueError):
    """A plan cannot be made; the message says what to do instead."""


def _daily_run(run: ForecastRun | None) -> ForecastRun:
    run = run or selectors.latest_run(freq="D")
    if run is None:
        raise PlanningError(
            _("No finished daily forecast run: run `python manage.py fit_forecasts --freq D` first.")
        )
    if run.freq != "D" or run.status != ForecastRun.Status.DONE:
        raise PlanningError(_("Forecast run %(run)s is not a finished daily run; plans need one.") % {"run": run.pk})
    return run


def _units(value: float) -> Decimal:
    return Decimal(str(round(value, 3))).quantize(THOUSANDTH)


def inventory_plan_create(
    *,
    store,
    product,
    lead_time_days: int,
    review_period_days: int = 7,
    service_level: float = 0.95,
    on_hand: float = 0.0,
    on_order: float = 0.0,
    case_size: int = 1,
    run: ForecastRun | None = None,
    user=None,
) -> InventoryPlan:
    run = _daily_run(run)
    points = list(selectors.forecast_points(run, product_id=product.pk, store_id=store.pk))
    if not points:
        fit = selectors.series_fit(run, product_id=product.pk, store_id=store.pk)
        where = {"run": run.pk, "store": store.code, "sku": product.sku, "note": fit.note if fit else ""}
        if fit and fit.note:
            raise PlanningError(_("Run %(run)s has no forecast for store %(store)s × SKU %(sku)s: %(note)s") % where)
        raise PlanningError(
            _("Run %(run)s has no forecast for store %(store)s × SKU %(sku)s; is there sales history for it?") % where
        )
    result = planning.inventory_plan(
        yhat=np.array([p.yhat for p in points]),
        yhat_lower=np.array([p.yhat_lower for p in points]),
        yhat_upper=np.array([p.yhat_upper for p in points]),
        lead_time=lead_time_days,
        review_period=review_period_days,
        service_level=service_level,
        on_hand=on_hand,
        on_order=on_order,
        case_size=case_size,
    )
    plan = InventoryPlan(
        run=run,
        store=store,
        product=product,
        created_by=user,
        lead_time_days=lead_time_days,
        review_period_days=review_period_days,
        service_level=Decimal(str(service_level)).quantize(THOUSANDTH),
        on_hand=_units(on_hand),
        on_order=_units(on_order),
        case_size=case_size,
        lead_time_demand=_units(result.lead_time_demand),
        lead_time_sigma=_units(result.lead_time_sigma),
        safety_stock=_units(result.safety_stock),
        reorder_point=_units(result.reorder_point),
        order_quantity=result.order_quantity,
        explanation=_in_english(result.explanation_params),
        explanation_params=result.explanation_params,
    )
    plan.full_clean()
    plan.save()
    return plan


def _in_english(params: dict) -> str:
    """The stored explanation: English, for clients that read only that field (InventoryPlan.explanation_text
    says it in the reader's language)."""
    with translation.override("en"):
        return explanations.render(explanations.INVENTORY, params)


# --- campaigns ----------------------------------------------------------------------------------------------


@dataclass
class CampaignEstimate:
    campaign: Campaign
    comparison: str
    series: int = 0
    days: int = 0
    result: UpliftResult | None = None
    notes: list[str] = field(default_factory=list)


def _effects(fit: SeriesFit | None) -> dict[str, EffectEstimate]:
    if fit is None:
        return {}
    return {name: EffectEstimate(coef=v["coef"], se=v["se"]) for name, v in (fit.effects or {}).items()}


def observed_execution(campaign: Campaign) -> dict[int, float]:
    """Mean verified execution score of the campaign's placements, per store (from current checks)."""
    scores: dict[int, list[float]] = {}
    checks = PlacementCheck.objects.filter(
        placement__campaign=campaign, is_current=True, verdict__in=VERDICT_SCORE
    )
    for store_id, verdict in checks.values_list("placement__store_id", "verdict"):
        scores.setdefault(store_id, []).append(VERDICT_SCORE[verdict])
    return {store_id: float(np.mean(values)) for store_id, values in scores.items()}


def campaign_uplift_estimate(
    *, campaign: Campaign, comparison: str = "baseline", run: ForecastRun | None = None
) -> CampaignEstimate:
    """Uplift of ``campaign`` over the days the run forecasts.

    comparison "baseline": the campaign as planned (promotion, its discount, displays fully up) against no
    campaign. "execution": displays fully executed against the execution photos actually verified
    (stores never checked count as fully executed, so they add nothing).
    """
    if comparison not in ("baseline", "execution"):
        raise PlanningError(_("comparison must be 'baseline' or 'execution'."))
    run = _daily_run(run)
    estimate = CampaignEstimate(campaign, comparison)
    products = list(campaign.products.all())
    if not products:
        raise PlanningError(
            _("Campaign %(name)s has no products; add them to estimate an uplift.") % {"name": campaign.name}
        )
    store_ids = {s.pk for s in campaign.stores.all()}
    display_stores = set(campaign.placements.values_list("store_id", flat=True))
    executed = observed_execution(campaign) if comparison == "execution" else None
    series = []
    for product in products:
        series += _product_scenarios(run, campaign, product, store_ids, display_stores, executed, estimate)
    if not series:
        raise PlanningError(_no_days_reason(run, campaign))
    fee = sum((p.fee for p in campaign.placements.all()), Decimal(0)) or Decimal(campaign.budget or 0)
    discount = campaign.planned_price_discount_pct if campaign.kind in PROMOTION_KINDS else None
    estimate.result = planning.campaign_uplift(
        series=series,
        discount_pct=discount if comparison == "baseline" else None,
        fee=fee if comparison == "baseline" else Decimal(0),
        comparison="planned" if comparison == "baseline" else "execution",
        currency=getattr(campaign, "currency", None),
    )
    estimate.series = len(series)
    return estimate


def _no_days_reason(run: ForecastRun, campaign: Campaign) -> str:
    """Why a run has no forecast for a campaign's days, and what the user can do about it (a forecast only
    ever looks forward, so a campaign that has ended is measured after the fact instead)."""
    first, last = selectors.forecast_span(run)
    # Translators: a campaign's period, e.g. "Dec. 1, 2026 – Dec. 14, 2026".
    when = _("%(start)s – %(end)s") % {"start": formats.day(campaign.starts_on), "end": formats.day(campaign.ends_on)}
    facts = {"run": run.pk, "name": campaign.name, "when": when,
             "first": formats.day(first) if first else "", "last": formats.day(last) if last else ""}
    if last is None:
        return _("Run %(run)s has no store × SKU forecasts, so it has nothing to estimate %(name)s from.") % facts
    if campaign.ends_on < first:
        return _(
            "%(name)s (%(when)s) was over before run %(run)s's forecast begins (%(first)s): a forecast only looks "
            "ahead, so it is measured after the fact instead."
        ) % facts
    if campaign.starts_on > last:
        return _(
            "%(name)s (%(when)s) starts after run %(run)s's last forecast day (%(last)s): start a run with more "
            "periods ahead on Forecast to estimate it."
        ) % facts
    return _(
        "Run %(run)s has no forecast for %(name)s's stores and SKUs (%(when)s): are there sales for them?"
    ) % facts


def _product_scenarios(run, campaign, product, store_ids, display_stores, executed, estimate):
    points = selectors.forecast_points_in(
        run,
        product_id=product.pk,
        start=campaign.starts_on,
        end=campaign.ends_on,
        store_ids=store_ids or None,
    )
    fits = {
        fit.store_id: fit for fit in SeriesFit.objects.filter(run=run, level=Level.SERIES, product=product)
    }
    sku_effects = _effects(selectors.series_fit(run, product_id=product.pk))
    promotes = campaign.kind in PROMOTION_KINDS
    pct = float(campaign.planned_price_discount_pct or 0) / 100 if promotes else 0.0
    out = []
    for store_id, rows in points.items():
        effects = _effects(fits.get(store_id))
        needed = {"promo"} if promotes else set()
        if campaign.kind in DISPLAY_KINDS:
            needed.add("display")
        if not needed <= effects.keys():
            # The series never had a promotion/display to learn from: borrow the SKU-level effect.
            effects = (
                {**sku_effects, **effects} if needed <= (sku_effects.keys() | effects.keys()) else effects
            )
        missing = needed - effects.keys()
        if missing:
            # Translators: the effect is a promotion's or a display's, learned from the sales history.
            name = pgettext("effect", "promotion") if "promo" in missing else pgettext("effect", "display")
            estimate.notes.append(
                _("store %(store)s × %(sku)s: no %(effect)s effect learned")
                % {"store": store_id, "sku": product.sku, "effect": name}
            )
            continue
        out.append(
            _scenario(rows, effects, promotes, pct, campaign, store_id, display_stores, executed, product)
        )
        estimate.days = max(estimate.days, len(rows))
    return out


def _scenario(rows, effects, promotes, pct, campaign, store_id, display_stores, executed, product):
    n = len(rows)
    regressors = {
        "promo": np.array([r.promo for r in rows]),
        "display": np.array([r.display for r in rows]),
        "price_index": np.array([r.price_index for r in rows]),
    }
    base = planning.baseline_log(np.array([r.yhat for r in rows]), regressors, effects)
    shows = campaign.kind in DISPLAY_KINDS and (not display_stores or store_id in display_stores)
    scenario = {"display": np.full(n, 1.0 if shows else 0.0)}
    if promotes:
        scenario["promo"] = np.ones(n)
        if pct:
            scenario["price_index"] = np.full(n, 1 - pct)
    reference: dict[str, np.ndarray] = {}  # baseline comparison: no campaign at all
    if executed is not None:
        # Execution comparison: the same campaign, with displays as verified instead of fully up.
        reference = {**scenario, "display": np.full(n, executed.get(store_id, 1.0) if shows else 0.0)}
    return SeriesScenario(base, scenario, reference, effects, Decimal(product.unit_price or 0))


def compare_campaigns(campaigns: list[Campaign], run: ForecastRun | None = None) -> list[CampaignEstimate]:
    """Planned uplift of several campaigns, best ROI first; campaigns that cannot be estimated say why."""
    estimates = []
    for campaign in campaigns:
        try:
            estimates.append(campaign_uplift_estimate(campaign=campaign, run=run))
        except PlanningError as exc:
            estimates.append(CampaignEstimate(campaign, "baseline", notes=[str(exc)]))
    return sorted(estimates, key=lambda e: -(e.result.roi or -1e9) if e.result else 1e9)
