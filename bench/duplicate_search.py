"""Near-duplicate search time with 1,000,000 stored photos in PostgreSQL (target: < 50 ms per photo).

    nice -n 10 .venv/bin/python bench/duplicate_search.py                  # fill once (~10 min), then time
    nice -n 10 .venv/bin/python bench/duplicate_search.py                  # re-run: reuses the filled database
    nice -n 10 .venv/bin/python bench/duplicate_search.py --count 10000    # 1 %: measures the insert rate
    nice -n 10 .venv/bin/python bench/duplicate_search.py --refill         # drop and fill again

Database ``shelfai_dupbench`` (``--database-url``; the name must contain "dupbench", because a refill
drops it): created, migrated with ``manage.py migrate``, then filled (``duplicate_search_fill.py``)
unless it already holds ``--count`` photos. The times are those of the real lookup,
``_near_duplicate`` in ``shelfai.visits.authenticity_services``, with every query it runs: the hit
count over the index, the uploaded_at check, the candidates' window hashes, the Hamming prefilter
and the pixel check. Not a model of it.

**Which photos are stored.** SKU-110K shelf photos (``$SHELFAI_SHARED_DATA/sku110k_dev``, generated
shelves from ``shelfai.vision.offline.synthetic`` when absent) are split in two: the *originals* are stored
through the real indexing code (``_index``: 56 band rows and a fingerprint each); 50 others are kept
back as *new* photos to query. The rest of the 1,000,000 are filler rows written with COPY.

**Why the filler hashes are not random.** Even random hashes make a lookup read ~5,800 index rows
at this size (each 16-bit band value recurs in ~214 of the 14M window rows per band and in ~15 of
the 1M whole-frame rows; a lookup has ~20 keys against any window and ~100 against whole frames:
~45 from its own windows, ~55 from its 7 turned or mirrored orientations). Real shelf photos add
what random ones cannot: relatives. The same shelf is photographed week after week, and shelves look alike, so
many stored photos share several keys with a query and lie within the match distance. Those crowd
the 50 candidates, and each would cost a pixel check. So each filler photo takes the 14 window
hashes of a randomly chosen original and flips 6-24 random bits of each (the same count for all
windows of the photo, different bits per window): another photo of a similar or the same shelf.
That gives every original ~4,700 relatives, roughly a third of them within 12 bits. This is
pessimistic: a real shelf gets perhaps 50-500 photos a year. The new photos query the same
distribution without having relatives there. Filler rows have no fingerprint, so no pixel check
runs for them; the bench prints how many close candidates each lookup found, i.e. how many pixel
checks a database of real fingerprints would have cost.

**Queries**: transformed copies of originals (resize 50 %, 10 % crops, JPEG q60, brightness +-20 %,
all at once; from ``bench/near_duplicates.py``) and the new photos, also transformed, so that each
``--query-seed`` asks for other keys than earlier runs did. Printed: the query hashing time
(separately); p50/p95/max ms per lookup, split into SQL per query and pixel check, and into time on
a CPU and time waiting for one (from /proc schedstat: the machine is shared), the first time and
again once every lookup has run (cached pages); pages read from outside PostgreSQL's buffers;
index rows the keys match; the share of copies caught; and EXPLAIN (ANALYZE, BUFFERS) with I/O
timing of the queries of a lookup no earlier one warmed up.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from duplicate_search_fill import fill, make_query_photo, prepare_database, print_sizes, step  # noqa: E402
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
    parser.add_argument("--seed", type=int, default=7, help="which photos are stored, and the filler")
    parser.add_argument("--query-seed", type=int, default=random.randrange(10_000),
                        help="which copies and transforms are looked up (default: new each run)")
    return parser.parse_args()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # settings refuse a short key
    os.environ.setdefault("INSECURE_HTTP", "1")  # loopback only, no TLS
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


def database_reads() -> tuple[int, float]:
    """(pages read from outside shared buffers, ms spent reading them) so far in this database.

    Only this bench uses the database, and a backend reports these at most once a second: wait first.
    """
    from django.db import connection

    time.sleep(1.5)
    with connection.cursor() as cursor:
        cursor.execute("SELECT blks_read, blk_read_time FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()


def scheduler_ns(pids: tuple[int, ...]) -> tuple[int, int]:
    """(ns on a CPU, ns runnable but waiting for one) of every thread of ``pids``, from /proc schedstat.

    The wait is what the other jobs on this shared machine cost a lookup; (0, 0) off Linux.
    """
    on_cpu = waiting = 0
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                run, wait, _ = (task / "schedstat").read_text().split()
            except (OSError, ValueError):
                continue
            on_cpu, waiting = on_cpu + int(run), waiting + int(wait)
    return on_cpu, waiting


def backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def timed_lookup(query_photo, variants) -> dict:
    """One real ``_near_duplicate`` call, with its SQL and pixel-check time taken apart."""
    from django.db import connection

    from shelfai.authenticity import imagehash
    from shelfai.visits import authenticity_services as services

    seen = {"pixel_ms": 0.0, "pixel_checks": 0, "close": 0}
    real_compare, real_nearest = imagehash.compare, imagehash.nearest_orientation

    def counted_compare(*args, **kwargs):
        start = time.perf_counter()
        try:
            return real_compare(*args, **kwargs)
        finally:
            seen["pixel_ms"] += (time.perf_counter() - start) * 1000
            seen["pixel_checks"] += 1

    def counted_nearest(*args, **kwargs):
        name, hashes, distance = real_nearest(*args, **kwargs)
        seen["close"] += distance <= imagehash.MATCH_DISTANCE
        return name, hashes, distance

    log = QueryLog()
    pids = (os.getpid(), backend_pid())
    imagehash.compare, imagehash.nearest_orientation = counted_compare, counted_nearest
    try:
        with connection.execute_wrapper(log):
            cpu_before = scheduler_ns(pids)
            start = time.perf_counter()
            found = services._near_duplicate(query_photo, variants)
            total = (time.perf_counter() - start) * 1000
            cpu_after = scheduler_ns(pids)
    finally:
        imagehash.compare, imagehash.nearest_orientation = real_compare, real_nearest
    return {**seen, "found": found, "ms": total, "sql_ms": sum(q[2] for q in log.queries),
            "search_ms": total - seen["pixel_ms"], "queries": log.queries, "rows": matching_rows(query_photo, variants),
            "cpu_ms": (cpu_after[0] - cpu_before[0]) / 1e6, "cpu_wait_ms": (cpu_after[1] - cpu_before[1]) / 1e6}


def matching_rows(query_photo, variants) -> int:
    """Index rows the lookup's keys match (counted apart, not timed): the work an index must do."""
    from django.db import connection

    from shelfai.visits.authenticity_services import _key_groups

    branches, params = [], []
    for band, values, whole_frame_only in _key_groups(variants):
        placeholders = ", ".join(["%s"] * len(values))
        branches.append(f"SELECT 1 FROM visits_photohashband WHERE band = %s AND value IN ({placeholders})"
                        + (' AND "window" = 0' if whole_frame_only else "") + " AND photo_id <> %s")
        params += [band, *values, query_photo.pk]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({' UNION ALL '.join(branches)}) matched", params)
        return cursor.fetchone()[0]


