"""Writes: sales import, generated demo sales, backtest records. Forecast runs live in forecasting.runs."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

import numpy as np
from django.db import connection, transaction

from forecasting.csv_import import ParsedSales, parse_sales_csv
from forecasting.models import BacktestRun, SalesRecord
from forecasting.synthetic import DemandTruth, demand_rate
from shelfai.claims.models import Campaign
from shelfai.stores.models import Brand, Category, Product, Region, Retailer, Store

IMPORT_BATCH = 5000
PLACEHOLDER = "unassigned"
MAX_LISTED_CODES = 50


@dataclass
class ImportResult:
    ok: bool
    rows: int = 0
    errors: list[str] = field(default_factory=list)
    created_stores: list[str] = field(default_factory=list)
    created_products: list[str] = field(default_factory=list)
    date_format: str | None = None

    @property
    def report(self) -> str:
        return "\n".join(self.errors)


def _listing(codes: Iterable[str]) -> str:
    codes = sorted(codes)
    shown = ", ".join(codes[:MAX_LISTED_CODES])
    return shown + (f" and {len(codes) - MAX_LISTED_CODES} more" if len(codes) > MAX_LISTED_CODES else "")


def _code_map(model, field_name: str, codes: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), 900):  # stay under SQLite's bound-parameter limit
        chunk = ordered[start : start + 900]
        found.update(model.objects.filter(**{f"{field_name}__in": chunk}).values_list(field_name, "pk"))
    return found


def sales_import(
    *,
    raw: bytes,
    create_missing: bool = False,
    encoding: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Validate the whole file, then upsert every row in one transaction; a bad file imports nothing.

    Rows are matched to stores and SKUs by code. Unknown codes are refused (with the list) unless
    ``create_missing``, which creates placeholder stores and products to be completed in the admin.
    Re-importing a row updates it: units and whichever optional columns the file has.
    """
    if encoding:
        try:
            parsed = parse_sales_csv(raw.decode(encoding))
        except (LookupError, UnicodeDecodeError) as exc:
            return ImportResult(ok=False, errors=[f"Cannot read the file as {encoding}: {exc}."])
    else:
        parsed = parse_sales_csv(raw)
    if not parsed.ok:
        return ImportResult(ok=False, errors=parsed.report().splitlines())
    stores = _code_map(Store, "code", {row.store for row in parsed.rows})
    products = _code_map(Product, "sku", {row.sku for row in parsed.rows})
    missing_stores = {row.store for row in parsed.rows} - stores.keys()
    missing_products = {row.sku for row in parsed.rows} - products.keys()
    errors = _unknown_code_errors(parsed, missing_stores, missing_products, create_missing)
    if errors:
        return ImportResult(ok=False, errors=errors, date_format=parsed.date_format)
    with transaction.atomic():
        if missing_stores:
            stores.update(_create_placeholder_stores(missing_stores))
        if missing_products:
            products.update(_create_placeholder_products(missing_products))
        written = _upsert(parsed, stores, products, progress)
    return ImportResult(
        ok=True,
        rows=written,
        created_stores=sorted(missing_stores),
        created_products=sorted(missing_products),
        date_format=parsed.date_format,
    )


def _unknown_code_errors(
    parsed: ParsedSales, stores: set[str], products: set[str], create: bool
) -> list[str]:
    errors = []
    if not create:
        if stores:
            first = min(row.line for row in parsed.rows if row.store in stores)
            errors.append(
                f"Unknown store code(s) ({len(stores)}, first on line {first}): {_listing(stores)}."
            )
        if products:
            first = min(row.line for row in parsed.rows if row.sku in products)
            errors.append(f"Unknown SKU(s) ({len(products)}, first on line {first}): {_listing(products)}.")
        if errors:
            errors.append("Add them first (admin or the catalog import), or re-run with --create-missing.")
        return errors
    too_long = [c for c in stores if len(c) > Store._meta.get_field("code").max_length]
    too_long += [c for c in products if len(c) > Product._meta.get_field("sku").max_length]
    if too_long:
        errors.append(f"Cannot create these codes, they are too long: {_listing(too_long)}.")
    return errors


