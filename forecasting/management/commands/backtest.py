"""python manage.py backtest --freq D|W --holdout N [--origins K] [--store S] [--sku K] [--json]"""

from __future__ import annotations

import json
import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from forecasting import selectors
from forecasting.backtest import MODELS, run_backtest
from forecasting.model import ModelSettings
from forecasting.services import backtest_record
from shelfai.stores.models import Product, Store


class Command(BaseCommand):
    help = (
        "Backtest every candidate model, the references and the model the system would choose: "
        "train on everything before the last N periods (or K rolling origins) and score WAPE, sMAPE, MASE, "
        "bias and 80% interval coverage on those periods."
    )

    def add_arguments(self, parser):
        parser.add_argument("--freq", choices=["D", "W"], default="D")
        parser.add_argument("--holdout", type=int, required=True, help="Periods held out per origin.")
        parser.add_argument("--origins", type=int, default=1, help="Rolling origins, each `holdout` apart.")
        parser.add_argument("--store", action="append", help="Store code (repeat for several).")
        parser.add_argument("--sku", action="append", help="SKU code (repeat for several).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object and nothing else.")
        parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))

    def handle(self, *args, **opts):
        if opts["holdout"] < 1 or opts["origins"] < 1:
            raise CommandError("--holdout and --origins must be at least 1.")
        store_ids = _ids(Store, "code", opts["store"])
        product_ids = _ids(Product, "sku", opts["sku"])
        keys = selectors.series_keys(store_ids=store_ids, product_ids=product_ids)
        if not keys:
            raise CommandError("No sales match these filters: import sales first, or check --store/--sku.")
        data = selectors.daily_histories(keys)
        labels = _labels(keys)
        series = [
            (labels[key], selectors.at_frequency(frame, opts["freq"]))
            for key, frame in data.histories.items()
        ]
        quiet = opts["json"]

        def progress(done: int, total: int) -> None:
            if not quiet and (done == total or done % max(total // 10, 1) == 0):
                self.stdout.write(f"  {done}/{total} series")

        report = run_backtest(
            series,
            holdout=opts["holdout"],
            origins=opts["origins"],
            settings=ModelSettings(freq=opts["freq"], country=settings.FORECAST_COUNTRY or None),
            workers=max(1, opts["workers"]),
            progress=progress,
        )
        filters = {"store": opts["store"], "sku": opts["sku"]}
        backtest_record(
            report=report,
            freq=opts["freq"],
            holdout=opts["holdout"],
            origins=opts["origins"],
            filters=filters,
        )
        if quiet:
            self.stdout.write(json.dumps(report.summary))
            for name, reason in report.summary["refused"].items():
                self.stderr.write(f"{name} refused: {reason}")
            if report.fallbacks:
                self.stderr.write(
                    f"{len(report.fallbacks)} series fall back to seasonal naive (Prophet lost)."
                )
            return
        self._print_table(report)

    def _print_table(self, report) -> None:
        summary = report.summary
        self.stdout.write(f"\n{summary['series']} series in {summary['seconds']} s")
        self.stdout.write(
            f"{'model':<20}" + "".join(f"{m:>10}" for m in ("wape", "smape", "mase", "bias", "coverage"))
        )
        for name in MODELS:
            row = summary["models"][name]
            cells = "".join(f"{'-' if row[m] is None else format(row[m], '.3f'):>10}" for m in row)
            self.stdout.write(f"{name:<20}{cells}")
        chosen = ", ".join(f"{name} {count}" for name, count in summary["chosen_by"].items())
        self.stdout.write(f"\nchosen per series by validation on the training part: {chosen}")
        for name, reason in summary["refused"].items():
            self.stdout.write(f"REFUSED {name}: {reason}")
        if report.fallbacks:
            self.stdout.write(
                f"\nSeasonal naive is used instead of Prophet for {len(report.fallbacks)} series:"
            )
            for outcome in report.fallbacks[:20]:
                self.stdout.write(f"  {outcome.key}: {outcome.notes[-1] if outcome.notes else ''}")
        for outcome in report.skipped[:20]:
            self.stdout.write(f"Skipped {outcome.key}: {outcome.skipped}")


def _ids(model, field: str, codes: list[str] | None) -> list[int] | None:
    if not codes:
        return None
    found = dict(model.objects.filter(**{f"{field}__in": codes}).values_list(field, "pk"))
    missing = sorted(set(codes) - found.keys())
    if missing:
        raise CommandError(f"Unknown {model._meta.verbose_name} code(s): {', '.join(missing)}.")
    return list(found.values())


def _labels(keys) -> dict[tuple[int, int], str]:
    stores = dict(Store.objects.filter(pk__in={s for s, _ in keys}).values_list("pk", "code"))
    skus = dict(Product.objects.filter(pk__in={p for _, p in keys}).values_list("pk", "sku"))
    return {(s, p): f"{stores[s]}/{skus[p]}" for s, p in keys}
