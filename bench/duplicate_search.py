"""Near-duplicate search time with 1,000,000 stored photos in PostgreSQL (target: < 50 ms per photo).

    nice -n 10 .venv/bin/python bench/duplicate_search.py                  # fill once (~15 min), then time
    nice -n 10 .venv/bin/python bench/duplicate_search.py                  # re-run: reuses the filled database
    nice -n 10 .venv/bin/python bench/duplicate_search.py --count 10000    # 1 %: measures the insert rate
    nice -n 10 .venv/bin/python bench/duplicate_search.py --refill         # drop and fill again

Database ``shelfai_dupbench`` (``--database-url``; the name must contain "dupbench", because a refill
drops it): created, migrated with ``manage.py migrate``, then filled unless it already holds
``--count`` photos. The times are those of the real lookup, ``_near_duplicate`` in
``shelfai.visits.authenticity_services`` (its ORM queries through the (band, value) index, the hit
count, the Hamming prefilter and the pixel check), not of a model of it.

**Which photos are stored.** SKU-110K shelf photos (``$SHELFAI_SHARED_DATA/sku110k_dev``, generated
shelves from ``shelfai.vision.synthetic`` when absent) are split in two: the *originals* are stored
through the real indexing code (``_index``: 56 band rows and a fingerprint each); 50 others are kept
back as *new* photos to query. The rest of the 1,000,000 are filler rows written with COPY.

**Why the filler hashes are not random.** A lookup reads every stored row that shares one of its
~20-70 exact (band, value) keys, so its cost is set by how often real hashes collide. Random 64-bit
hashes almost never share a 16-bit band with a query (1M x 56 rows / 65,536 values = ~850 rows per
key, spread evenly), while shelf photos do: shelves are horizontal stripes, and the same shelf is
photographed every week. Each filler photo therefore takes the 14 window hashes of a randomly chosen
original and flips 6-24 random bits of each (the same count for all windows of the photo, different
bits per window): a different photo of a similar or the same shelf. At 1M photos that gives every
original ~4,700 relatives of which ~1/3 lie within the match distance (12 bits), which is pessimistic
(a real shelf gets perhaps 50-500 photos in a year); the new photos query the same distribution
without having relatives. Filler rows have no fingerprint, so no pixel check runs for them: the
bench prints how many such close candidates each lookup found, i.e. how many pixel checks a
database full of real fingerprints would have cost.

Queries: transformed copies of originals (resize 50 %, 10 % crops, JPEG q60, brightness +-20 %, and
all at once; from ``bench/near_duplicates.py``) and the new photos. Printed: the query hashing time
(separately), p50/p95/max ms per lookup with its parts (SQL, pixel check), rows read per lookup,
the share of copies caught, and EXPLAIN (ANALYZE, BUFFERS) of one lookup's main query.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from near_duplicates import generated_photos, jpeg_bytes, real_photos, transformed_copies  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/shelfai_dupbench"
TARGET_MS = 50.0
NEW_PHOTOS = 50


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DUPBENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--count", type=int, default=1_000_000, help="stored photos (originals + filler)")
    parser.add_argument("--refill", action="store_true", help="drop the database and fill it again")
    parser.add_argument("--copies", type=int, default=50, help="transformed copies to look up")
    parser.add_argument("--batch", type=int, default=20_000, help="filler photos per COPY batch")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shelfai.settings")
    os.environ.setdefault("SHELFAI_VAR_DIR", "/tmp/shelfai-dupbench-var")
    import django

    django.setup()


def renice_backend(niceness: int = 10) -> None:
    """The fill's work happens in the PostgreSQL backend, not in this process: be nice there too."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    subprocess.run(["renice", "-n", str(niceness), "-p", str(pid)], capture_output=True, check=False)


def split_photos(seed: int) -> tuple[list[tuple[str, object]], list[tuple[str, object]], str]:
    """(name, PIL image) of the originals to store and of the new photos kept back for queries."""
    images = real_photos(10_000)
    source = "SKU-110K shelf photos"
    if len(images) < NEW_PHOTOS * 2:
        print("(no shared data found: using generated shelves; set SHELFAI_SHARED_DATA for real photos)")
        images = generated_photos(layouts=NEW_PHOTOS + 60, seeds=1)[0]
        source = "generated shelves"
    named = [(f"photo-{i:04d}", image) for i, image in enumerate(images)]
    random.Random(seed).shuffle(named)
    return named[NEW_PHOTOS:], named[:NEW_PHOTOS], source


