"""Forecast runs: plan the series, fit them in chunks (Celery tasks in parallel), record progress, finish.

There is no Celery result backend (status lives on our rows), so instead of a chord the chunks report
progress by recounting their SeriesFit rows, and whichever chunk completes the count closes the run with a
conditional update. Recounting rather than incrementing keeps a retried chunk from counting twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from forecasting import selectors
from forecasting.model import ModelSettings, forecast_series, regularize
from forecasting.models import ForecastPoint, ForecastRun, Level, ModelName, SeriesFit
from forecasting.selection import LEARN_PARTS, RunLearning, forecast_chosen, learn_part, learned_to_json
from shelfai.stores.models import Store
from shelfai.tasks_common import TRANSIENT_ERRORS

logger = logging.getLogger(__name__)

CHUNK_SIZE = 25
DEFAULT_HORIZON = {"D": 84, "W": 12}
ALL_LEVELS = (Level.SERIES, Level.SKU, Level.REGION)
FAILED_PREFIX = "failed:"
# A run queued or running for longer than this is stuck, and must not block others.
ACTIVE_RUN_WINDOW = timedelta(hours=2)
# PostgreSQL advisory lock key that serialises "is a run active? then start one".
_RUN_START_LOCK = 0x5E1F_0001


class RunAlreadyActive(Exception):
    """A whole-catalogue run is already queued or running; starting another would redo the same work."""

    def __init__(self, run: ForecastRun):
        self.run = run
        super().__init__(
            _("Run %(run)s is still %(status)s (%(done)s of %(total)s series); wait for it to finish before "
              "starting another.")
            % {"run": run.pk, "status": str(run.get_status_display()).lower(),
               "done": run.series_done + run.series_failed, "total": run.series_total or "?"}
        )


def active_run() -> ForecastRun | None:
    since = timezone.now() - ACTIVE_RUN_WINDOW
    active = (ForecastRun.Status.QUEUED, ForecastRun.Status.RUNNING)
    return ForecastRun.objects.filter(status__in=active, created_at__gte=since).order_by("pk").first()


def forecast_run_create(
    *,
    user=None,
    freq: str = "D",
    horizon: int | None = None,
    store_ids: list[int] | None = None,
    product_ids: list[int] | None = None,
    levels: tuple[str, ...] = ALL_LEVELS,
    select: bool = True,
    dispatch: Callable[[int], object] | None,
    exclusive: bool = False,
) -> ForecastRun:
    """Queue a run; ``dispatch(run_id)`` is called once the transaction commits, None leaves it queued.

    The caller passes the dispatcher (``forecasting.tasks.run_forecast.delay`` to hand it to the workers)
    so this module never imports the tasks, which import it. It has no default: a forgotten dispatcher
    would leave runs queued forever, so each caller says whether it sends the run or runs it itself.

    With ``exclusive``, raise :class:`RunAlreadyActive` when another run is queued or running. The check
    and the insert hold a lock (PostgreSQL advisory lock; SQLite transactions here take the write lock
    when they begin), so two clicks landing at the same instant start one run, not two.
    """
    if freq not in DEFAULT_HORIZON:
        raise ValueError("freq must be D (daily) or W (weekly).")
    unknown = set(levels) - set(ALL_LEVELS)
    if unknown:
        raise ValueError(f"unknown level(s) {', '.join(sorted(unknown))}; use series, sku, region.")
    with transaction.atomic():
        if exclusive:
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_RUN_START_LOCK])
            active = active_run()
            if active is not None:
                raise RunAlreadyActive(active)
        run = ForecastRun.objects.create(
            created_by=user,
            freq=freq,
            horizon=horizon or DEFAULT_HORIZON[freq],
            params={
                "store_ids": store_ids,
                "product_ids": product_ids,
                "levels": list(levels),
                "select": select,
                "country": settings.FORECAST_COUNTRY,
            },
        )
        if dispatch is not None:
            # After commit, so the worker finds the row.
            transaction.on_commit(lambda: dispatch(run.pk))
        return run


def forecast_run_plan(run_id: int) -> list[list[list[int | str]]]:
    """Claim a queued run and split its series into chunks of jobs; [] when there is nothing to do."""
    claimed = ForecastRun.objects.filter(pk=run_id, status=ForecastRun.Status.QUEUED).update(
        status=ForecastRun.Status.RUNNING, started_at=timezone.now()
    )
    if claimed != 1:
        return []  # another worker got there first, or the run was cancelled
    run = ForecastRun.objects.get(pk=run_id)
    keys = selectors.series_keys(
        store_ids=run.params.get("store_ids"), product_ids=run.params.get("product_ids")
    )
    if not keys:
        forecast_run_fail(run_id, "No sales history matches this run: import sales first (import_sales).")
        return []
    _, as_of = selectors.sales_span(store_ids={s for s, _ in keys}, product_ids={p for _, p in keys})
    jobs = _jobs(keys, run.params.get("levels", ALL_LEVELS))
    run.params = {**run.params, "as_of": as_of.isoformat()}
    run.series_total = len(jobs)
    # Store x SKU series are chosen with what the run learns across all of them (forecast_run_learn),
    # before any chunk starts.
    run.params["learns"] = bool(run.params.get("select", True) and any(job[0] == Level.SERIES for job in jobs))
    run.save(update_fields=["params", "series_total"])
    return [jobs[i : i + CHUNK_SIZE] for i in range(0, len(jobs), CHUNK_SIZE)]


def run_learns(run_id: int) -> bool:
    """Whether the planned run learns across its series before its chunks (forecast_run_learn) may start."""
    return bool(ForecastRun.objects.values_list("params", flat=True).get(pk=run_id).get("learns"))


def forecast_run_learn(run_id: int, part: str) -> bool:
    """Learn one half (``LEARN_PARTS``) of what the run learns from all its store x SKU series: the pooled
    effects and the global model, now or one validation window back. The halves are independent, so two
    tasks learn them at once on two workers (the cross-series learning was a quarter of a run's time with
    one core idle). True for the one call that finds both halves written and joins them: its caller starts
    the chunks. Each half is written with its own update and the join is conditional, so two tasks
    finishing together start the chunks once."""
    run = ForecastRun.objects.get(pk=run_id)
    if run.status != ForecastRun.Status.RUNNING or run.learning:
        return False
    keys = selectors.series_keys(store_ids=run.params.get("store_ids"), product_ids=run.params.get("product_ids"))
    histories = selectors.daily_histories(keys, as_of=date.fromisoformat(run.params["as_of"])).histories
    frames = [regularize(selectors.at_frequency(frame, run.freq), run.freq) for frame in histories.values()]
    learned = learn_part(frames, run.horizon, run.freq, part, country=run.params.get("country") or None)
    ForecastRun.objects.filter(pk=run_id).update(**{f"learning_{part}": learned_to_json(learned)})
    halves = ForecastRun.objects.values("learning_now", "learning_before").get(pk=run_id)
    if not all(halves.values()):
        return False  # the other half is still being learned: its task starts the chunks
    joined = RunLearning.from_parts(halves["learning_now"], halves["learning_before"], run.horizon).to_json()
    return ForecastRun.objects.filter(pk=run_id, learning="").update(learning=joined) == 1


def _jobs(keys: list[tuple[int, int]], levels) -> list[list[int | str]]:
    """Jobs sorted by product so a chunk reads few products' histories."""
    region_of = dict(Store.objects.filter(pk__in={s for s, _ in keys}).values_list("pk", "region_id"))
    jobs: list[list[int | str]] = []
    if Level.SERIES in levels:
        jobs += [[Level.SERIES, store_id, product_id] for store_id, product_id in keys]
    products = sorted({p for _, p in keys})
    if Level.SKU in levels:
        jobs += [[Level.SKU, product_id] for product_id in products]
    if Level.REGION in levels:
        pairs = sorted({(region_of[s], p) for s, p in keys})
        jobs += [[Level.REGION, region_id, product_id] for region_id, product_id in pairs]
    return sorted(jobs, key=lambda job: (job[-1], str(job[0]), job[1]))


