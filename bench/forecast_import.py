"""Import speed: demo sales generation (20 stores x 30 SKUs x 730 days) and a one-million-row sales CSV,
imported twice (the second time every row is an update). Uses a throwaway SQLite database unless
DATABASE_URL is set (point it at a scratch PostgreSQL database to measure that).

    .venv/bin/python bench/forecast_import.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def setup_django(folder: str) -> None:
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{folder}/bench.sqlite3")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shelfai.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def catalog(stores: int, skus: int):
    from decimal import Decimal

    from shelfai.stores.models import Brand, Category, Product, Region, Retailer, Store

    region = Region.objects.create(code="bench", name="Bench")
    retailer = Retailer.objects.create(code="bench", name="Bench")
    brand, category = Brand.objects.create(name="Bench"), Category.objects.create(name="Bench")
    store_rows = Store.objects.bulk_create(
        Store(code=f"b{i:03d}", name=f"B{i}", region=region, retailer=retailer, latitude=0, longitude=0)
        for i in range(stores)
    )
    product_rows = Product.objects.bulk_create(
        Product(
            sku=f"sku-{i:03d}", name=f"SKU {i}", brand=brand, category=category, unit_price=Decimal("1.99")
        )
        for i in range(skus)
    )
    return store_rows, product_rows


def write_csv(path: Path, rows: int, stores, products) -> None:
    days = max(rows // (len(stores) * len(products)), 1)
    start = date(2010, 1, 1)  # before the demo rows, so every CSV line is a new row the first time
    with path.open("w") as handle:
        handle.write("date,store,sku,units,price,promo,display\n")
        for offset in range(days):
            day = (start + timedelta(days=offset)).isoformat()
            for store in stores:
                for product in products:
                    handle.write(
                        f"{day},{store.code},{product.sku},{(offset * 7 + store.pk) % 23},1.99,0,0\n"
                    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shelfai-import-bench-") as folder:
        setup_django(folder)
        from forecasting.models import SalesRecord
        from forecasting.services import generate_demo_sales, sales_import

        stores, products = catalog(20, 30)
        started, cpu = time.perf_counter(), time.process_time()
        written = generate_demo_sales(
            stores=stores,
            products=products,
            campaigns=[],
            start=date(2024, 1, 1),
            end=date(2025, 12, 30),
            seed=1,
        )
        print(
            f"generate_demo_sales: {written:,} rows in {time.perf_counter() - started:.1f} s "
            f"({time.process_time() - cpu:.1f} s CPU; load average {os.getloadavg()[0]:.1f} on this machine)"
        )

        path = Path(folder) / "sales.csv"
        write_csv(path, args.rows, stores, products)
        raw = path.read_bytes()
        for attempt in ("first import", "re-import (all updates)"):
            started, cpu = time.perf_counter(), time.process_time()
            result = sales_import(raw=raw)
            assert result.ok, result.report
            print(
                f"{attempt}: {result.rows:,} rows ({len(raw) / 1e6:.0f} MB) "
                f"in {time.perf_counter() - started:.1f} s ({time.process_time() - cpu:.1f} s CPU)"
            )
        print(
            f"rows in the table: {SalesRecord.objects.count():,} (demo + CSV: the re-import doubled nothing)"
        )


if __name__ == "__main__":
    main()
