"""Page speed of marketing's analytics with 100,000 photos and 10,000,000 detections in PostgreSQL.

    .venv/bin/python bench/pages.py                 # create + fill shelfai_bench_pages, then time pages
    .venv/bin/python bench/pages.py --reuse         # time pages on an already filled database
    .venv/bin/python bench/pages.py --scale 0.1     # a tenth of the volume, for a quick look

Fills the database with SQL (generate_series; FK triggers off while loading, the rows are consistent
by construction), then requests every analytics page through Django's full stack (middleware,
session, ORM, templates) as a signed-in marketing user and prints p50/p95 per page. The target is
p95 ≤ 300 ms. Needs a PostgreSQL server; set BENCH_PG (default postgres://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_P95_MS = 300.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="shelfai_bench_pages", help="database to create (dropped first)")
    parser.add_argument("--reuse", action="store_true", help="keep the filled database and only time pages")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of 100k photos / 10M detections")
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page")
    return parser.parse_args()


def create_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(server: str, name: str) -> None:
    os.environ["DATABASE_URL"] = f"{server}/{name}"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # settings refuse a short key
    os.environ.setdefault("INSECURE_HTTP", "1")  # loopback only, no TLS
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shelfai.settings")
    os.environ.setdefault("SHELFAI_VAR_DIR", "/tmp/shelfai-bench-var")
    import django

    django.setup()
    from django.conf import settings

    # Plain static URLs: the hashed manifest needs collectstatic, which page speed does not depend on.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def step(label: str):
    """Print what is being done and how long it took (long work shows progress)."""

    class Timer:
        def __enter__(self):
            print(f"  {label}…", end="", flush=True)
            self.start = time.perf_counter()

        def __exit__(self, *exc):
            print(f" {time.perf_counter() - self.start:.1f} s", flush=True)

    return Timer()


def fill(scale: float) -> None:
    from django.core.management import call_command
    from django.db import connection

    with step("migrate"):
        call_command("migrate", verbosity=0)
    with step("users, stores, catalog, campaigns (ORM)"):
        params = make_reference_rows(scale)
    with step("database defaults for columns the INSERTs below leave out"):
        add_column_defaults()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no FK triggers while bulk loading
        cursor.execute("SELECT setseed(0.42)")
        for label, sql, extra in sql_steps(params):
            with step(label):
                cursor.execute(sql, {**params, **extra})
        cursor.execute("SET session_replication_role = DEFAULT")
        for table in (
            "visits_visit",
            "visits_photo",
            "analysis_detectionrun",
            "analysis_detection",
            "compliance_complianceresult",
            "compliance_skuobservation",
            "claims_placementcheck",
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
    vacuum()
    build_summaries()


def add_column_defaults() -> None:
    """Give every NOT NULL column with a plain Django default that default in the database too.

    The bulk INSERTs name the columns they fill; a column another team adds later (with a default)
    then still loads instead of failing the whole bench.
    """
    from django.apps import apps
    from django.db import connection

    labels = ["visits.Visit", "visits.Photo", "analysis.DetectionRun", "analysis.Detection",
              "compliance.ComplianceResult", "compliance.SkuObservation", "claims.PlacementCheck"]
    with connection.cursor() as cursor:
        for label in labels:
            model = apps.get_model(label)
            for field in model._meta.concrete_fields:
                if field.null or not field.has_default() or callable(field.default):
                    continue
                value = field.get_db_prep_save(field.default, connection)
                cursor.execute(f'ALTER TABLE "{model._meta.db_table}" ALTER COLUMN "{field.column}" SET DEFAULT %s',
                               [value])


def vacuum() -> None:
    from django.db import connection

    with step("VACUUM ANALYZE"):
        connection.ensure_connection()
        connection.connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def build_summaries() -> None:
    """The dashboard's pre-aggregated tables: a full rebuild, as the nightly task does it."""
    from django.db import connection

    from analytics import summaries

    with step("analytics summaries, full rebuild"):
        days = summaries.refresh_all()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE analytics_storeday, analytics_skuday")  # autovacuum would, later
    print(f"    {days} days summarised")