def query_label(sql: str) -> str:
    """What one of the lookup's queries is for, from its SQL."""
    if "UNION ALL" in sql or " OR " in sql:
        return "keys -> ranked photos"
    if '"hash"' in sql:
        return "window hashes of candidates"
    if "visits_store" in sql:
        return "close photos + fingerprints"
    return "uploaded_at of ranked photos"


def print_table(title: str, results: list[dict]) -> None:
    if not results:
        return
    ms = [r["ms"] for r in results]
    search = [r["search_ms"] for r in results]
    sql = [r["sql_ms"] for r in results]
    by_query: dict[str, list[float]] = {}
    for r in results:
        for query_sql, _, query_ms, _ in r["queries"]:
            by_query.setdefault(query_label(query_sql), []).append(query_ms)
    rows = [r["rows"] for r in results]
    close = [r["close"] for r in results]
    print(f"\n{title} ({len(results)} lookups)")
    print(f"  {'':36s} {'p50':>9s} {'p95':>9s} {'max':>9s}")
    cpu = [r["cpu_ms"] for r in results]
    cpu_wait = [r["cpu_wait_ms"] for r in results]
    for label, values in (("lookup, ms (all of it)", ms), ("  waiting for a CPU (other jobs), ms", cpu_wait),
                          ("  on a CPU (bench + backend), ms", cpu), ("  without the pixel check, ms", search),
                          ("  of which SQL, ms", sql), *((f"    {k}, ms", v) for k, v in by_query.items()),
                          ("index rows matching the keys", rows), ("candidates within 12 bits", close)):
        print(f"  {label:36s} {percentile(values, 50):9.1f} {percentile(values, 95):9.1f} {max(values):9.1f}")
    pixel = [r["pixel_ms"] / r["pixel_checks"] for r in results if r["pixel_checks"]]
    if pixel:
        print(f"  pixel check: {len(pixel)} lookups ran one, median {np.median(pixel):.1f} ms per candidate")


