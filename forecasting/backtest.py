"""Rolling-origin backtests of Prophet, the seasonal-naive baseline and the model the system would choose.

Pure: frames in, the report dict out. For each series and each origin, every model trains only on the data
before the origin and forecasts the next ``holdout`` periods with the regressors' actual values (promotions
and displays are planned, so they are known in advance). "chosen" applies the production rule
(forecasting.model.choose_model) using only the training data, so its score is as honest as the others.
Stock-out periods are left out of the scores: their actual sales are not demand.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecasting.metrics import MetricTotals
from forecasting.model import (
    MIN_PROPHET_PERIODS,
    PROPHET,
    SEASON,
    SEASONAL_NAIVE,
    Forecast,
    ModelSettings,
    NotEnoughHistory,
    choose_model,
    prophet_forecast,
    regularize,
    seasonal_naive,
)

MODELS = (PROPHET, SEASONAL_NAIVE, "chosen")


@dataclass
class SeriesOutcome:
    key: str
    totals: dict[str, MetricTotals] = field(default_factory=lambda: {name: MetricTotals() for name in MODELS})
    chosen: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str = ""
    last_prophet: Forecast | None = None  # Prophet's forecast at the last origin, with its effects


def backtest_series(key: str, history: pd.DataFrame, holdout: int, origins: int, settings: ModelSettings):
    """Score one series on ``origins`` consecutive windows of ``holdout`` periods at its history's end."""
    outcome = SeriesOutcome(key)
    frame = regularize(history, settings.freq)
    minimum = MIN_PROPHET_PERIODS[settings.freq]
    for k in range(origins - 1, -1, -1):
        cut = len(frame) - holdout * (k + 1)
        train, test = frame.iloc[:cut], frame.iloc[cut : cut + holdout]
        in_stock = ~test["oos"].to_numpy()
        if (~train["oos"]).sum() < minimum or not in_stock.any():
            continue
        future = test[["ds", "promo", "display", "price"]]
        naive = seasonal_naive(train, future, settings)
        try:
            prophet = prophet_forecast(train, future, settings)
        except (RuntimeError, NotEnoughHistory, np.linalg.LinAlgError) as exc:
            outcome.notes.append(f"origin {test['ds'].iloc[0].date()}: Prophet failed ({exc}); baseline used")
            prophet = naive
        outcome.last_prophet = prophet
        chosen_name, note, _ = choose_model(train, holdout, settings)
        outcome.chosen.append(chosen_name)
        if note:
            outcome.notes.append(f"origin {test['ds'].iloc[0].date()}: {note}")
        scale_history = train["y"].where(~train["oos"]).to_numpy(dtype=float)
        actual = test["y"].to_numpy()[in_stock]
        for name, forecast in (
            (PROPHET, prophet),
            (SEASONAL_NAIVE, naive),
            ("chosen", prophet if chosen_name == PROPHET else naive),
        ):
            outcome.totals[name].add(
                actual=actual,
                forecast=forecast.yhat[in_stock],
                lower=forecast.yhat_lower[in_stock],
                upper=forecast.yhat_upper[in_stock],
                train=scale_history,
                season=SEASON[settings.freq],
            )
    if not outcome.chosen:
        outcome.skipped = (
            f"too short to backtest: needs {minimum} in-stock periods before the first of {origins} "
            f"origin(s) of {holdout} periods, has {(~frame['oos']).sum()} in all."
        )
    return outcome


def worker_pool(processes: int):
    """A process pool safe to start after Prophet has run in this process.

    Not "fork": cmdstanpy reads Stan's output with polars, whose thread pool does not survive a fork, so a
    forked child of a process that has fitted once can hang forever. A forkserver starts clean and preloads
    the model code, so workers still start in well under a second.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["forecasting.model", "forecasting.prophet_fit"])
    return context.Pool(processes)


def _run_one(job: tuple[str, pd.DataFrame, int, int, ModelSettings]) -> SeriesOutcome:
    return backtest_series(*job)


@dataclass
class BacktestReport:
    summary: dict
    outcomes: list[SeriesOutcome]

    @property
    def fallbacks(self) -> list[SeriesOutcome]:
        """Series where the system would use the baseline at the last origin, because Prophet lost."""
        return [o for o in self.outcomes if o.chosen and o.chosen[-1] == SEASONAL_NAIVE]

    @property
    def skipped(self) -> list[SeriesOutcome]:
        return [o for o in self.outcomes if o.skipped]


def run_backtest(
    series: Iterable[tuple[str, pd.DataFrame]],
    *,
    holdout: int,
    origins: int,
    settings: ModelSettings,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> BacktestReport:
    """Backtest every series (in ``workers`` processes) and pool the metrics into the report shape:
    ``{"series": n, "seconds": s, "models": {"prophet": {...}, "seasonal_naive": {...}, "chosen": {...}}}``.
    """
    if holdout < 1 or origins < 1:
        raise ValueError("holdout and origins must be at least 1.")
    started = time.perf_counter()
    jobs = [(key, frame, holdout, origins, settings) for key, frame in series]
    outcomes: list[SeriesOutcome] = []
    if workers > 1 and len(jobs) > 1:
        with worker_pool(workers) as pool:
            for outcome in pool.imap(_run_one, jobs, chunksize=4):
                outcomes.append(outcome)
                if progress:
                    progress(len(outcomes), len(jobs))
    else:
        for job in jobs:
            outcomes.append(_run_one(job))
            if progress:
                progress(len(outcomes), len(jobs))
    pooled = {name: MetricTotals() for name in MODELS}
    for outcome in outcomes:
        for name, totals in outcome.totals.items():
            pooled[name].merge(totals)
    summary = {
        "series": sum(1 for o in outcomes if not o.skipped),
        "seconds": round(time.perf_counter() - started, 2),
        "models": {name: pooled[name].summary() for name in MODELS},
    }
    return BacktestReport(summary, outcomes)
