"""Forecast runs: every level fitted, progress visible, planned campaigns in the future regressors, thin
series recorded with their reason instead of sinking the run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command

from forecasting import runs, tasks
from forecasting.models import ForecastPoint, ForecastRun, Level, SeriesFit


def test_the_command_fits_every_level_and_reports_progress(sales_history, capsys):
    call_command("fit_forecasts", "--horizon", "21")
    run = ForecastRun.objects.get()
    assert run.status == ForecastRun.Status.DONE and run.progress == 1.0
    assert (run.series_total, run.series_done, run.series_failed) == (
        8,
        8,
        0,
    )  # 4 store x SKU, 2 SKU, 2 region
    assert ForecastPoint.objects.filter(run=run).count() == 8 * 21
    assert not ForecastPoint.objects.filter(run=run, yhat_lower__lt=0).exists()
    assert set(SeriesFit.objects.filter(run=run).values_list("level", flat=True)) == {
        "series",
        "sku",
        "region",
    }
    assert f"Forecast run {run.pk} done: 8 series fitted, 0 failed" in capsys.readouterr().out


def test_planned_campaigns_and_displays_shape_the_forecast(sales_history):
    run = runs.forecast_run_create(horizon=21, levels=(Level.SERIES,), select=False, dispatch=None)
    runs.forecast_run_execute(run.pk)
    planned = sales_history.planned_campaign
    points = ForecastPoint.objects.filter(run=run, product=sales_history.chips, store=sales_history.store)
    on_campaign = points.filter(date__gte=planned.starts_on, date__lte=planned.ends_on)
    before = points.filter(date__lt=planned.starts_on)
    assert {p.promo for p in on_campaign} == {1.0} and {p.display for p in on_campaign} == {1.0}
    assert {p.promo for p in before} == {0.0}
    other_store = ForecastPoint.objects.filter(
        run=run, product=sales_history.chips, store=sales_history.other_store
    )
    assert {p.display for p in other_store.filter(date=planned.starts_on)} == {0.0}  # no paid display there
    mean = lambda rows: sum(p.yhat for p in rows) / len(rows)  # noqa: E731
    assert mean(list(on_campaign)) > 1.3 * mean(list(before))
    fit = SeriesFit.objects.get(run=run, store=sales_history.store, product=sales_history.chips)
    assert fit.effects["promo"]["coef"] > 0


def test_celery_fans_the_run_out_in_chunks_and_the_last_chunk_closes_it(sales_history, monkeypatch):
    monkeypatch.setattr(runs, "CHUNK_SIZE", 2)
    run = runs.forecast_run_create(horizon=14, levels=(Level.SERIES,), select=False, dispatch=None)
    assert tasks.run_forecast.delay(run.pk).get() == 2
    run.refresh_from_db()
    assert run.status == ForecastRun.Status.DONE and run.series_done == 4 and run.finished_at is not None
    assert tasks.run_forecast.delay(run.pk).get() == 0  # already claimed: a duplicate message does nothing


def test_a_series_with_one_row_gets_a_note_not_a_crash(sales_history):
    from forecasting.models import SalesRecord
    from shelfai.stores.models import Product

    newcomer = Product.objects.create(
        sku="new-1", name="New", brand=sales_history.brand, category=sales_history.chips.category
    )
    SalesRecord.objects.create(
        store=sales_history.store, product=newcomer, date=sales_history.sales_end, units=5
    )
    run = runs.forecast_run_create(
        horizon=7, levels=(Level.SERIES,), product_ids=[newcomer.pk], dispatch=None
    )
    run = runs.forecast_run_execute(run.pk)
    fit = SeriesFit.objects.get(run=run, product=newcomer)
    assert run.status == ForecastRun.Status.DONE
    assert fit.note.startswith("short history (1 periods")
    assert [p.yhat for p in ForecastPoint.objects.filter(run=run)] == [5.0] * 7


def test_a_run_without_sales_fails_saying_what_to_do(catalog):
    run = runs.forecast_run_create(dispatch=None)
    run = runs.forecast_run_execute(run.pk)
    assert run.status == ForecastRun.Status.FAILED and "import sales first" in run.error


def test_weekly_runs_forecast_weeks(sales_history):
    run = runs.forecast_run_create(freq="W", horizon=4, levels=(Level.SKU,), select=False, dispatch=None)
    run = runs.forecast_run_execute(run.pk)
    dates = sorted({p.date for p in ForecastPoint.objects.filter(run=run)})
    assert len(dates) == 4 and all(day.weekday() == 0 for day in dates)
    assert dates[0] > sales_history.sales_end - timedelta(days=7)


def test_a_bad_frequency_or_level_is_refused(catalog):
    with pytest.raises(ValueError, match="freq must be D"):
        runs.forecast_run_create(freq="X", dispatch=None)
    with pytest.raises(ValueError, match="unknown level\\(s\\) store"):
        runs.forecast_run_create(levels=("store",), dispatch=None)


@pytest.mark.django_db(transaction=True)
def test_two_run_starts_at_the_same_instant_queue_one_run(monkeypatch):
    """A double click sends two requests that both passed the form's check: the locked check lets one
    through and tells the other which run is already going."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    # Widen the race: after its check, each request waits (up to 2 s) for the other to have checked too.
    # Unlocked, both would see no active run and both insert; locked, the second cannot check until the
    # first has committed.
    checked = threading.Barrier(2)
    unlocked_check = runs.active_run

    def slow_check():
        found = unlocked_check()
        try:
            checked.wait(timeout=2)
        except threading.BrokenBarrierError:
            pass
        return found

    monkeypatch.setattr(runs, "active_run", slow_check)

    def start():
        try:
            barrier.wait(timeout=10)
            runs.forecast_run_create(freq="D", dispatch=None, exclusive=True)
            outcomes.append("started")
        except runs.RunAlreadyActive as exc:
            outcomes.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    run = ForecastRun.objects.get()
    assert sorted(outcomes) == [f"Run {run.pk} is still queued (0 of ? series); wait for it to finish before "
                                "starting another.", "started"]
    monkeypatch.undo()
    # a run that has been stuck for hours does not block a new one
    ForecastRun.objects.filter(pk=run.pk).update(created_at=run.created_at - timedelta(hours=3))
    assert runs.forecast_run_create(freq="D", dispatch=None, exclusive=True).pk != run.pk


def test_runs_never_import_the_tasks_that_import_them():
    """The dispatcher is passed in; an import of the tasks, even inside a function, would bring the circle back."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(runs))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert "forecasting.tasks" not in imported and "tasks" not in names