class PlanRecorder:
    """Execute wrapper: EXPLAIN (ANALYZE, BUFFERS) of every query, run just before the query itself."""

    def __init__(self) -> None:
        self.plans: list[tuple[str, list[str]]] = []

    def __call__(self, execute, sql, params, many, context):
        with context["connection"].connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            self.plans.append((sql, [row[0] for row in cursor.fetchall()]))
        return execute(sql, params, many, context)


def print_plan(title: str, sql: str, lines: list[str]) -> None:
    """A plan with all but the first two per-key index scans folded away."""
    print(f"\n{title}\n  {sql[:240]}{' ...' if len(sql) > 240 else ''}")
    scans, folded_at = 0, None
    for line in lines:
        indent = len(line) - len(line.lstrip())
        if folded_at is not None and indent > folded_at:
            continue
        folded_at = None
        if "->" in line and "Index" in line and "Scan" in line:
            scans += 1
            if scans > 2:
                folded_at = indent
                continue
        print("  " + (line if len(line) <= 160 else line[:160] + f" ... ({len(line)} chars)"))
    if scans > 2:
        print(f"  ... and {scans - 2} more index scans like the two above (one per group of keys)")


def explain_fresh_lookup(query_photo, image, kind: str) -> None:
    """EXPLAIN of the queries of one lookup whose pages no earlier lookup read, with I/O timing."""
    from django.db import connection

    from shelfai.authenticity import imagehash
    from shelfai.visits import authenticity_services as services

    variants = imagehash.oriented_hashes(transformed_copies(image, random.Random(0))[kind])
    recorder = PlanRecorder()
    with connection.cursor() as cursor:
        cursor.execute("SET track_io_timing = on")
    with connection.execute_wrapper(recorder):
        services._near_duplicate(query_photo, variants)
    with connection.cursor() as cursor:
        cursor.execute("RESET track_io_timing")
    print_plan(f"EXPLAIN (ANALYZE, BUFFERS) of the first query of a new lookup ({kind} of a stored photo):",
               *recorder.plans[0])
    for sql, lines in recorder.plans[1:]:
        print(f"  then: {lines[-1].strip()}, {next((x.strip() for x in lines if 'I/O' in x), 'no reads')}"
              f"  <- {sql[:90]} ...")


def stored_originals() -> dict[str, int]:
    """Name of each stored original -> its Photo pk."""
    from shelfai.visits.models import Photo

    rows = Photo.objects.filter(client_upload_id__startswith="orig-").values_list("client_upload_id", "pk")
    return {upload_id.removeprefix("orig-"): pk for upload_id, pk in rows}


def make_queries(originals, new_photos, copies: int, rng: random.Random) -> list[tuple[str, int | None, bytes]]:
    """(kind, pk of the stored original or None, JPEG bytes): transformed copies, then new photos.

    New photos get a random one of the same transforms too, so that a re-run with another
    ``--query-seed`` asks for other keys and other candidates than the run before (not cached yet).
    """
    pk_of = stored_originals()
    queries = []
    for i, (name, image) in enumerate(rng.sample(originals, min(copies, len(originals)))):
        variants = transformed_copies(image, rng)
        kind = list(variants)[i % len(variants)]
        queries.append((kind, pk_of[name], variants[kind]))
    for _, image in new_photos:
        queries.append(("new photo", None, rng.choice(list(transformed_copies(image, rng).values()))))
    return queries