# --- filling -------------------------------------------------------------------------------------

N_WINDOWS = 14  # len(imagehash.WINDOWS): window hashes per photo, 4 band rows each
FLIP_BITS = (6, 24)  # bits flipped per filler window hash, inclusive
MARKER_TABLE = "dupbench_fill"  # written last: a fill that was interrupted is never reused
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # binary COPY signature, flags 0, no extension
COPY_TRAILER = b"\xff\xff"
PG_EPOCH_US = 946_684_800 * 1_000_000  # binary timestamptz counts microseconds from 2000-01-01 UTC
YEAR_US = 365 * 86_400 * 1_000_000


def _row_dtype(fields: list[tuple[str, str]]) -> np.dtype:
    """A COPY BINARY tuple as a packed numpy record: field count, then (length, value) per field."""
    spec = [("nfields", ">i2")]
    for name, kind in fields:
        spec += [(f"{name}_len", ">i4"), (name, kind)]
    return np.dtype(spec)


BAND_ROW = _row_dtype([("id", ">i8"), ("photo_id", ">i8"), ("window", ">i2"), ("band", ">i2"),
                       ("value", ">i4"), ("hash", ">i8")])
PHOTO_ROW = _row_dtype([("id", ">i8"), ("phash", ">i8"), ("uploaded_at", ">i8")])


def _records(dtype: np.dtype, n: int, **columns: np.ndarray) -> np.ndarray:
    rows = np.empty(n, dtype=dtype)
    rows["nfields"] = len(columns)
    for name, values in columns.items():
        rows[f"{name}_len"] = dtype[name].itemsize
        rows[name] = values
    return rows


def _copy(sql: str, rows: np.ndarray) -> None:
    from django.db import connection

    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        copy.write(COPY_HEADER)
        copy.write(rows.tobytes())
        copy.write(COPY_TRAILER)


def step(label: str):
    """Print what is being done and how long it took."""

    class Timer:
        def __enter__(self):
            print(f"  {label}...", end="", flush=True)
            self.start = time.perf_counter()

        def __exit__(self, *exc):
            print(f" {time.perf_counter() - self.start:.1f} s", flush=True)

    return Timer()


def prepare_database(url: str, count: int, seed: int, *, refill: bool) -> bool:
    """True when the database had to be (re)created and must be filled; False when it can be reused."""
    import psycopg
    from psycopg import sql

    try:
        with psycopg.connect(url) as conn:
            row = conn.execute(f"SELECT photos, seed FROM {MARKER_TABLE}").fetchone()
        if row == (count, seed) and not refill:
            return False
    except (psycopg.OperationalError, psycopg.errors.UndefinedTable):
        pass  # no database yet, or a fill that never finished
    name = urlparse(url).path.lstrip("/")
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"database {name} created")
    return True


def store_originals(originals: list, user, visit) -> np.ndarray:
    """Originals through the real code (``_index``): band rows and fingerprints. Their window hashes."""
    import hashlib

    from django.db import connection

    from shelfai.compliance import authenticity as auth
    from shelfai.visits.authenticity_services import _index
    from shelfai.visits.models import Photo

    windows = []
    for name, image in originals:
        data = jpeg_bytes(image)
        hashes = auth.image_hashes(data)
        photo = Photo.objects.create(
            visit=visit, uploaded_by=user, client_upload_id=f"orig-{name}", original=f"photos/dupbench/{name}.jpg",
            content_type="image/jpeg", file_ext="jpg", size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
            width=image.width, height=image.height, status=Photo.Status.DONE, has_exif=True,
        )
        _index(photo, hashes)
        windows.append(hashes.windows)
    with connection.cursor() as cursor:  # spread over the year like everything else
        cursor.execute("UPDATE visits_photo SET uploaded_at = now() - random() * interval '365 days'")
    return np.array(windows, dtype=np.uint64)