def time_incremental_refresh() -> None:
    """What a page pays when a rep's visit was scored since the last refresh."""
    from django.db import transaction

    from analytics import summaries
    from shelfai.compliance.models import ComplianceResult

    # The newest visit: ids grow with time, as in production, so a refresh looks at recent days.
    result = ComplianceResult.objects.filter(scope="visit", is_current=True).order_by("visit_id").last()
    with transaction.atomic():
        ComplianceResult.objects.filter(pk=result.pk).update(is_current=False)
        result.pk = None
        result.save()  # a rescored visit: one new row
    start = time.perf_counter()
    days = summaries.refresh_pending()
    changed = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    summaries.refresh_pending()
    idle = (time.perf_counter() - start) * 1000
    print(f"Summary refresh: {changed:.0f} ms after one rescored visit ({days} day), {idle:.1f} ms with nothing new")


PHOTOS_AT_SCALE_1 = 100_000
PHOTOS_PER_VISIT = 4
DETECTIONS_PER_PHOTO = 100
SKUS_PER_VISIT = 30
DETECTION_CHUNK = 1_000_000


def make_reference_rows(scale: float) -> dict[str, int]:
    """The small tables, through the ORM: users, 500 stores, 120 SKUs, 20 campaigns with placements."""
    import random
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from shelfai.accounts.models import Role, User
    from shelfai.claims.models import Campaign, PaidPlacement
    from shelfai.stores.models import Brand, Category, Planogram, Product, Region, Retailer, Store, StoreGroup

    rnd = random.Random(42)
    User.objects.create_user("bench-marketing", password="bench", role=Role.MARKETING)
    reps = User.objects.bulk_create([User(username=f"bench-rep-{i}", role=Role.REP) for i in range(50)])
    regions = Region.objects.bulk_create([Region(code=f"r{i}", name=f"Region {i}") for i in range(5)])
    retailers = Retailer.objects.bulk_create([Retailer(code=f"t{i}", name=f"Retailer {i}") for i in range(6)])
    stores = Store.objects.bulk_create(
        [
            Store(
                code=f"b{i:04d}",
                name=f"{retailers[i % 6].name} store {i}",
                region=regions[i % 5],
                retailer=retailers[i % 6],
                latitude=50 + rnd.random(),
                longitude=10 + rnd.random(),
            )
            for i in range(max(20, int(500 * min(scale * 4, 1))))
        ]
    )
    products = []
    for c in range(4):
        category = Category.objects.create(name=f"Category {c}")
        for b in range(3):
            brand = Brand.objects.create(
                name=f"Brand {c}-{b}",
                is_own=b == 0,
                share_of_shelf_target=Decimal("0.40") if b == 0 else None,
            )
            products += [
                Product(
                    sku=f"sku-{c}-{b}-{k}",
                    name=f"Product {c}-{b}-{k}",
                    brand=brand,
                    category=category,
                    pack_size="500 g",
                )
                for k in range(10)
            ]
    products = Product.objects.bulk_create(products)
    today = timezone.localdate()
    everywhere = StoreGroup.objects.create(name="All bench stores")
    everywhere.stores.add(*stores)
    planograms = [
        Planogram.objects.create(name=f"Bay {c}", category=category, store_group=everywhere,
                                 effective_from=today - timedelta(days=400))
        for c, category in enumerate(Category.objects.order_by("pk"))
    ]
    for n in range(20):
        start = today - timedelta(days=rnd.randint(10, 330))
        brand = Brand.objects.filter(is_own=True)[n % 4]
        campaign = Campaign.objects.create(
            name=f"Campaign {n}", brand=brand, starts_on=start, ends_on=start + timedelta(days=28)
        )
        chosen = rnd.sample(stores, min(25, len(stores)))
        campaign.stores.add(*chosen)
        campaign.products.add(*[p for p in products if p.brand_id == brand.pk][:5])
        PaidPlacement.objects.bulk_create(
            [
                PaidPlacement(
                    campaign=campaign,
                    store=s,
                    display_type="end_cap",
                    starts_on=start,
                    ends_on=start + timedelta(days=28),
                    fee=Decimal("400"),
                )
                for s in chosen
            ]
        )
    visits = int(PHOTOS_AT_SCALE_1 * scale / PHOTOS_PER_VISIT)
    return {
        "visits": visits,
        "photos": visits * PHOTOS_PER_VISIT,
        "per_visit": PHOTOS_PER_VISIT,
        "per_photo": DETECTIONS_PER_PHOTO,
        "skus_per_visit": SKUS_PER_VISIT,
        "rep_min": min(r.pk for r in reps),
        "rep_n": len(reps),
        "store_min": min(s.pk for s in stores),
        "store_n": len(stores),
        "product_min": min(p.pk for p in products),
        "planogram_min": min(p.pk for p in planograms),
        "product_n": len(products),
    }