def forecast_run_fail(run_id: int, error: str) -> None:
    ForecastRun.objects.filter(pk=run_id).exclude(status=ForecastRun.Status.DONE).update(
        status=ForecastRun.Status.FAILED, error=error[:2000], finished_at=timezone.now()
    )


def forecast_run_fit_chunk(*, run_id: int, jobs: list[list[int | str]]) -> None:
    """Fit and store every job of the chunk; a series that fails is recorded as failed, the rest go on."""
    run = ForecastRun.objects.get(pk=run_id)
    if run.status != ForecastRun.Status.RUNNING:
        return
    model_settings = ModelSettings(freq=run.freq, country=run.params.get("country") or None)
    as_of = date.fromisoformat(run.params["as_of"])
    keys = _keys_for(jobs, run)
    data = selectors.daily_histories(keys, as_of=as_of)
    after = as_of if run.freq == "D" else as_of - timedelta(days=(as_of.weekday() + 1) % 7)
    days = run.horizon * (7 if run.freq == "W" else 1)
    futures = selectors.future_daily(keys, after=after, days=days, histories=data.histories)
    region_of = dict(Store.objects.filter(pk__in={s for s, _ in keys}).values_list("pk", "region_id"))
    # Store x SKU series are chosen among every model, with what the run learned across all of them; the
    # SKU and region totals (sums of series, not series of their own) between Prophet and the baseline.
    learning = RunLearning.from_json(run.learning) if run.learning else None
    points, fits = [], []
    for job in jobs:
        try:
            history, future = _frames(job, data.histories, futures, region_of, run.freq)
            if learning is not None and job[0] == Level.SERIES:
                forecast = forecast_chosen(history, future, model_settings, learning)
            else:
                forecast = forecast_series(
                    history,
                    future,
                    model_settings,
                    select=run.params.get("select", True),
                    validation_horizon=run.horizon,
                )
        except TRANSIENT_ERRORS:
            raise
        except Exception as exc:  # one bad series must not sink the run; it is recorded with its reason
            logger.exception("forecast run %s: job %s failed", run_id, job)
            fits.append(
                _fit_row(run, job, model=ModelName.NONE, note=f"{FAILED_PREFIX} {type(exc).__name__}: {exc}")
            )
            continue
        fits.append(_fit_row(run, job, model=forecast.model, note=forecast.note, forecast=forecast))
        points.extend(_point_rows(run, job, forecast))
    with transaction.atomic():
        _delete_job_rows(run, jobs)  # a retried chunk replaces its rows instead of adding to them
        SeriesFit.objects.bulk_create(fits)
        ForecastPoint.objects.bulk_create(points, batch_size=2000)
    _refresh_progress(run_id)