def filler_hashes(base: np.ndarray, n: int, rng: np.random.Generator, batch: int = 10_000) -> np.ndarray:
    """(n, 14) window hashes: a random original's, each with FLIP_BITS random bits flipped."""
    out = np.empty((n, N_WINDOWS), dtype=np.uint64)
    for start in range(0, n, batch):
        m = min(batch, n - start)
        which = rng.integers(0, len(base), m)
        flips = rng.integers(FLIP_BITS[0], FLIP_BITS[1] + 1, m)
        keys = rng.random((m, N_WINDOWS, 64), dtype=np.float32)
        kth = np.take_along_axis(np.sort(keys, axis=2), np.broadcast_to((flips - 1)[:, None, None],
                                                                         (m, N_WINDOWS, 1)), axis=2)
        masks = np.packbits(keys <= kth, axis=2).view(">u8")[..., 0].astype(np.uint64)
        out[start : start + m] = base[which] ^ masks
    return out


def secondary_indexes(cursor) -> list[tuple[str, str, str, str | None]]:
    """(table, index, CREATE INDEX statement, unique-constraint name) as the migrations made them."""
    cursor.execute("""
        SELECT t.relname, i.relname, pg_get_indexdef(i.oid), c.conname
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid AND c.contype = 'u'
        WHERE t.relname IN ('visits_photo', 'visits_photohashband') AND NOT x.indisprimary
        ORDER BY t.relname, i.relname""")
    return cursor.fetchall()


