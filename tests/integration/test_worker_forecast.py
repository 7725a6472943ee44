"""A forecast run through a real Celery worker on the configured broker and database: planned, the two
halves of its cross-series learning as two tasks, then its chunks, and done with every series fitted."""

from __future__ import annotations

import time

import pytest

from tests.forecasting.conftest import catalog, sales_history  # noqa: F401  (fixtures)
from tests.integration.test_worker_pipeline import worker, worker_env  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_forecast_run_learns_both_halves_then_fits_every_series_on_a_real_worker(sales_history, worker):  # noqa: F811
    from forecasting import runs, tasks
    from forecasting.models import ForecastPoint, ForecastRun, Level, SeriesFit

    run = runs.forecast_run_create(horizon=14, levels=(Level.SERIES, Level.SKU), select=True,
                                   dispatch=tasks.run_forecast.delay)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in (ForecastRun.Status.DONE, ForecastRun.Status.FAILED):
            break
        assert worker.poll() is None, "the worker process died"
        time.sleep(1)
    assert run.status == ForecastRun.Status.DONE, f"run {run.status} ({run.error or 'no error'})"
    assert run.learning_now and run.learning_before and run.learning  # both halves, joined once
    series = SeriesFit.objects.filter(run=run, level=Level.SERIES)
    assert series.count() == 4 and SeriesFit.objects.filter(run=run).count() == run.series_total
    assert ForecastPoint.objects.filter(run=run, level=Level.SERIES).count() == 4 * 14