def sql_steps(p: dict[str, int]) -> list[tuple[str, str, dict]]:
    """The big tables, generated in PostgreSQL. Ids are explicit so rows can point at each other."""
    steps = [
        (
            f"{p['visits']:,} visits over a year (ids in time order, as in production)",
            """
            INSERT INTO visits_visit (id, public_id, rep_id, store_id, started_at, status, client_visit_id,
                                      local_date, last_activity_at)
            SELECT g, gen_random_uuid(), %(rep_min)s + (g %% %(rep_n)s), %(store_min)s + ((g * 7919) %% %(store_n)s),
                   t.at, 'closed', '', (t.at AT TIME ZONE 'UTC')::date, t.at
            FROM generate_series(1, %(visits)s) g, LATERAL (SELECT now() - (%(visits)s - g) * interval '365 days'
                 / %(visits)s - random() * interval '3 hours' AS at) t""",
            {},
        ),
        (
            f"{p['photos']:,} photos",
            """
            INSERT INTO visits_photo (id, public_id, visit_id, uploaded_by_id, client_upload_id, original,
                content_type, file_ext, size_bytes, sha256, width, height, evidence_image, exif_device,
                exif_software, exif_orientation, status, status_reason, attempts, uploaded_at, queued_at,
                finished_at)
            SELECT g, gen_random_uuid(), v.id, v.rep_id, 'bench-' || g, 'photos/bench/' || g || '.jpg',
                   'image/jpeg', 'jpg', 2000000, md5(g::text) || md5((g + 1)::text), 3000, 4000, '', '', '', 1,
                   'done', '', 1, v.started_at + interval '5 minutes', v.started_at + interval '5 minutes',
                   v.started_at + interval '6 minutes'
            FROM generate_series(1, %(photos)s) g JOIN visits_visit v ON v.id = (g - 1) / %(per_visit)s + 1""",
            {},
        ),
        (
            "one current detection run per photo",
            """
            INSERT INTO analysis_detectionrun (id, photo_id, detector_sha256, catalog_version, quality_ok,
                quality_reasons, quality_metrics, rows, gaps, timings_ms, facing_count, is_current, created_at)
            SELECT g, g, repeat('ab', 32), '', true, '[]', '{}', '[]',
                   '[{"row": 1, "x1": 100, "y1": 100, "x2": 300, "y2": 700, "width_in_facings": 2}]', '{}',
                   %(per_photo)s, true, now()
            FROM generate_series(1, %(photos)s) g""",
            {},
        ),
    ]
    total = p["photos"] * p["per_photo"]
    for lo in range(1, total + 1, DETECTION_CHUNK):
        hi = min(total, lo + DETECTION_CHUNK - 1)
        steps.append(
            (
                f"detections {lo:,}–{hi:,} of {total:,}",
                """
            INSERT INTO analysis_detection (run_id, x1, y1, x2, y2, confidence, product_id, sku_confidence,
                                            shelf_level)
            SELECT (g - 1) / %(per_photo)s + 1, ((g - 1) %% 20) * 150, (((g - 1) / 20) %% 5) * 800,
                   ((g - 1) %% 20) * 150 + 140, (((g - 1) / 20) %% 5) * 800 + 760, 0.5 + random() * 0.5,
                   CASE WHEN g %% 10 = 0 THEN NULL ELSE %(product_min)s + ((g * 31) %% %(product_n)s) END,
                   random(), ((g - 1) / 20) %% 5 + 1
            FROM generate_series(%(lo)s, %(hi)s) g""",
                {"lo": lo, "hi": hi},
            )
        )
    deduction = (
        '[{"code": "facings_short", "sku": "sku-0-0-1", "points": 8, '
        '"message": "Add 2 facings of Product 0-0-1 500 g on shelf 2"}]'
    )
    steps += [
        (
            "visit scores (and a rescored, superseded one for every tenth visit)",
            f"""
            INSERT INTO compliance_complianceresult (scope, visit_id, planogram_id, planogram_version,
                detector_sha256, score, confidence, deductions, facings_by_sku, share_of_shelf, report, is_current,
                created_at)
            SELECT 'visit', v.id, %(planogram_min)s + v.id %% 4, 1, repeat('ab', 32),
                   round((35 + random() * 65)::numeric, 1), 0.8, '{deduction}', '{{}}',
                   jsonb_build_object('basis', 'facings', 'brands', (
                       SELECT jsonb_agg(jsonb_build_object('brand', 'Brand ' || v.id %% 4 || '-' || b,
                                                           'facings', n, 'width_mm', n * 80))
                       FROM (SELECT b, floor(random() * 20)::int + v.id * 0 AS n
                             FROM generate_series(0, 2) b) brands)),
                   '{{}}', c.cur, v.started_at + interval '1 hour'
            FROM visits_visit v CROSS JOIN (VALUES (true), (false)) c(cur)
            WHERE c.cur OR v.id %% 10 = 0""",
            {},
        ),
        (
            "photo scores",
            f"""
            INSERT INTO compliance_complianceresult (scope, visit_id, photo_id, detection_run_id, planogram_version,
                detector_sha256, score, confidence, deductions, facings_by_sku, share_of_shelf, report, is_current,
                created_at)
            SELECT 'photo', p.visit_id, p.id, p.id, 0, repeat('ab', 32), round((35 + random() * 65)::numeric, 1),
                   0.8, '{deduction}', '{{}}', '{{}}', '{{}}', true, p.finished_at
            FROM visits_photo p""",
            {},
        ),
        (
            f"SKU observations ({p['skus_per_visit']} per visit)",
            """
            INSERT INTO compliance_skuobservation (store_id, product_id, visit_id, observed_on, facings,
                                                   expected_facings, out_of_stock)
            SELECT store_id, product_id, visit_id, observed_on, facings, 3, facings = 0
            FROM (SELECT v.store_id, %(product_min)s + ((v.id * 7 + k) %% %(product_n)s) AS product_id,
                         v.id AS visit_id, v.started_at::date AS observed_on,
                         greatest(0, floor(random() * 13)::int - 1) AS facings
                  FROM visits_visit v CROSS JOIN generate_series(0, %(skus_per_visit)s - 1) k) o""",
            {},
        ),
        (
            "placement checks for visits in a placement's period",
            """
            INSERT INTO claims_placementcheck (placement_id, visit_id, checked_on, verdict, reasons, evidence_weight,
                                               detector_sha256, is_current, created_at)
            SELECT pp.id, v.id, v.started_at::date,
                   (ARRAY['executed', 'executed', 'partly_executed', 'not_executed',
                          'insufficient_evidence'])[1 + floor(random() * 5)::int],
                   '["bench"]', 1.0, '', true, now()
            FROM claims_paidplacement pp
            JOIN visits_visit v ON v.store_id = pp.store_id
             AND v.started_at::date BETWEEN pp.starts_on AND pp.ends_on""",
            {},
        ),
    ]
    return steps


