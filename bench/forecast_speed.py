"""Speed: fit + 12-week forecast for 1,000 daily series with two years of history, in 2 processes.

Target: <= 90 s wall on a 2-core machine with every model on. Prints the wall time, the time per series as
each worker saw it (the figure that does not depend on how busy a shared machine is), and the load average
around the run. Every model on (the default) is a live run's path: the pooled effects and the global
LightGBM model learned once from all 1,000 histories, now and one validation window back, the two halves
at once in two processes as the run's two learn_forecast tasks do (selection.learn_part), then per
series every candidate validated on that window, the best chosen, its conformal interval
(selection.forecast_chosen). ``--prophet-only`` times the Prophet fit alone, as before.

    .venv/bin/python bench/forecast_speed.py [--series 1000] [--processes 2] [--prophet-only] [--defaults-sample 10]

--defaults-sample N also times N series with Prophet's defaults (1,000 sampled paths for the interval) for
comparison.
"""

from __future__ import annotations

import os

# One BLAS (and polars, which cmdstanpy uses to read Stan's output) thread per process: the fits are small
# and the worker processes already use every core.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "POLARS_MAX_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import multiprocessing  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forecasting.model import ModelSettings, forecast_series, regularize  # noqa: E402
from forecasting.selection import LEARN_PARTS, RunLearning, forecast_chosen, learn_part, learned_to_json  # noqa: E402
from forecasting.synthetic import DemandTruth, simulate_daily  # noqa: E402

HISTORY_DAYS = 730
HORIZON_DAYS = 84
SETTINGS = ModelSettings(freq="D", country="US")


def make_series(index: int):
    rng = np.random.default_rng(index)
    truth = DemandTruth(base=float(rng.lognormal(np.log(10), 0.8)), promo_lift=float(rng.uniform(0.2, 0.6)))
    days = HISTORY_DAYS + HORIZON_DAYS
    frame = simulate_daily(rng, start=date(2023, 1, 2), days=days, truth=truth, oos_share=0.02)
    history, future = frame.iloc[:HISTORY_DAYS], frame.iloc[HISTORY_DAYS:]
    return history.drop(columns="rate"), future[["ds", "promo", "display", "price"]]


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the Stan optimiser runs as a child)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


_LEARNING: RunLearning | None = None


def _worker_start(learning_json: str | None) -> None:
    global _LEARNING
    _LEARNING = RunLearning.from_json(learning_json) if learning_json else None


def learn_half(part: str, series: int) -> str:
    """One half of the run's learning, as a forecasting.tasks.learn_forecast task does it: its own read of
    every history (generated here), the pooled effects and the global model, written as text."""
    frames = [regularize(make_series(i)[0], "D") for i in range(series)]
    return learned_to_json(learn_part(frames, HORIZON_DAYS, "D", part))


def fit_one(index: int) -> tuple[float, float, str]:
    history, future = make_series(index)
    started, cpu = time.perf_counter(), cpu_seconds()
    if _LEARNING is None:
        forecast = forecast_series(history, future, SETTINGS, select=False)
    else:
        forecast = forecast_chosen(history, future, SETTINGS, _LEARNING)
    assert len(forecast.yhat) == HORIZON_DAYS and (forecast.yhat >= 0).all()
    return time.perf_counter() - started, cpu_seconds() - cpu, forecast.model


def prophet_defaults_one(index: int) -> tuple[float, float]:
    """Prophet out of the box, on the same series and regressors: 1,000 sampled paths for the interval."""
    from prophet import Prophet

    import forecasting.prophet_fit  # noqa: F401  (quiets cmdstanpy's logging)

    history, future = make_series(index)
    started, cpu = time.perf_counter(), cpu_seconds()
    model = Prophet(yearly_seasonality=True, weekly_seasonality=True, daily_seasonality=False)
    model.add_country_holidays("US")
    for name in ("promo", "display", "price"):
        model.add_regressor(name)
    model.fit(history.assign(price=history["price"].fillna(history["price"].median())))
    model.predict(future.assign(price=future["price"].fillna(history["price"].median())))
    return time.perf_counter() - started, cpu_seconds() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--defaults-sample", type=int, default=0)
    parser.add_argument("--prophet-only", action="store_true", help="No model choice, no cross-series models.")
    args = parser.parse_args()
    every = not args.prophet_only
    learned = 0.0
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    learning_json = None
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["forecasting.model", "forecasting.prophet_fit", "forecasting.selection"])
    if every:
        # The live path: two learn_forecast tasks, one per half, at once on the two workers.
        with context.Pool(len(LEARN_PARTS)) as pool:
            halves = pool.starmap(learn_half, [(part, args.series) for part in LEARN_PARTS])
        learning = RunLearning.from_parts(*halves, HORIZON_DAYS)
        learning_json = learning.to_json()
        learned = time.perf_counter() - started
        print(
            f"learned across {args.series} series (pooled effects and the global model, now and "
            f"{HORIZON_DAYS} days back, at once in {len(LEARN_PARTS)} processes; "
            f"{learning.now.global_model.rows:,} training rows each): {learned:.1f} s wall"
        )
    # Process start-up and reading the learned models in each worker are inside the timing.
    with context.Pool(args.processes, initializer=_worker_start, initargs=(learning_json,)) as pool:
        results = pool.map(fit_one, range(args.series), chunksize=10)
    wall = time.perf_counter() - started
    per_series = np.array([seconds for seconds, _, _ in results])
    cpu = np.array([seconds for _, seconds, _ in results])
    models = {name: sum(1 for *_, m in results if m == name) for name in {m for *_, m in results}}
    print(f"series: {args.series}, processes: {args.processes}, models: {models}")
    label = "every model on" if every else "Prophet only"
    print(f"wall: {wall:.1f} s for fit + {HORIZON_DAYS}-day forecast, {label} (target <= 90 s on 2 cores)")
    print(
        f"per series inside the workers: median {np.median(per_series):.3f} s, "
        f"mean {per_series.mean():.3f} s, p95 {np.percentile(per_series, 95):.3f} s"
    )
    print(f"CPU per series (with the Stan child): median {np.median(cpu):.3f} s, mean {cpu.mean():.3f} s")
    idle_estimate = 1000 * cpu.mean() / args.processes + learned
    print(
        f"1,000 series at that mean CPU time on {args.processes} free cores"
        + (", plus the cross-series learning's wall time" if every else "")
        + f": {idle_estimate:.0f} s"
    )
    print(f"load average: {load_before:.2f} before, {os.getloadavg()[0]:.2f} after (2 cores)")
    if args.defaults_sample:
        times = np.array([prophet_defaults_one(i) for i in range(args.defaults_sample)])
        print(
            f"Prophet defaults (1,000 interval samples), {args.defaults_sample} series in one process: "
            f"median {np.median(times[:, 0]):.3f} s wall, {np.median(times[:, 1]):.3f} s CPU a series"
        )


if __name__ == "__main__":
    main()