def hash_queries(queries) -> list[tuple[str, int | None, object]]:
    """(kind, expected pk, the 8 orientations' hashes); prints the hashing time, which the lookup
    times leave out."""
    from shelfai.authenticity import imagehash

    hashed, hash_ms = [], []
    for kind, expected, data in queries:
        start = time.perf_counter()
        variants = imagehash.oriented_hashes(data)
        hash_ms.append((time.perf_counter() - start) * 1000)
        hashed.append((kind, expected, variants))
    print(f"hashing the query image (not part of the lookup time): median {np.median(hash_ms):.1f} ms, "
          f"max {max(hash_ms):.1f} ms per photo")
    return hashed


def time_lookups(query_photo, hashed) -> tuple[list[dict], list[dict], list[tuple[int, float]]]:
    """Every lookup once, then all of them again; with the database's page reads before, between, after."""
    from django.db import connection

    print(f"timing {len(hashed)} lookups, then all of them again (load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores; this process and its PostgreSQL backend run at nice 10)...", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SET track_io_timing = on")  # superuser only; the bench connects as one
    reads = [database_reads()]
    first = []
    for kind, expected, variants in hashed:
        first.append({**timed_lookup(query_photo, variants), "kind": kind, "expected": expected})
    reads.append(database_reads())
    again = [timed_lookup(query_photo, variants) for _, _, variants in hashed]
    reads.append(database_reads())
    return first, again, reads


def print_results(first: list[dict], again: list[dict], reads: list[tuple[int, float]]) -> None:
    copies = [r for r in first if r["expected"] is not None]
    new = [r for r in first if r["expected"] is None]
    print_table("transformed copies of stored photos, first lookup", copies)
    print_table("new photos (no stored copy), first lookup", new)
    print_table("the same lookups again, after all had run once (their pages now cached)", again)
    print("pages read from outside PostgreSQL's shared buffers (from the OS cache or the disk), per lookup:")
    for label, before, after in (("first time", reads[0], reads[1]), ("again", reads[1], reads[2])):
        print(f"  {label:10s}: {(after[0] - before[0]) / len(first):6.0f} pages, "
              f"{(after[1] - before[1]) / len(first):6.1f} ms waiting for them")
    print(f"\nALL FIRST LOOKUPS: p50 {percentile([r['ms'] for r in first], 50):.1f} ms, "
          f"p95 {percentile([r['ms'] for r in first], 95):.1f} ms, max {max(r['ms'] for r in first):.1f} ms; "
          f"without the pixel check p95 {percentile([r['search_ms'] for r in first], 95):.1f} ms; "
          f"cached: p95 {percentile([r['ms'] for r in again], 95):.1f} ms (target < {TARGET_MS:.0f} ms)")
    caught = [r["found"] is not None and r["found"][0].pk == r["expected"] for r in copies]
    print(f"copies caught: {sum(caught)}/{len(caught)} ({np.mean(caught):.0%})")
    for kind in dict.fromkeys(r["kind"] for r in copies):
        kinds = [c for c, r in zip(caught, copies, strict=True) if r["kind"] == kind]
        print(f"  {kind:24s} {sum(kinds)}/{len(kinds)}")
    print(f"false matches among new photos: {sum(r['found'] is not None for r in new)}/{len(new)}")


def run_lookups(args, originals, new_photos, query_photo) -> None:

    from shelfai.authenticity import imagehash
    print(f"\nquery seed {args.query_seed} (--query-seed to repeat these queries)")
    queries = make_queries(originals, new_photos, args.copies, random.Random(args.query_seed))
    hashed = hash_queries(queries)
    timed_lookup(query_photo, imagehash.oriented_hashes(jpeg_bytes(originals[0][1])))  # connection and code warm-up
    print_results(*time_lookups(query_photo, hashed))
    used, pk_of = {pk for _, pk, _ in queries}, stored_originals()
    fresh = [image for name, image in originals if pk_of[name] not in used]
    explain_fresh_lookup(query_photo, random.Random(args.query_seed).choice(fresh), "all at once")


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