def counts() -> dict[str, int]:
    from django.db import connection

    from shelfai.compliance.models import SkuObservation
    from shelfai.detection.models import Detection
    from shelfai.visits.models import Photo, Visit

    with connection.cursor() as cursor:
        # Estimated count for the 10M table: an exact count() would take seconds and prove nothing.
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [Detection._meta.db_table]
        )
        detections = cursor.fetchone()[0]
    return {
        "visits": Visit.objects.count(),
        "photos": Photo.objects.count(),
        "detections (est.)": detections,
        "SKU observations": SkuObservation.objects.count(),
    }


def pages() -> list[tuple[str, str]]:
    from shelfai.claims.models import Campaign
    from shelfai.compliance.models import ComplianceResult
    from shelfai.stores.models import Brand, Product, Region, Store

    result = (
        ComplianceResult.objects.filter(scope="photo", is_current=True)
        .select_related("photo", "visit")
        .last()
    )
    region, brand = Region.objects.first(), Brand.objects.filter(is_own=True).first()
    product, store = Product.objects.first(), Store.objects.order_by("pk")[7]
    campaign = Campaign.objects.order_by("pk").first()
    a = "/analytics"
    return [
        ("dashboard, last 90 days", f"{a}/"),
        ("dashboard, 365 days", f"{a}/?date_from=2000-01-01"),
        ("dashboard, region", f"{a}/?region={region.code}"),
        ("dashboard, brand", f"{a}/?brand={brand.pk}"),
        ("dashboard, SKU", f"{a}/?sku={product.sku}"),
        ("dashboard, campaign", f"{a}/?campaign={campaign.pk}"),
        ("visits, newest first", f"{a}/visits/"),
        ("visits, worst first", f"{a}/visits/?order=worst"),
        ("visits, one store", f"{a}/visits/?store={store.code}&order=worst"),
        ("visits, SKU out of stock", f"{a}/visits/?oos={product.sku}"),
        ("visit detail", f"{a}/visits/{result.visit.public_id}/"),
        ("photo with 100 boxes", f"{a}/photos/{result.photo.public_id}/"),
        ("placement checks", f"{a}/placements/"),
        ("campaign report", f"{a}/campaigns/{campaign.pk}/report/"),
        ("export worst stores CSV", f"{a}/?export=worst_stores&format=csv"),
    ]