def _create_placeholder_stores(codes: set[str]) -> dict[str, int]:
    region, _ = Region.objects.get_or_create(
        code=PLACEHOLDER, defaults={"name": "Unassigned (from sales import)"}
    )
    retailer, _ = Retailer.objects.get_or_create(
        code=PLACEHOLDER, defaults={"name": "Unassigned (from sales import)"}
    )
    created = Store.objects.bulk_create(
        [
            Store(code=code, name=code, region=region, retailer=retailer, latitude=0, longitude=0)
            for code in codes
        ]
    )
    return _code_map(Store, "code", {store.code for store in created})


def _create_placeholder_products(skus: set[str]) -> dict[str, int]:
    brand, _ = Brand.objects.get_or_create(name="Unassigned (from sales import)")
    category, _ = Category.objects.get_or_create(name="Unassigned (from sales import)")
    Product.objects.bulk_create([Product(sku=sku, name=sku, brand=brand, category=category) for sku in skus])
    return _code_map(Product, "sku", skus)


def _upsert(parsed: ParsedSales, stores, products, progress) -> int:
    optional = [name for name in ("price", "promo", "display", "revenue") if name in parsed.columns]
    rows = (
        (stores[r.store], products[r.sku], r.date, r.units, r.price, r.promo, r.display, r.revenue)
        for r in parsed.rows
    )
    return upsert_sales_rows(rows, update=["units", *optional], progress=progress, total=len(parsed.rows))


SALES_COLUMNS = ("store_id", "product_id", "date", "units", "price", "promo", "display", "revenue")


def upsert_sales_rows(
    rows: Iterable[tuple],
    *,
    update: list[str],
    progress: Callable[[int, int], None] | None = None,
    total: int = 0,
) -> int:
    """Insert or update SalesRecord rows given as tuples in SALES_COLUMNS order; returns the count.

    The statement is the one bulk_create(update_conflicts=True) sends on PostgreSQL and SQLite,
    ``INSERT .. ON CONFLICT (store, product, date) DO UPDATE SET ..``, run with executemany in batches.
    Skipping the model instance per row (about 60 us each, plus per-field preparation) is what makes a
    million-row file or two years of demo data take seconds instead of minutes. Callers validate the
    values first and hold the transaction.
    """
    quote = connection.ops.quote_name
    conflict = ", ".join(quote(c) for c in ("store_id", "product_id", "date"))
    sql = (
        f"INSERT INTO {quote(SalesRecord._meta.db_table)} ({', '.join(quote(c) for c in SALES_COLUMNS)}) "
        f"VALUES ({', '.join(['%s'] * len(SALES_COLUMNS))}) ON CONFLICT ({conflict}) DO UPDATE SET "
        + ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in update)
    )
    written = 0
    with connection.cursor() as cursor:
        iterator = iter(rows)
        while batch := list(itertools.islice(iterator, IMPORT_BATCH)):
            cursor.executemany(sql, batch)
            written += len(batch)
            if progress:
                progress(written, max(total, written))
    return written


# --- demo data ----------------------------------------------------------------------------------------------


