"""Celery tasks: thin wrappers that load by id and call forecasting.runs.

They run on the "default" queue: CELERY_TASK_ROUTES sends forecasting.* there. The import goes one way,
tasks -> runs: whoever starts a run passes ``run_forecast.delay`` to ``runs.forecast_run_create`` as its
dispatcher, so runs never imports this module.
"""

from __future__ import annotations

from celery import group, shared_task

from forecasting import runs
from shelfai.tasks_common import TRANSIENT_ERRORS

RETRY = {"autoretry_for": TRANSIENT_ERRORS, "retry_backoff": True, "retry_jitter": True, "max_retries": 5}


@shared_task(**RETRY)
def run_forecast(run_id: int) -> int:
    """Claim the run and fan its chunks out as parallel tasks; returns the number of chunks."""
    try:
        chunks = runs.forecast_run_plan(run_id)
    except TRANSIENT_ERRORS:
        raise
    except Exception as exc:
        runs.forecast_run_fail(run_id, f"Planning the run failed: {type(exc).__name__}: {exc}")
        raise
    if chunks and runs.run_learns(run_id):
        # Both halves of the cross-series learning at once; the task that completes it starts the chunks.
        group(learn_forecast.s(run_id, part, chunks) for part in runs.LEARN_PARTS).apply_async()
    elif chunks:
        _fit_chunks(run_id, chunks)
    return len(chunks)


@shared_task(**RETRY)
def learn_forecast(run_id: int, part: str, chunks: list[list[list]]) -> None:
    try:
        complete = runs.forecast_run_learn(run_id, part)
    except TRANSIENT_ERRORS:
        raise
    except Exception as exc:
        runs.forecast_run_fail(run_id, f"Learning across the series failed: {type(exc).__name__}: {exc}")
        raise
    if complete:
        _fit_chunks(run_id, chunks)


def _fit_chunks(run_id: int, chunks: list[list[list]]) -> None:
    group(fit_forecast_chunk.s(run_id, chunk) for chunk in chunks).apply_async()


@shared_task(**RETRY)
def fit_forecast_chunk(run_id: int, jobs: list[list]) -> None:
    try:
        runs.forecast_run_fit_chunk(run_id=run_id, jobs=jobs)
    except TRANSIENT_ERRORS:
        raise
    except Exception as exc:
        runs.forecast_run_fail(run_id, f"A chunk of {len(jobs)} series failed: {type(exc).__name__}: {exc}")
        raise