def time_pages(runs: int) -> list[tuple[str, float, float]]:
    from django.test import Client

    from shelfai.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="bench-marketing"))
    rows = []
    for label, url in pages():
        timings = []
        for i in range(runs + 2):
            start = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - start) * 1000
            if response.status_code != 200:
                raise SystemExit(
                    f"{url} answered {response.status_code}: the bench data or the URLs are wrong."
                )
            if i >= 2:  # two warm-ups: first-request imports and cold caches are not page speed
                timings.append(elapsed)
        timings.sort()
        p95 = timings[min(len(timings) - 1, int(round(0.95 * len(timings))) - 1)]
        rows.append((label, statistics.median(timings), p95))
        print(f"  {label:<28} p50 {statistics.median(timings):7.1f} ms   p95 {p95:7.1f} ms", flush=True)
    return rows


def main() -> None:
    args = parse_args()
    server = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    if not args.reuse:
        create_database(server, args.db)
    setup_django(server, args.db)
    if not args.reuse:
        print(f"Filling {args.db} at scale {args.scale}:")
        fill(args.scale)
    else:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from analytics.models import StoreDay

        if not StoreDay.objects.exists():
            build_summaries()
    time_incremental_refresh()
    print("Rows:", ", ".join(f"{k} {v:,}" for k, v in counts().items()))
    print(f"Timing each page {args.runs} times (target p95 ≤ {TARGET_P95_MS:.0f} ms):")
    rows = time_pages(args.runs)
    slow = [label for label, _, p95 in rows if p95 > TARGET_P95_MS]
    print("All pages within target." if not slow else f"Over target: {', '.join(slow)}")


if __name__ == "__main__":
    main()