def generate_demo_sales(
    *, stores, products, campaigns, start: date, end: date, seed: int,
    festival_lifts: tuple[float, float] | None = None,
) -> int:
    """Daily sales for every store x product from ``start`` to ``end`` with weekly and yearly seasonality,
    a mild trend, and the campaigns' effects (promotion +40% units and its planned discount, paid display
    +25%), Poisson noise around it; ``festival_lifts`` (Spring Festival week, the week before) add China's
    festival (forecasting.synthetic). Upserts in bulk; returns the number of rows written.
    """
    rng = np.random.default_rng(seed)
    days = (end - start).days + 1
    if days <= 0:
        return 0
    stores, products = list(stores), list(products)
    ds = _date_index(start, days)
    calendars = _campaign_calendars(campaigns, stores, products, start, days)
    store_size = {s.pk: float(rng.lognormal(0.0, 0.35)) for s in stores}
    written = 0
    with transaction.atomic():
        for product in products:
            base = float(rng.lognormal(np.log(8.0), 0.7))
            unit_price = float(product.unit_price or 0) or round(float(rng.uniform(0.99, 9.99)), 2)
            truth = DemandTruth(base=base)
            if festival_lifts:
                truth = replace(truth, spring_festival_lift=festival_lifts[0],
                                spring_festival_before_lift=festival_lifts[1])
            for store in stores:
                promo, display, discount = calendars.get((store.pk, product.pk), (None, None, None))
                promo = np.zeros(days) if promo is None else promo
                display = np.zeros(days) if display is None else display
                discount = np.zeros(days) if discount is None else discount
                noise = np.exp(np.repeat(rng.normal(0.0, 0.03, days // 56 + 1), 56)[:days])
                price_ratio = noise * (1 - discount)
                rate = demand_rate(ds, truth, promo, display, price_ratio) * store_size[store.pk]
                units = rng.poisson(rate)
                prices = np.round(unit_price * price_ratio, 2)
                written += upsert_sales_rows(
                    _demo_rows(store.pk, product.pk, ds, units, prices, promo, display),
                    update=["units", "price", "promo", "display", "revenue"],
                )
    return written


def _date_index(start: date, days: int):
    import pandas as pd

    return pd.date_range(pd.Timestamp(start), periods=days, freq="D")


def _demo_rows(store_id, product_id, ds, units, prices, promo, display):
    cent = Decimal("0.01")
    for day, sold, price, on_promo, shown in zip(
        ds.date, units.tolist(), prices.tolist(), promo.tolist(), display.tolist(), strict=True
    ):
        price_decimal = Decimal(str(price)).quantize(cent)
        yield (
            store_id,
            product_id,
            day,
            Decimal(sold),
            price_decimal,
            bool(on_promo),
            shown,
            (price_decimal * sold).quantize(cent),
        )


def _campaign_calendars(campaigns, stores, products, start: date, days: int):
    """(store_id, product_id) -> (promo, display, discount) daily arrays from the campaigns."""
    store_ids = {s.pk for s in stores}
    product_ids = {p.pk for p in products}
    out: dict = {}

    def arrays(key):
        if key not in out:
            out[key] = (np.zeros(days), np.zeros(days), np.zeros(days))
        return out[key]

    for campaign in campaigns:
        covered_products = {p.pk for p in campaign.products.all()} & product_ids
        covered_stores = ({s.pk for s in campaign.stores.all()} or store_ids) & store_ids
        first = max((campaign.starts_on - start).days, 0)
        last = min((campaign.ends_on - start).days, days - 1)
        if last < first:
            continue
        promotes = campaign.kind in (Campaign.Kind.PROMOTION, Campaign.Kind.MIXED)
        discount = float(campaign.planned_price_discount_pct or 0) / 100
        placements = {}
        for placement in campaign.placements.all():
            placements.setdefault(placement.store_id, []).append(placement)
        for store_id in covered_stores:
            for product_id in covered_products:
                promo, display, cut = arrays((store_id, product_id))
                if promotes:
                    promo[first : last + 1] = 1.0
                    cut[first : last + 1] = discount
                for placement in placements.get(store_id, []):
                    p_first = max((placement.starts_on - start).days, 0)
                    p_last = min((placement.ends_on - start).days, days - 1)
                    if p_last >= p_first:
                        display[p_first : p_last + 1] = 1.0
    return out


# --- backtests ----------------------------------------------------------------------------------------------


def backtest_record(
    *, report, freq: str, holdout: int, origins: int, filters: dict, user=None
) -> BacktestRun:
    return BacktestRun.objects.create(
        created_by=user,
        freq=freq,
        holdout=holdout,
        origins=origins,
        filters=filters,
        series=report.summary["series"],
        seconds=report.summary["seconds"],
        metrics=report.summary["models"],
        fallbacks=[outcome.key for outcome in report.fallbacks],
    )
