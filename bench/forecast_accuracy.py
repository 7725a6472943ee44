"""Accuracy, two ways.

Generated series (default): known weekly and yearly seasonality, a known promotion effect (+40% units) and
display effect (+25%), Poisson noise and stock-out days (flagged, sales lost). Targets: the recovered
promotion effect within 10% of the truth, and backtest WAPE better than seasonal naive. Also shows what
happens when the stock-out days are not masked (the ablation).

Real sales (``--data CSV``): the user's path on a throwaway SQLite database: ``import_sales CSV
--create-missing``, then ``backtest --freq W --holdout 12 --json`` (``--origins`` for rolling origins),
printing WAPE, bias and coverage of every model and of the references (last value, plain Prophet, Prophet
+ regressors) from that one run, which model was chosen for how many series, and the pooled display effect
at each origin.

    .venv/bin/python bench/forecast_accuracy.py [--series 24] [--processes 2] [--no-ablation]
    .venv/bin/python bench/forecast_accuracy.py --data ../shared/data/sales_dev/cheese_weekly.csv [--origins 3]
    .venv/bin/python bench/forecast_accuracy.py --data ... --training-only   # for design choices

``--training-only`` drops each series' last ``--holdout`` weeks before anything runs, so the backtest's
origins all lie inside the training part: that is the run to choose designs on. The holdout figures in
docs/FIGURES.md come from a run without it, made after the choices.
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "POLARS_MAX_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forecasting.backtest import run_backtest, worker_pool  # noqa: E402
from forecasting.model import ModelSettings, prophet_forecast, regularize  # noqa: E402
from forecasting.planning import effect_lift  # noqa: E402
from forecasting.synthetic import DemandTruth, simulate_daily  # noqa: E402

TRUTH = DemandTruth(promo_lift=0.40, display_lift=0.25)
HISTORY_DAYS, HOLDOUT = 730, 84
SETTINGS = ModelSettings(freq="D", country="US")


def make_series(index: int):
    rng = np.random.default_rng(1000 + index)
    truth = DemandTruth(**{**TRUTH.__dict__, "base": float(rng.lognormal(np.log(15), 0.6))})
    frame = simulate_daily(rng, start=date(2023, 1, 2), days=HISTORY_DAYS + HOLDOUT, truth=truth, oos_share=0.04)
    return f"series-{index}", frame.drop(columns="rate")


def lifts(forecast) -> dict[str, float]:
    out = {}
    for name in ("promo", "display"):
        lift = effect_lift(yhat=forecast.yhat, regressors=forecast.regressors, effects=forecast.effects, name=name)
        if lift is not None:
            out[name] = lift[0]
    return out


def unmasked_score(job) -> tuple[float, float, float, float]:
    """Prophet trained as if nobody knew about the stock-outs; scored on the in-stock holdout days."""
    _, frame = job
    frame = regularize(frame, "D")
    train, test = frame.iloc[:-HOLDOUT], frame.iloc[-HOLDOUT:]
    forecast = prophet_forecast(train.assign(oos=False), test[["ds", "promo", "display", "price"]], SETTINGS)
    in_stock = ~test["oos"].to_numpy()
    actual = test["y"].to_numpy()[in_stock]
    error = forecast.yhat[in_stock] - actual
    return (
        float(np.abs(error).sum()),
        float(error.sum()),
        float(actual.sum()),
        lifts(forecast).get("promo", 0.0),
    )


def training_part(path: Path, folder: str, holdout: int) -> Path:
    """A copy of the CSV without each (store, sku) series' last ``holdout`` weeks (by date, so a week missing
    from the file still counts as one of them)."""
    import pandas as pd

    frame = pd.read_csv(path, parse_dates=["date"])
    last = frame.groupby(["store", "sku"])["date"].transform("max")
    kept = frame[frame["date"] <= last - pd.Timedelta(weeks=holdout)]
    out = Path(folder) / f"training-{path.name}"
    kept.assign(date=kept["date"].dt.date).to_csv(out, index=False)
    return out


def real_data(path: Path, *, freq: str, holdout: int, origins: int, processes: int, training_only: bool) -> None:
    """import_sales then backtest, as a user runs them, on a throwaway database."""
    with tempfile.TemporaryDirectory(prefix="shelfai-accuracy-") as folder:
        if training_only:
            path = training_part(path, folder, holdout)
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
        os.environ.setdefault("DEBUG", "1")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shelfai.settings")
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        call_command("import_sales", str(path), "--create-missing", verbosity=0)
        from io import StringIO

        out, err = StringIO(), StringIO()
        args = ["--freq", freq, "--holdout", str(holdout), "--origins", str(origins), "--json"]
        call_command("backtest", *args, "--workers", str(processes), stdout=out, stderr=err)
        summary = json.loads(out.getvalue())
    print(f"{path.name}: {summary['series']} series, backtest {' '.join(args)} in {summary['seconds']} s")
    print(f"{'model':<20}{'wape':>8}{'bias':>8}{'coverage':>10}")
    for name, row in summary["models"].items():
        cells = "".join(
            f"{'-' if row[m] is None else format(row[m], '+.3f' if m == 'bias' else '.3f'):>{w}}"
            for m, w in (("wape", 8), ("bias", 8), ("coverage", 10))
        )
        print(f"{name:<20}{cells}")
    print("chosen by validation: " + ", ".join(f"{k} {v}" for k, v in summary["chosen_by"].items()))
    print("Prophet settings chosen: " + "; ".join(f"{k}: {v}" for k, v in summary["prophet_settings"].items()))
    for name, reason in summary["refused"].items():
        print(f"REFUSED {name}: {reason}")
    print(err.getvalue().strip())
    models = summary["models"]
    references = [models[n]["wape"] for n in ("last_value", "prophet_plain", "prophet_regressors")]
    best = min(w for w in references if w is not None)
    chosen, regressors = models["chosen"], models["prophet_regressors"]["wape"]
    versus = (
        f"Prophet + regressors {regressors:.3f} (ratio {chosen['wape'] / regressors:.2f})"
        if regressors is not None
        else "Prophet + regressors refused (see above), so not among the references"
    )
    print(f"chosen WAPE {chosen['wape']:.3f} = {chosen['wape'] / best:.2f} x the best reference ({best:.3f}); {versus}")


def print_pooled_display(path: Path, *, freq: str, holdout: int, origins: int) -> None:
    """The pooled display effect at each rolling origin (from the same import, read back without the DB)."""
    import pandas as pd

    from forecasting.backtest import learned_fits
    from forecasting.model import recorded_weeks

    frame = pd.read_csv(path, parse_dates=["date"])
    frames = []
    for _, group in frame.groupby(["store", "sku"]):
        daily = group.rename(columns={"date": "ds", "units": "y"}).assign(
            promo=group.get("promo", 0.0), oos=False, recorded=True
        )
        frames.append(recorded_weeks(daily) if freq == "W" else regularize(daily, freq))
    fits = learned_fits(frames, holdout, origins, freq, with_global=False)
    for k in range(origins - 1, -1, -1):
        fit = fits[(k, 0)].pooled
        if fit is None:
            continue
        coef, se, spread = fit.coef[1], fit.se[1], float(np.sqrt(fit.between_var[1]))
        print(
            f"origin {k}: pooled display effect exp({coef:+.3f}) - 1 = {np.expm1(coef):+.1%} for a full "
            f"display (se {se:.3f} on log1p, series spread sd {spread:.3f}); price_index coef {fit.coef[2]:+.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=24)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--no-ablation", action="store_true")
    parser.add_argument("--data", type=Path, help="A sales CSV in the import_sales format.")
    parser.add_argument("--freq", choices=["D", "W"], default="W")
    parser.add_argument("--holdout", type=int, default=12)
    parser.add_argument("--origins", type=int, default=1)
    parser.add_argument("--training-only", action="store_true", help="Leave out every series' last holdout.")
    args = parser.parse_args()
    if args.data:
        real_data(
            args.data,
            freq=args.freq,
            holdout=args.holdout,
            origins=args.origins,
            processes=args.processes,
            training_only=args.training_only,
        )
        if args.training_only:
            return
        print_pooled_display(args.data, freq=args.freq, holdout=args.holdout, origins=args.origins)
        return
    series = [make_series(i) for i in range(args.series)]
    report = run_backtest(series, holdout=HOLDOUT, origins=1, settings=SETTINGS, workers=args.processes)
    print(json.dumps(report.summary))
    models = report.summary["models"]
    beats = models["prophet"]["wape"] < models["seasonal_naive"]["wape"]
    print(
        f"WAPE Prophet {models['prophet']['wape']:.3f} vs seasonal naive "
        f"{models['seasonal_naive']['wape']:.3f} (chosen {models['chosen']['wape']:.3f}): "
        + ("PASS" if beats else "FAIL")
    )
    per_series = [lifts(o.last_prophet) for o in report.outcomes if o.last_prophet is not None]
    for name, truth in (("promo", TRUTH.promo_lift), ("display", TRUTH.display_lift)):
        values = np.array([lift[name] for lift in per_series if name in lift])
        pooled = float(np.median(values))
        within = np.mean(np.abs(values - truth) <= 0.1 * truth)
        verdict = "PASS" if abs(pooled - truth) <= 0.1 * truth else "FAIL"
        print(
            f"{name} effect: truth +{truth:.0%}; recovered median +{pooled:.1%} "
            f"(mean +{values.mean():.1%}) over {len(values)} series, {within:.0%} of series individually "
            "within 10%: " + (verdict if name == "promo" else "(display: reported, no target)")
        )
    pooled = report.learned[(0, 0)].pooled
    if pooled is not None:
        # The pooled effect is what campaign uplift reads for a live series whose chosen model has no effects
        # of its own (the global model, the ensemble, the naive ones).
        for index, (name, truth) in enumerate((("promo", TRUTH.promo_lift), ("display", TRUTH.display_lift))):
            lift = float(np.expm1(pooled.coef[index]))
            verdict = "within 10%" if abs(lift - truth) <= 0.1 * truth else "NOT within 10%"
            print(
                f"pooled {name} effect over {pooled.series} series: exp({pooled.coef[index]:+.3f}) - 1 = "
                f"{lift:+.1%} (se {pooled.se[index]:.3f} on log1p), truth +{truth:.0%}: {verdict}"
            )
    if not args.no_ablation:
        with worker_pool(args.processes) as pool:
            scores = pool.map(unmasked_score, series)
        abs_error, signed, actual, promo = (np.array(column) for column in zip(*scores, strict=True))
        masked = report.summary["models"]["prophet"]
        print(
            f"Ablation, stock-outs NOT masked: WAPE {abs_error.sum() / actual.sum():.3f} (masked "
            f"{masked['wape']:.3f}), bias {signed.sum() / actual.sum():+.3f} (masked {masked['bias']:+.3f}), "
            f"promo effect median +{np.median(promo):.1%}"
        )


if __name__ == "__main__":
    main()
