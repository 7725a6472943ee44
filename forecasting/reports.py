"""What the forecast screens and the API show for one series: history with its campaign and stock-out
marks, the forecast with its interval, the model and why, and the learned effects in units."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from django.utils.translation import gettext as _

from forecasting import selectors
from forecasting.models import ForecastRun, Level
from forecasting.notes import model_note
from forecasting.planning import EffectEstimate, effect_lift
from shelfai.stores.models import Store


def forecast_report(
    *,
    product,
    store=None,
    region=None,
    run: ForecastRun | None = None,
    freq: str = "D",
    history_days: int = 180,
) -> dict:
    """The report for one store x SKU (``store``), region x SKU (``region``) or SKU total (neither).

    ``run`` defaults to the latest finished run at ``freq``; without one, "run" is None and "detail" says
    what to do, but the history is still there.
    """
    run = run or selectors.latest_run(freq=freq)
    history = sales_history(product, store, region, history_days, run.freq if run else freq)
    if run is None:
        detail = "No finished forecast run yet: start one (POST runs/ or fit_forecasts)."
        return {"run": None, "detail": detail, "history": history, "forecast": []}
    ids = {
        "product_id": product.pk,
        "store_id": store.pk if store else None,
        "region_id": region.pk if region else None,
    }
    fit = selectors.series_fit(run, **ids)
    points = list(selectors.forecast_points(run, **ids))
    return {
        "run": run.pk,
        "freq": run.freq,
        "level": Level.SERIES if store else Level.REGION if region else Level.SKU,
        "model": fit.model if fit else None,
        "note": model_note(fit.note) if fit else _("This series was not in the run."),
        "effects": effect_lifts(fit, points),
        "history": history,
        "forecast": [
            {
                "date": p.date,
                "yhat": round(p.yhat, 3),
                "yhat_lower": round(p.yhat_lower, 3),
                "yhat_upper": round(p.yhat_upper, 3),
                "promo": p.promo,
                "display": p.display,
            }
            for p in points
        ],
    }


def effect_lifts(fit, points) -> dict:
    """Each learned effect as a lift in units over this forecast's days, e.g. {"promo": {"lift": 0.42, ...}}
    for +42% (80% interval in low/high); "price_cut_10pct" is the lift from a 10% lower price."""
    if fit is None or not fit.effects or not points:
        return {}
    effects = {name: EffectEstimate(coef=v["coef"], se=v["se"]) for name, v in fit.effects.items()}
    yhat = np.array([p.yhat for p in points])
    regressors = {
        name: np.array([getattr(p, name) for p in points]) for name in ("promo", "display", "price_index")
    }
    out = {}
    for label, name, value in (
        ("promo", "promo", 1.0),
        ("display", "display", 1.0),
        ("price_cut_10pct", "price_index", 0.9),
    ):
        lift = effect_lift(yhat=yhat, regressors=regressors, effects=effects, name=name, value=value)
        if lift is not None:
            out[label] = {"lift": round(lift[0], 3), "low": round(lift[1], 3), "high": round(lift[2], 3)}
    return out


def sales_history(product, store, region, days: int, freq: str) -> list[dict]:
    """The last ``days`` of sales with promo/display shares and stock-out flags, at ``freq``."""
    if days == 0:
        return []
    if store:
        keys = [(store.pk, product.pk)]
    else:
        stores = Store.objects.filter(region=region) if region else Store.objects.all()
        keys = selectors.series_keys(store_ids=stores.values_list("pk", flat=True), product_ids=[product.pk])
    data = selectors.daily_histories(keys)
    if not data.histories:
        return []
    frames = list(data.histories.values())
    daily = frames[0] if store else selectors.aggregate_daily(frames)
    daily = daily[daily["ds"] > daily["ds"].max() - timedelta(days=days)]
    return [
        {
            "date": row.ds.date(),
            "units": round(float(row.y), 3),
            "promo": round(float(row.promo), 3),
            "display": round(float(row.display), 3),
            "out_of_stock": bool(row.oos),
        }
        for row in selectors.at_frequency(daily, freq).itertuples()
    ]