def copy_filler(cursor, windows: np.ndarray, first_photo: int, first_band: int, batch: int, rng,
                owner: dict[str, int]) -> None:
    n = len(windows)
    now_us = time.time_ns() // 1000 - PG_EPOCH_US - 3_600_000_000  # an hour before the query photo
    uploaded = np.sort(rng.integers(now_us - YEAR_US, now_us, n))  # ids grow with time, as in production
    ids = np.arange(first_photo, first_photo + n, dtype=np.int64)
    with step(f"{n:,} filler photos (COPY of id/phash/time, then INSERT ... SELECT)"):
        cursor.execute("CREATE TEMP TABLE dupbench_filler (id bigint, phash bigint, uploaded_at timestamptz)")
        _copy("COPY dupbench_filler FROM STDIN (FORMAT BINARY)",
              _records(PHOTO_ROW, n, id=ids, phash=windows[:, 0].view(np.int64), uploaded_at=uploaded))
        cursor.execute(FILLER_PHOTO_SQL, owner)
        cursor.execute("DROP TABLE dupbench_filler")
    per_photo = N_WINDOWS * 4
    window_of = np.tile(np.repeat(np.arange(N_WINDOWS, dtype=np.int16), 4), batch)
    band_of = np.tile(np.arange(4, dtype=np.int16), batch * N_WINDOWS)
    shift = (48 - 16 * band_of).astype(np.uint64)
    start_time = time.perf_counter()
    for start in range(0, n, batch):
        m = min(batch, n - start)
        rows = m * per_photo
        hashes = np.repeat(windows[start : start + m].reshape(-1), 4)
        _copy('COPY visits_photohashband (id, photo_id, "window", band, value, hash) FROM STDIN (FORMAT BINARY)',
              _records(BAND_ROW, rows, id=np.arange(first_band, first_band + rows, dtype=np.int64),
                       photo_id=np.repeat(ids[start : start + m], per_photo), window=window_of[:rows],
                       band=band_of[:rows], value=((hashes >> shift[:rows]) & np.uint64(0xFFFF)).astype(np.int32),
                       hash=hashes.view(np.int64)))
        first_band += rows
        done = start + m
        elapsed = time.perf_counter() - start_time
        if done == n or (start // batch) % 5 == 4:
            print(f"  band rows: {done * per_photo:>11,} of {n * per_photo:,} "
                  f"({done * per_photo / elapsed:,.0f} rows/s, {elapsed:.0f} s)", flush=True)


FILLER_PHOTO_SQL = """
    INSERT INTO visits_photo (
        id, public_id, client_upload_id, original, content_type, file_ext, size_bytes, sha256, width, height,
        evidence_image, exif_taken_at, exif_latitude, exif_longitude, exif_device, exif_software,
        exif_orientation, phash, status, status_reason, attempts, uploaded_at, queued_at,
        processing_started_at, analyzed_at, finished_at, uploaded_by_id, visit_id, authenticity_checked_at,
        fingerprint, has_exif)
    SELECT id, gen_random_uuid(), 'filler-' || id, 'photos/dupbench/filler-' || id || '.jpg', 'image/jpeg',
        'jpg', 1500000 + id %% 1500000, encode(sha256(('filler-' || id)::bytea), 'hex'), 4032, 3024,
        '', uploaded_at - interval '3 minutes', 52.52 + (id %% 1000) / 1e5, 13.40 + (id %% 997) / 1e5,
        'Apple iPhone 15', '', 1, phash, 'done', '', 1, uploaded_at, uploaded_at,
        uploaded_at + interval '2 seconds', uploaded_at + interval '9 seconds', uploaded_at + interval '10 seconds',
        %(user)s, %(visit)s, uploaded_at + interval '10 seconds', NULL, true
    FROM dupbench_filler ORDER BY id"""


def fill(originals: list, count: int, seed: int, batch: int) -> None:
    from django.db import connection

    from shelfai.accounts.models import User
    from shelfai.stores.models import Region, Retailer, Store
    from shelfai.visits.models import Visit

    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    print(f"filling {count:,} photos and {count * N_WINDOWS * 4:,} band rows")
    with step(f"{len(originals)} originals through the real indexing code"):
        user = User.objects.create_user("dupbench-rep", password=None)
        store = Store.objects.create(
            code="dupbench", name="Bench store", latitude=52.52, longitude=13.405,
            region=Region.objects.create(code="dupbench", name="Bench region"),
            retailer=Retailer.objects.create(code="dupbench", name="Bench retailer"),
        )
        visit = Visit.objects.create(rep=user, store=store)
        base = store_originals(originals, user, visit)
    with step("filler window hashes (numpy)"):
        windows = filler_hashes(base, count - len(originals), rng)
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SET max_parallel_maintenance_workers = 0")  # 2 shared cores: one is plenty
        indexes = secondary_indexes(cursor)
        with step(f"dropping {len(indexes)} secondary indexes while loading"):
            for table, index, _, constraint in indexes:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {constraint}" if constraint
                               else f"DROP INDEX {index}")
        cursor.execute("SET session_replication_role = replica")  # no FK triggers: rows consistent by construction
        cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM visits_photohashband")
        first_band = cursor.fetchone()[0]
        copy_filler(cursor, windows, len(originals) + 1, first_band, batch, rng, {"user": user.pk, "visit": visit.pk})
        cursor.execute("SET session_replication_role = DEFAULT")
        for table, index, definition, constraint in indexes:
            with step(f"index {index} on {table}"):
                cursor.execute(definition)
                if constraint:
                    cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {constraint} UNIQUE USING INDEX {index}")
        if secondary_indexes(cursor) != indexes:
            sys.exit("The rebuilt indexes differ from the migrated ones; run again with --refill")
        for table in ("visits_photo", "visits_photohashband"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        for table in ("visits_photo", "visits_photohashband"):
            with step(f"VACUUM ANALYZE {table}"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute(f"CREATE TABLE {MARKER_TABLE} (photos integer, seed integer, filled_at timestamptz)")
        cursor.execute(f"INSERT INTO {MARKER_TABLE} VALUES (%s, %s, now())", [count, seed])
    print(f"  fill done in {time.perf_counter() - started:.0f} s")


def print_sizes() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT c.relname, c.reltuples::bigint, pg_size_pretty(pg_relation_size(c.oid))
            FROM pg_class c JOIN pg_class t ON t.oid = coalesce(
                (SELECT indrelid FROM pg_index WHERE indexrelid = c.oid), c.oid)
            WHERE t.relname IN ('visits_photo', 'visits_photohashband')
            ORDER BY t.relname, c.relkind DESC, c.relname""")
        for name, rows, size in cursor.fetchall():
            print(f"  {name:45s} {rows:>12,} rows {size:>10s}")


def make_query_photo():
    """The photo being checked: a stored row uploaded after everything else, with no band rows."""
    from shelfai.visits.models import Photo

    template = Photo.objects.filter(client_upload_id__startswith="orig-").first()
    photo, _ = Photo.objects.get_or_create(
        uploaded_by_id=template.uploaded_by_id, client_upload_id="dupbench-query",
        defaults=dict(visit_id=template.visit_id, original="photos/dupbench/query.jpg", content_type="image/jpeg",
                      file_ext="jpg", size_bytes=1, sha256="0" * 64, width=1, height=1),
    )
    return photo


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


class QueryLog:
    """Django execute wrapper: wall time and row count of every query a lookup runs."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, tuple, float, int]] = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        result = execute(sql, params, many, context)
        rows = context["cursor"].rowcount
        self.queries.append((sql, tuple(params or ()), (time.perf_counter() - start) * 1000, rows))
        return result


def timed_lookup(query_photo, hashes) -> dict:
    """One real ``_near_duplicate`` call, with its SQL and pixel-check time taken apart."""
    from django.db import connection

    from shelfai.compliance import authenticity as auth
    from shelfai.visits import authenticity_services as services

    seen = {"pixel_ms": 0.0, "pixel_checks": 0, "close": 0}
    real_compare, real_distance = auth.compare, services.hash_distance

    def counted_compare(*args, **kwargs):
        start = time.perf_counter()
        try:
            return real_compare(*args, **kwargs)
        finally:
            seen["pixel_ms"] += (time.perf_counter() - start) * 1000
            seen["pixel_checks"] += 1

    def counted_distance(*args, **kwargs):
        distance = real_distance(*args, **kwargs)
        seen["close"] += distance <= auth.MATCH_DISTANCE
        return distance

    log = QueryLog()
    auth.compare, services.hash_distance = counted_compare, counted_distance
    try:
        with connection.execute_wrapper(log):
            start = time.perf_counter()
            found = services._near_duplicate(query_photo, hashes)
            total = (time.perf_counter() - start) * 1000
    finally:
        auth.compare, services.hash_distance = real_compare, real_distance
    return {**seen, "found": found, "ms": total, "sql_ms": sum(q[2] for q in log.queries),
            "search_ms": total - seen["pixel_ms"], "queries": log.queries, "rows": matching_rows(query_photo, hashes)}


def matching_rows(query_photo, hashes) -> int:
    """Index rows the lookup's keys match (counted apart, not timed): the work an index must do."""
    from django.db import connection

    from shelfai.visits.authenticity_services import _key_groups

    branches, params = [], []
    for band, values, whole_frame_only in _key_groups(hashes):
        placeholders = ", ".join(["%s"] * len(values))
        branches.append(f"SELECT 1 FROM visits_photohashband WHERE band = %s AND value IN ({placeholders})"
                        + (' AND "window" = 0' if whole_frame_only else "") + " AND photo_id <> %s")
        params += [band, *values, query_photo.pk]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({' UNION ALL '.join(branches)}) matched", params)
        return cursor.fetchone()[0]


def print_table(title: str, results: list[dict]) -> None:
    if not results:
        return
    ms = [r["ms"] for r in results]
    search = [r["search_ms"] for r in results]
    sql = [r["sql_ms"] for r in results]
    rows = [r["rows"] for r in results]
    close = [r["close"] for r in results]
    print(f"\n{title} ({len(results)} lookups)")
    print(f"  {'':30s} {'p50':>9s} {'p95':>9s} {'max':>9s}")
    for label, values in (("lookup, ms (all of it)", ms), ("  without the pixel check, ms", search),
                          ("  of which SQL, ms", sql), ("index rows matching the keys", rows),
                          ("candidates within 12 bits", close)):
        print(f"  {label:30s} {percentile(values, 50):9.1f} {percentile(values, 95):9.1f} {max(values):9.1f}")
    pixel = [r["pixel_ms"] / r["pixel_checks"] for r in results if r["pixel_checks"]]
    if pixel:
        print(f"  pixel check: {len(pixel)} lookups ran one, median {np.median(pixel):.1f} ms per candidate")


def explain(sql: str, params: tuple) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of one lookup query, with the long list of key scans folded."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        lines = [row[0] for row in cursor.fetchall()]
    print("\nEXPLAIN (ANALYZE, BUFFERS) of the hit query of one lookup (a transformed copy):")
    print(f"  {sql[:300]}{' ...' if len(sql) > 300 else ''}")
    shown_scans = 0
    folded = 0
    skip_detail = False
    for line in lines:
        is_scan = "Bitmap Index Scan" in line or "Index Only Scan" in line and "->" in line
        if is_scan:
            shown_scans += 1
            skip_detail = shown_scans > 2
            folded += skip_detail
        if skip_detail and (is_scan or line.lstrip().startswith(("Index Cond", "Buffers", "Heap Fetches"))):
            continue
        print("  " + (line if len(line) <= 150 else line[:150] + f" ... ({len(line)} chars)"))
    if folded:
        print(f"  ... and {folded} more index scans like the first two (one per key)")


def run_lookups(args, originals, new_photos, query_photo) -> None:
    from shelfai.compliance import authenticity as auth
    from shelfai.visits.models import Photo

    pk_of = dict(Photo.objects.filter(client_upload_id__startswith="orig-").values_list("client_upload_id", "pk"))
    rng = random.Random(args.seed + 1)
    chosen = rng.sample(originals, min(args.copies, len(originals)))
    queries = []  # (kind, expected pk or None, jpeg bytes)
    for i, (name, image) in enumerate(chosen):
        copies = transformed_copies(image, rng)
        kind = list(copies)[i % len(copies)]
        queries.append((kind, pk_of[f"orig-{name}"], copies[kind]))
    queries += [("new photo", None, jpeg_bytes(image)) for _, image in new_photos]

    print(f"\nhashing {len(queries)} query images (not part of the lookup time)...", flush=True)
    hashed, hash_ms = [], []
    for kind, expected, data in queries:
        start = time.perf_counter()
        hashes = auth.image_hashes(data)
        hash_ms.append((time.perf_counter() - start) * 1000)
        hashed.append((kind, expected, hashes))
    print(f"  query hashing: median {np.median(hash_ms):.1f} ms, max {max(hash_ms):.1f} ms per photo")

    for _, _, hashes in hashed[:: max(1, len(hashed) // 5)][:5]:  # warm the connection and caches
        timed_lookup(query_photo, hashes)
    print(f"timing {len(hashed)} lookups (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)...",
          flush=True)
    copies, new = [], []
    for kind, expected, hashes in hashed:
        result = timed_lookup(query_photo, hashes)
        result.update(kind=kind, expected=expected)
        (copies if expected is not None else new).append(result)

    print_table("transformed copies of stored photos", copies)
    print_table("new photos (no stored copy)", new)
    every = copies + new
    p95 = percentile([r["ms"] for r in every], 95)
    p95_search = percentile([r["search_ms"] for r in every], 95)
    print(f"\nALL LOOKUPS: p50 {percentile([r['ms'] for r in every], 50):.1f} ms, p95 {p95:.1f} ms, "
          f"max {max(r['ms'] for r in every):.1f} ms; without the pixel check p95 {p95_search:.1f} ms "
          f"(target < {TARGET_MS:.0f} ms)")
    caught = [r["found"] is not None and r["found"][0].pk == r["expected"] for r in copies]
    print(f"copies caught: {sum(caught)}/{len(caught)} ({np.mean(caught):.0%})")
    for kind in dict.fromkeys(r["kind"] for r in copies):
        kinds = [c for c, r in zip(caught, copies, strict=True) if r["kind"] == kind]
        print(f"  {kind:24s} {sum(kinds)}/{len(kinds)}")
    print(f"false matches among new photos: {sum(r['found'] is not None for r in new)}/{len(new)}")
    heaviest = max(copies or every, key=lambda r: r["rows"])
    sql, params = heaviest["queries"][0][:2]
    explain(sql, params)


def main() -> None:
    args = parse_args()
    name = urlparse(args.database_url).path.lstrip("/")
    if "dupbench" not in name:
        sys.exit(f"Refusing to use database {name!r}: a refill drops it. Use a name containing 'dupbench'.")
    started = time.perf_counter()
    originals, new_photos, source = split_photos(args.seed)
    print(f"{source}: {len(originals)} originals stored, {len(new_photos)} kept back as new photos")
    fresh = prepare_database(args.database_url, args.count, args.seed, refill=args.refill)
    setup_django(args.database_url)
    from django.core.management import call_command

    renice_backend()
    with step("manage.py migrate (a new index on a filled database takes minutes)"):
        call_command("migrate", verbosity=0)
    if fresh:
        fill(originals, args.count, args.seed, args.batch)
    else:
        print(f"database {name} already holds {args.count:,} photos: reusing it (--refill to fill again)")
    print_sizes()
    query_photo = make_query_photo()
    run_lookups(args, originals, new_photos, query_photo)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
