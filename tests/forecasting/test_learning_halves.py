"""A run learns across its series in two halves at once (now, and one validation window back): the
chunks start once, when the second half is in, and what they read is what one process would have learned."""

from __future__ import annotations

import json

import pytest

from forecasting import runs, tasks
from forecasting.models import ForecastRun, Level, SeriesFit
from forecasting.selection import RunLearning, learn_part


def test_the_chunks_start_once_when_both_halves_are_learned(sales_history):
    run = runs.forecast_run_create(horizon=14, levels=(Level.SERIES,), select=True, dispatch=None)
    chunks = runs.forecast_run_plan(run.pk)
    assert chunks and runs.run_learns(run.pk)
    assert runs.forecast_run_learn(run.pk, "before") is False  # the other half is not in yet
    assert ForecastRun.objects.get(pk=run.pk).learning == ""
    assert runs.forecast_run_learn(run.pk, "now") is True  # this call joins them: its task starts the chunks
    assert runs.forecast_run_learn(run.pk, "now") is False  # a retried task does not start them twice
    run.refresh_from_db()
    learning = RunLearning.from_json(run.learning)
    assert learning.horizon == 14 and learning.now.global_model is not None
    # The joined text holds both halves as each task wrote them.
    assert json.loads(run.learning)["before"] == json.loads(run.learning_before)


def test_the_celery_path_learns_both_halves_then_fits_every_series(sales_history):
    run = runs.forecast_run_create(horizon=14, levels=(Level.SERIES,), select=True, dispatch=None)
    assert tasks.run_forecast.delay(run.pk).get() >= 1  # eager in unit tests: learn, learn, chunks
    run.refresh_from_db()
    assert run.status == run.Status.DONE and run.learning_now and run.learning_before and run.learning
    assert SeriesFit.objects.filter(run=run, level=Level.SERIES).count() == run.series_total == 4


def test_an_unknown_half_is_refused():
    with pytest.raises(ValueError, match="part is one of"):
        learn_part([], 14, "D", "later")
