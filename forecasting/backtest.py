"""Rolling-origin backtests of every candidate model, the references, and the model the system would choose.

Pure: frames in, the report dict out. For each series and each origin, every model trains only on the data
before the origin and forecasts the next ``holdout`` periods with the regressors' actual values (promotions
and displays are planned, so they are known in advance). "chosen" applies forecasting.selection's rule
(rolling-origin validation inside the training data, weighed with the category's; conformal intervals from
its errors), so its score is as honest as the others: the reported holdout is touched once, for the figure.
Live runs (forecasting.runs, selection.forecast_chosen) apply the same rule to store x SKU series with one
validation window and without the category weighing (each chunk sees only its own series).
The pooled effects and the global model are fitted across all series on each origin's training parts only
(and again before each validation origin inside them).
Stock-out periods (and weeks missing from a weekly file) are left out of the scores: they are not demand.

A model whose forecast is degenerate (forecasting.guards.degenerate: all zeros for a selling series, or
absurdly high) on any series is refused: its metrics are None and "refused" says where and why, because a
WAPE of 1.0 from forecasting zero is a lost data set, not a result.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd

from forecasting.global_model import fit_global
from forecasting.guards import degenerate
from forecasting.intervals import half_width
from forecasting.metrics import METRIC_NAMES, MetricTotals
from forecasting.model import (
    MIN_PROPHET_PERIODS,
    PROPHET,
    SEASON,
    SEASONAL_NAIVE,
    Forecast,
    ModelSettings,
    regularize,
)
from forecasting.pooled import fit_pooled
from forecasting.references import LAST_VALUE, PROPHET_PLAIN, PROPHET_REGRESSORS, plain_prophet
from forecasting.selection import (
    CANDIDATES,
    CATEGORY_WEIGHT,
    VARIANT_CATEGORY_WEIGHT,
    Learned,
    Validation,
    candidate_forecasts,
    choose,
    conformal_interval,
    validate,
    validation_cuts,
    variant_label,
)

MODELS = (*CANDIDATES, "chosen", PROPHET_PLAIN, PROPHET_REGRESSORS)
FALLBACK_MODELS = (SEASONAL_NAIVE, LAST_VALUE)
LearnedFits = dict[tuple[int, int], Learned]  # (origin k, validation origin j; 0 = whole train)


@dataclass
class SeriesOutcome:
    key: str
    totals: dict[str, MetricTotals] = field(default_factory=lambda: {name: MetricTotals() for name in MODELS})
    chosen: list[str] = field(default_factory=list)
    prophet_settings: list[str] = field(default_factory=list)  # the Prophet variant chosen at each origin
    notes: list[str] = field(default_factory=list)
    skipped: str = ""
    degenerate: dict[str, str] = field(default_factory=dict)  # model -> why its forecast was no result
    last_prophet: Forecast | None = None  # Prophet's forecast at the last origin, with its effects
    last_chosen: Forecast | None = None


def _cut(frame: pd.DataFrame, holdout: int, k: int) -> int:
    return len(frame) - holdout * (k + 1)


def learned_fits(
    frames: list[pd.DataFrame], holdout: int, origins: int, freq: str, *, with_global: bool = True,
    country: str | None = None,
) -> LearnedFits:
    """Pooled effects and the global model for each origin's training parts (j = 0) and for each validation
    origin j inside them that some series uses: what each series may learn from the others never reaches
    past its own cut."""
    needed = {(k, 0) for k in range(origins)}
    for frame in frames:
        for k in range(origins):
            train = frame.iloc[: max(_cut(frame, holdout, k), 0)]
            needed.update((k, j) for j, _ in validation_cuts(train, holdout, freq))
    fits: LearnedFits = {}
    for k, j in sorted(needed):
        trains = [t for t in (f.iloc[: max(_cut(f, holdout, k) - holdout * j, 0)] for f in frames) if len(t)]
        model = fit_global(trains, freq, country=country) if with_global else None
        fits[(k, j)] = Learned(fit_pooled(trains), model)
    return fits


def _origins(frame: pd.DataFrame, holdout: int, origins: int, settings: ModelSettings):
    """(k, train, test) for each origin with enough in-stock history before it and sales data after it."""
    minimum = MIN_PROPHET_PERIODS[settings.freq]
    for k in range(origins - 1, -1, -1):
        cut = _cut(frame, holdout, k)
        train, test = frame.iloc[: max(cut, 0)], frame.iloc[max(cut, 0) : cut + holdout]
        if cut <= 0 or (~train["oos"]).sum() < minimum or not (~test["oos"]).any():
            continue
        yield k, train, test


def validate_series(
    key: str, history: pd.DataFrame, holdout: int, origins: int, settings: ModelSettings, learned: LearnedFits
) -> dict[int, Validation]:
    """Each origin's validation inside its training part (the first of the backtest's two passes)."""
    frame = regularize(history, settings.freq)
    return {
        k: validate(train, holdout, settings, lambda j, k=k: learned.get((k, j)))
        for k, train, _ in _origins(frame, holdout, origins, settings)
    }


@dataclass
class Category:
    """Each candidate's validation WAPE over every series, and its conformal half-width from all their
    errors, at one origin."""

    scores: dict[str, float]
    half_widths: dict[str, float]


def category_scores(validations: Iterable[dict[int, Validation]], width: float) -> dict[int, Category]:
    """Each origin's Category (errors summed over the series, then divided)."""
    error: dict[int, Counter] = {}
    actual: dict[int, Counter] = {}
    logs: dict[int, dict[str, list[float]]] = {}
    for per_origin in validations:
        for k, validation in per_origin.items():
            for name in validation.scores():
                error.setdefault(k, Counter())[name] += validation.abs_error[name]
                actual.setdefault(k, Counter())[name] += validation.actual[name]
                logs.setdefault(k, {}).setdefault(name, []).extend(validation.log_errors.get(name, []))
    out = {}
    for k in error:
        scores = {name: error[k][name] / actual[k][name] for name in error[k] if actual[k][name] > 0}
        halves = {name: half_width(values, width) for name, values in logs[k].items()}
        out[k] = Category(scores, {name: half for name, half in halves.items() if half is not None})
    return out


