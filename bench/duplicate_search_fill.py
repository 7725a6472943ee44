"""Database side of bench/duplicate_search.py: create, migrate and fill ``shelfai_dupbench`` fast.

Originals go through the real indexing code; the filler (the other ~999,800 photos and their 56M band
rows) is written with binary COPY from numpy arrays and one ``INSERT ... SELECT``, with the secondary
indexes dropped while loading and rebuilt from the definitions the migrations created, then
``VACUUM ANALYZE`` (index-only scans need the visibility map it sets). See that module's docstring
for why the filler hashes look the way they do.
"""

from __future__ import annotations

import hashlib
import sys
import time
from urllib.parse import urlparse

import numpy as np
from near_duplicates import jpeg_bytes

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
    from django.db import connection

    from shelfai.authenticity import imagehash
    from shelfai.visits.authenticity_services import _index
    from shelfai.visits.models import Photo

    windows = []
    for name, image in originals:
        data = jpeg_bytes(image)
        hashes = imagehash.image_hashes(data)
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
