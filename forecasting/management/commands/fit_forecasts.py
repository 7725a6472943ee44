"""python manage.py fit_forecasts [--freq D|W] [--horizon N] [--store S] [--sku K] [--levels L] [--enqueue]"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from forecasting.management.commands.backtest import _ids
from forecasting.runs import ALL_LEVELS, forecast_run_create, forecast_run_execute
from forecasting.tasks import run_forecast
from shelfai.stores.models import Product, Store


class Command(BaseCommand):
    help = (
        "Fit forecasts for every store x SKU (and SKU and region totals) and store them as a forecast run. "
        "Runs here, chunk by chunk, or with --enqueue as parallel Celery tasks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--freq", choices=["D", "W"], default="D")
        parser.add_argument("--horizon", type=int, help="Periods ahead (default 84 days or 12 weeks).")
        parser.add_argument("--store", action="append", help="Store code (repeat for several).")
        parser.add_argument("--sku", action="append", help="SKU code (repeat for several).")
        parser.add_argument("--levels", default=",".join(ALL_LEVELS), help="Any of series,sku,region.")
        parser.add_argument(
            "--no-select",
            action="store_true",
            help="Always use Prophet (skip the validation that may pick the baseline).",
        )
        parser.add_argument(
            "--enqueue", action="store_true", help="Hand the run to Celery workers and return."
        )

    def handle(self, *args, **opts):
        levels = tuple(level.strip() for level in opts["levels"].split(",") if level.strip())
        if opts["horizon"] is not None and opts["horizon"] < 1:
            raise CommandError("--horizon must be at least 1.")
        try:
            run = forecast_run_create(
                freq=opts["freq"],
                horizon=opts["horizon"],
                store_ids=_ids(Store, "code", opts["store"]),
                product_ids=_ids(Product, "sku", opts["sku"]),
                levels=levels,
                select=not opts["no_select"],
                dispatch=run_forecast.delay if opts["enqueue"] else None,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if opts["enqueue"]:
            self.stdout.write(f"Forecast run {run.pk} queued; follow it in the admin or the API.")
            return

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"  chunk {done}/{total}")

        run = forecast_run_execute(run.pk, progress=progress)
        if run.status != run.Status.DONE:
            raise CommandError(f"Forecast run {run.pk} {run.status}: {run.error}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Forecast run {run.pk} done: {run.series_done} series fitted, {run.series_failed} failed; "
                f"{run.metrics.get('fallbacks_to_seasonal_naive', 0)} use seasonal naive as Prophet lost."
            )
        )