def _keys_for(jobs, run: ForecastRun) -> list[tuple[int, int]]:
    products = {job[-1] for job in jobs}
    all_keys = selectors.series_keys(store_ids=run.params.get("store_ids"), product_ids=products)
    wanted = {(job[1], job[2]) for job in jobs if job[0] == Level.SERIES}
    needs_all = {job[-1] for job in jobs if job[0] != Level.SERIES}
    return [key for key in all_keys if key in wanted or key[1] in needs_all]


def _frames(job, histories, futures, region_of, freq: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    level = job[0]
    if level == Level.SERIES:
        key = (job[1], job[2])
        history, future = histories.get(key), futures.get(key)
        if history is None:
            history = future.iloc[:0]
    else:
        product_id = job[-1]
        chosen = [
            k for k in histories if k[1] == product_id and (level == Level.SKU or region_of[k[0]] == job[1])
        ]
        history = selectors.aggregate_daily([histories[k] for k in chosen])
        future = selectors.aggregate_daily([futures[k] for k in chosen])
    return selectors.at_frequency(history, freq), selectors.at_frequency(future, freq)


def _ids(job) -> dict[str, int | None]:
    level = job[0]
    if level == Level.SERIES:
        return {"store_id": job[1], "product_id": job[2], "region_id": None}
    if level == Level.REGION:
        return {"store_id": None, "product_id": job[2], "region_id": job[1]}
    return {"store_id": None, "product_id": job[1], "region_id": None}


def _fit_row(run, job, *, model: str, note: str, forecast=None) -> SeriesFit:
    effects, validation, periods = {}, {}, 0
    if forecast is not None:
        effects = {name: {"coef": e.coef, "se": e.se} for name, e in forecast.effects.items()}
        validation, periods = forecast.validation, forecast.history_periods
    return SeriesFit(
        run=run,
        level=job[0],
        model=model,
        note=note[:2000],
        effects=effects,
        validation=validation,
        history_periods=periods,
        **_ids(job),
    )


def _point_rows(run, job, forecast) -> list[ForecastPoint]:
    if forecast.model == ModelName.NONE:
        return []
    ids = _ids(job)
    zeros = np.zeros(len(forecast.ds))
    promo = forecast.regressors.get("promo", zeros)
    display = forecast.regressors.get("display", zeros)
    price_index = forecast.regressors.get("price_index", zeros + 1.0)
    return [
        ForecastPoint(
            run=run,
            level=job[0],
            date=day.date(),
            yhat=float(forecast.yhat[i]),
            yhat_lower=float(forecast.yhat_lower[i]),
            yhat_upper=float(forecast.yhat_upper[i]),
            model=forecast.model,
            promo=float(promo[i]),
            display=float(display[i]),
            price_index=float(price_index[i]),
            **ids,
        )
        for i, day in enumerate(forecast.ds)
    ]


def _delete_job_rows(run, jobs) -> None:
    for job in jobs:
        ids = _ids(job)
        ForecastPoint.objects.filter(run=run, level=job[0], **ids).delete()
        SeriesFit.objects.filter(run=run, level=job[0], **ids).delete()


def _refresh_progress(run_id: int) -> None:
    counts = SeriesFit.objects.filter(run_id=run_id).aggregate(
        total=Count("pk"), failed=Count("pk", filter=Q(note__startswith=FAILED_PREFIX))
    )
    done, failed = counts["total"] - counts["failed"], counts["failed"]
    ForecastRun.objects.filter(pk=run_id).update(series_done=done, series_failed=failed)
    run = ForecastRun.objects.get(pk=run_id)
    if run.status == ForecastRun.Status.RUNNING and done + failed >= run.series_total:
        _finish(run, done, failed)


def _finish(run: ForecastRun, done: int, failed: int) -> None:
    by_model = defaultdict(int)
    for level, model, count in (
        SeriesFit.objects.filter(run=run).values_list("level", "model").annotate(n=Count("pk")).order_by()
    ):
        by_model[f"{level}:{model}"] += count
    fallbacks = SeriesFit.objects.filter(run=run, note__startswith="seasonal naive chosen").count()
    metrics = {"fits": dict(by_model), "fallbacks_to_seasonal_naive": fallbacks, "failed": failed}
    if done == 0:
        first = SeriesFit.objects.filter(run=run, note__startswith=FAILED_PREFIX).values_list(
            "note", flat=True
        )
        update = {"status": ForecastRun.Status.FAILED, "error": f"Every series failed, e.g. {first.first()}"}
    else:
        update = {"status": ForecastRun.Status.DONE}
    ForecastRun.objects.filter(pk=run.pk, status=ForecastRun.Status.RUNNING).update(
        finished_at=timezone.now(), metrics=metrics, **update
    )


def forecast_run_execute(run_id: int, progress=None) -> ForecastRun:
    """Plan and fit a run in this process, chunk after chunk (the management command's path)."""
    chunks = forecast_run_plan(run_id)
    if chunks and run_learns(run_id):
        for part in LEARN_PARTS:
            forecast_run_learn(run_id, part)
    for index, chunk in enumerate(chunks, 1):
        forecast_run_fit_chunk(run_id=run_id, jobs=chunk)
        if progress:
            progress(index, len(chunks))
    return ForecastRun.objects.get(pk=run_id)