def variant_category(validations: Iterable[dict[int, Validation]]) -> dict[int, dict[int, float]]:
    """Each origin's WAPE of each Prophet variant over every series (errors summed, then divided)."""
    error: dict[int, Counter] = {}
    actual: dict[int, Counter] = {}
    for per_origin in validations:
        for k, validation in per_origin.items():
            for index, (abs_error, total) in validation.variant_totals().items():
                error.setdefault(k, Counter())[index] += abs_error
                actual.setdefault(k, Counter())[index] += total
    return {k: {i: error[k][i] / actual[k][i] for i in error[k] if actual[k][i] > 0} for k in error}


def backtest_series(
    key: str,
    history: pd.DataFrame,
    holdout: int,
    origins: int,
    settings: ModelSettings,
    learned: LearnedFits | None = None,
    validations: dict[int, Validation] | None = None,
    category: dict[int, Category] | None = None,
):
    """Score one series on ``origins`` consecutive windows of ``holdout`` periods at its history's end."""
    outcome = SeriesOutcome(key)
    frame = regularize(history, settings.freq)
    minimum = MIN_PROPHET_PERIODS[settings.freq]
    learned, validations, category = learned or {}, validations or {}, category or {}
    for k, train, test in _origins(frame, holdout, origins, settings):
        in_stock = ~test["oos"].to_numpy()
        origin = f"origin {test['ds'].iloc[0].date()}"
        future = test[["ds", "promo", "display", "price"]]
        validation = validations.get(k) or validate(train, holdout, settings, lambda j, k=k: learned.get((k, j)))
        forecasts, missing, rejected = candidate_forecasts(
            train, future, validation.tuned(settings), learned.get((k, 0))
        )
        known = category.get(k, Category({}, {}))
        for name, forecast in {**forecasts, **rejected}.items():
            errors, prior = validation.log_errors.get(name, []), known.half_widths.get(name)
            conformal_interval(forecast, errors, settings.interval_width, category_half=prior, weight=CATEGORY_WEIGHT)
        chosen_name, note = choose(validation, forecasts, known.scores)
        outcome.chosen.append(chosen_name)
        outcome.notes.append(f"{origin}: {note}")
        outcome.prophet_settings.append(variant_label(validation.prophet_overrides))
        if validation.prophet_note():
            outcome.notes.append(f"{origin}: {validation.prophet_note()}")
        outcome.notes.extend(f"{origin}: {name} left out: {why}" for name, why in missing.items())
        outcome.last_prophet = forecasts.get(PROPHET, outcome.last_prophet)
        outcome.last_chosen = forecasts[chosen_name]
        # Each model's row scores what that model alone forecast, even where the guardrail rejected it;
        # a model that produced nothing here is scored as what the product would use instead: the chosen.
        scored = {**rejected, **forecasts}
        for name in CANDIDATES:
            if name not in scored:
                scored[name] = forecasts[chosen_name]
        scored["chosen"] = forecasts[chosen_name]
        for name, regressors in ((PROPHET_PLAIN, False), (PROPHET_REGRESSORS, True)):
            try:
                scored[name] = plain_prophet(train, future, settings, regressors=regressors)
            except (RuntimeError, ValueError) as exc:
                outcome.notes.append(f"{origin}: {name} failed ({exc})")
        history_y = train["y"].where(~train["oos"]).to_numpy(dtype=float)
        actual = test["y"].to_numpy()[in_stock]
        for name in MODELS:
            forecast = scored.get(name)
            if forecast is None:
                continue
            reason = degenerate(forecast.yhat, history_y)
            if reason:
                outcome.degenerate.setdefault(name, f"{origin}: {reason}")
            outcome.totals[name].add(
                actual=actual,
                forecast=forecast.yhat[in_stock],
                lower=forecast.yhat_lower[in_stock],
                upper=forecast.yhat_upper[in_stock],
                train=history_y,
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


def _validate_one(job: tuple) -> dict[int, Validation]:
    return validate_series(*job)


def _run_one(job: tuple) -> SeriesOutcome:
    return backtest_series(*job)


@dataclass
class BacktestReport:
    summary: dict
    outcomes: list[SeriesOutcome]
    learned: LearnedFits = field(default_factory=dict)

    @property
    def fallbacks(self) -> list[SeriesOutcome]:
        """Series where the system would use a naive baseline at the last origin, because the models lost."""
        return [o for o in self.outcomes if o.chosen and o.chosen[-1] in FALLBACK_MODELS]

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
    ``{"series": n, "seconds": s, "models": {name: {metric: value}, ...}, "chosen_by": {name: series},
    "prophet_settings": {variant: series}, "refused": {name: reason}}``; a refused model's metrics are all
    None; "chosen_by" and "prophet_settings" count each series' choice at the last origin.
    """
    if holdout < 1 or origins < 1:
        raise ValueError("holdout and origins must be at least 1.")
    started = time.perf_counter()
    # Sorted by key: the global model's training rows follow the series' order, and the database's order
    # of a fresh import is not fixed (codes are created from a set), so without it two runs of the same
    # file gave different figures (tuna chosen WAPE 0.529 and 0.518).
    frames = sorted(((key, regularize(frame, settings.freq)) for key, frame in series), key=lambda item: item[0])
    learned = learned_fits([frame for _, frame in frames], holdout, origins, settings.freq, country=settings.country)
    jobs = [(key, frame, holdout, origins, settings, learned) for key, frame in frames]
    # Two passes: every series' validation first, so that each series' choice can weigh its own few
    # validation weeks against how each candidate did over the whole category (selection.choose).
    outcomes: list[SeriesOutcome] = []
    pool = worker_pool(workers) if workers > 1 and len(jobs) > 1 else None
    try:
        mapper = (lambda f, items: pool.imap(f, items, chunksize=4)) if pool else map
        validations = list(mapper(_validate_one, jobs))
        variants = variant_category(validations)
        for per_origin in validations:  # each series' Prophet variant, weighed with the category's
            for k, validation in per_origin.items():
                validation.pick_variant(variants.get(k), VARIANT_CATEGORY_WEIGHT)
        category = category_scores(validations, settings.interval_width)
        jobs = [(*job, validation, category) for job, validation in zip(jobs, validations, strict=True)]
        for outcome in mapper(_run_one, jobs):
            outcomes.append(outcome)
            if progress:
                progress(len(outcomes), len(jobs))
    finally:
        if pool:
            pool.close()
            pool.join()
    pooled_totals = {name: MetricTotals() for name in MODELS}
    for outcome in outcomes:
        for name, totals in outcome.totals.items():
            pooled_totals[name].merge(totals)
    refused = _refusals(outcomes)
    models = {
        name: {m: None for m in METRIC_NAMES} if name in refused else pooled_totals[name].summary() for name in MODELS
    }
    summary = {
        "series": sum(1 for o in outcomes if not o.skipped),
        "seconds": round(time.perf_counter() - started, 2),
        "models": models,
        "chosen_by": dict(Counter(o.chosen[-1] for o in outcomes if o.chosen).most_common()),
        "prophet_settings": dict(
            Counter(o.prophet_settings[-1] for o in outcomes if o.prophet_settings).most_common()
        ),
        "refused": refused,
    }
    return BacktestReport(summary, outcomes, learned)


def _refusals(outcomes: list[SeriesOutcome]) -> dict[str, str]:
    scored = [o for o in outcomes if not o.skipped]
    refused = {}
    for name in MODELS:
        bad = [o for o in scored if name in o.degenerate]
        if bad:
            refused[name] = (
                f"degenerate forecast for {len(bad)} of {len(scored)} series, e.g. {bad[0].key} "
                f"{bad[0].degenerate[name]}"
            )
    return refused
