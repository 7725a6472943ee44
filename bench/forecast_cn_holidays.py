"""China's calendar in the forecast: is a Spring Festival effect recovered, and does it pay in WAPE?

Generated weekly series (forecasting.synthetic): five years of a store x SKU's sales (2021-2025), weekday
and yearly season, trend, promotions and displays, Poisson noise, and a Spring Festival effect of known size:
+50% units in the Monday week holding Chinese New Year's Day and +30% in the week before it (the stock-up).
Spring Festival moves by up to four weeks from year to year (2021-02-12 ... 2026-02-17), so yearly
seasonality cannot learn it. Each series is forecast for the 13 weeks from 2026-01-05 (holding the
2026-02-17 festival) twice, the product's path (``forecast_series``, model chosen on validation): with
``FORECAST_COUNTRY=CN`` and with no holidays. Printed:

- the recovered effects of the CN fit (Prophet's, as a lift in units over the holdout) against the truth:
  median and mean relative error, the share of series within 10%, and the pooled estimate (mean lift);
- WAPE over the holdout with and without the calendar, over all 13 weeks and over the two festival weeks;
- the same for the global model (LightGBM over all the series, the run's cross-series candidate) trained
  with China's festival features and without them.

Settings were looked at with ``--seed 1`` only; the figures in docs/FIGURES.md are from ``--seed 2``.

    .venv/bin/python bench/forecast_cn_holidays.py [--series 40] [--seed 2] [--json]
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forecasting.global_model import fit_global  # noqa: E402
from forecasting.metrics import wape  # noqa: E402
from forecasting.model import (  # noqa: E402
    ModelSettings,
    daily_to_weekly,
    forecast_series,
    weekly_holiday_features,
)
from forecasting.planning import effect_lift  # noqa: E402
from forecasting.synthetic import DemandTruth, simulate_daily  # noqa: E402

TRUTH = {"spring_festival": 0.50, "spring_festival_before": 0.30}
START, HOLDOUT_START, HOLDOUT_WEEKS = date(2021, 1, 4), pd.Timestamp("2026-01-05"), 13
WITH_CN = ModelSettings(freq="W", country="CN")
WITHOUT = ModelSettings(freq="W", country=None)


def make_series(seed: int, index: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """History (weekly, to 2025-12-29) and the 13 holdout weeks of one generated store x SKU."""
    rng = np.random.default_rng([seed, index])
    truth = DemandTruth(
        base=float(rng.lognormal(np.log(30), 0.5)),
        spring_festival_lift=TRUTH["spring_festival"],
        spring_festival_before_lift=TRUTH["spring_festival_before"],
    )
    days = (HOLDOUT_START.date() - START).days + 7 * HOLDOUT_WEEKS
    daily = simulate_daily(rng, start=START, days=days, truth=truth, promo_share=0.08, display_share=0.06)
    weekly = daily_to_weekly(daily.drop(columns="rate"))
    return weekly[weekly["ds"] < HOLDOUT_START], weekly[weekly["ds"] >= HOLDOUT_START]


def recovered(history: pd.DataFrame, holdout: pd.DataFrame) -> dict[str, float]:
    """The CN Prophet fit's festival effects as lifts in units over the holdout weeks."""
    future = holdout[["ds", "promo", "display", "price"]]
    forecast = forecast_series(history, future, WITH_CN, select=False)
    features = weekly_holiday_features("CN", holdout["ds"])
    out = {}
    for name in TRUTH:
        lift = effect_lift(
            yhat=forecast.yhat,
            regressors={name: features[name]},
            effects={name: forecast.effects[name]} if name in forecast.effects else {},
            name=name,
        )
        out[name] = np.nan if lift is None else lift[0]
    return out


def run(series: int, seed: int) -> dict:
    started = time.perf_counter()
    lifts = {name: [] for name in TRUTH}
    actual, with_cn, without, festival_rows, panel = [], [], [], [], []
    for index in range(series):
        history, holdout = make_series(seed, index)
        panel.append((history.reset_index(drop=True), holdout.reset_index(drop=True)))
        for name, lift in recovered(history, holdout).items():
            lifts[name].append(lift)
        future = holdout[["ds", "promo", "display", "price"]]
        with_cn.append(forecast_series(history, future, WITH_CN).yhat)
        without.append(forecast_series(history, future, WITHOUT).yhat)
        actual.append(holdout["y"].to_numpy())
        features = weekly_holiday_features("CN", holdout["ds"])
        festival_rows.append((features["spring_festival"] + features["spring_festival_before"]) > 0)
    actual_all, cn_all, plain_all = (np.concatenate(x) for x in (actual, with_cn, without))
    festival = np.concatenate(festival_rows)
    effects = {}
    for name, values in lifts.items():
        values = np.array(values)
        errors = np.abs(values - TRUTH[name]) / abs(TRUTH[name])
        effects[name] = {
            "true": TRUTH[name],
            "mean_recovered": round(float(np.nanmean(values)), 4),
            "relative_error_of_mean": round(float(abs(np.nanmean(values) - TRUTH[name]) / TRUTH[name]), 4),
            "median_relative_error": round(float(np.nanmedian(errors)), 4),
            "share_within_10pct": round(float(np.nanmean(errors <= 0.10)), 3),
            "not_learned": int(np.isnan(values).sum()),
        }
    return {
        "series": series,
        "seed": seed,
        "effects": effects,
        "wape_holdout": {
            "with_cn": round(wape(actual_all, cn_all), 4),
            "without": round(wape(actual_all, plain_all), 4),
        },
        "wape_festival_weeks": {
            "with_cn": round(wape(actual_all[festival], cn_all[festival]), 4),
            "without": round(wape(actual_all[festival], plain_all[festival]), 4),
        },
        "global_model": _global_wape(panel, actual_all, festival),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _global_wape(panel, actual: np.ndarray, festival: np.ndarray) -> dict:
    out = {}
    for label, country in (("with_cn", "CN"), ("without", None)):
        model = fit_global([history for history, _ in panel], "W", country=country)
        predicted = np.concatenate(
            [model.forecast(history, holdout[["ds", "promo", "display", "price"]]) for history, holdout in panel]
        )
        out[label] = {"holdout": round(wape(actual, predicted), 4),
                      "festival_weeks": round(wape(actual[festival], predicted[festival]), 4)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2, help="2 reports; 1 is the set settings were looked at on")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.series, args.seed)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['series']} generated weekly series, seed {result['seed']}, {result['seconds']} s")
    for name, e in result["effects"].items():
        print(
            f"  {name:<24} true {e['true']:+.0%}  mean recovered {e['mean_recovered']:+.1%} "
            f"(error {e['relative_error_of_mean']:.1%})  median per-series error {e['median_relative_error']:.1%}"
            f"  within 10%: {e['share_within_10pct']:.0%}  not learned: {e['not_learned']}"
        )
    for label, key in (("holdout, 13 weeks", "wape_holdout"), ("festival weeks only", "wape_festival_weeks")):
        w = result[key]
        print(f"  WAPE {label:<20} with CN holidays {w['with_cn']:.3f}   without {w['without']:.3f}")
    g = result["global_model"]
    for label, key in (("holdout, 13 weeks", "holdout"), ("festival weeks only", "festival_weeks")):
        print(f"  global model WAPE {label:<20} with CN festival features {g['with_cn'][key]:.3f}   "
              f"without {g['without'][key]:.3f}")


if __name__ == "__main__":
    main()
