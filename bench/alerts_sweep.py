"""How long one alert sweep takes on a chain-sized world, and that the second sweep sends nothing.

Fills a PostgreSQL database with ``--stores`` stores (one rep each, visits on three weekdays, a fifth of
the reps behind schedule), two paid displays per store over the last four weeks with a current check
per visit (verdicts drawn at random), ``--claims`` submitted claims (one in ten with a critical flag in
its packet) and some failed photos; then times ``alerts_evaluate`` twice with the locmem e-mail backend.

    .venv/bin/python bench/alerts_sweep.py [--stores 500] [--claims 300]

Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/shelfai_alerts_bench, rebuilt each run).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/shelfai_alerts_bench"


def fresh_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin, "-q", "-c", sql], check=True)


def fill(stores: int, claims: int, rng: random.Random) -> dict[str, int]:
    from django.utils import timezone

    from shelfai.accounts.models import Role, User
    from shelfai.alerts.models import RepManager
    from shelfai.claims.models import Campaign, ClaimLine, ExpenseClaim, PaidPlacement, PlacementCheck
    from shelfai.stores.models import Brand, Region, RepAssignment, Retailer, Store
    from shelfai.visits.models import Photo, Visit

    today = timezone.localdate()
    region, retailer = Region.objects.create(code="r", name="Region"), Retailer.objects.create(code="c", name="Chain")
    people = {role: [User(username=f"{role}{i}", role=role, email=f"{role}{i}@example.com") for i in range(5)]
              for role in (Role.MARKETING, Role.FINANCE, Role.ADMIN)}
    User.objects.bulk_create([u for group in people.values() for u in group])
    managers = list(User.objects.filter(role=Role.MARKETING))
    reps = User.objects.bulk_create([User(username=f"rep{i}", role=Role.REP) for i in range(stores)])
    shops = Store.objects.bulk_create([Store(code=f"s{i}", name=f"Store {i}", region=region, retailer=retailer,
                                             latitude=50, longitude=10) for i in range(stores)])
    start = today - timedelta(days=28)
    RepAssignment.objects.bulk_create([RepAssignment(rep=r, store=s, starts_on=start, weekdays="1010100")
                                       for r, s in zip(reps, shops, strict=True)])
    RepManager.objects.bulk_create([RepManager(rep=r, manager=managers[i % len(managers)]) for i, r in enumerate(reps)])
    visits = []
    for rep, shop in zip(reps, shops, strict=True):
        behind = rng.random() < 0.2
        for day in range(28 if not behind else 10, 0, -1):
            when = today - timedelta(days=day)
            if when.weekday() in (0, 2, 4) and (not behind or day > 14):
                at = timezone.make_aware(datetime.combine(when, datetime.min.time()).replace(hour=10))
                visits.append((Visit(rep=rep, store=shop, started_at=at), when))
    Visit.objects.bulk_create([v for v, _ in visits], batch_size=2000)
    brand = Brand.objects.create(name="Brand", is_own=True)
    campaign = Campaign.objects.create(name="Spring", brand=brand, starts_on=start, ends_on=today)
    placements = PaidPlacement.objects.bulk_create([
        PaidPlacement(campaign=campaign, store=shop, display_type=kind, starts_on=start, ends_on=today,
                      fee=Decimal("500")) for shop in shops for kind in ("end_cap", "floor_stand")])
    by_store: dict[int, list[PaidPlacement]] = {}
    for p in placements:
        by_store.setdefault(p.store_id, []).append(p)
    verdicts = ["executed"] * 6 + ["partly_executed", "not_executed", "insufficient_evidence"]
    PlacementCheck.objects.bulk_create([
        PlacementCheck(placement=p, visit=v, checked_on=when, verdict=rng.choice(verdicts))
        for v, when in visits for p in by_store[v.store_id]], batch_size=5000)
    photos = Photo.objects.bulk_create([
        Photo(visit=v, uploaded_by=v.rep, client_upload_id=f"u{i}", original="x.jpg", content_type="image/jpeg",
              file_ext="jpg", size_bytes=1, sha256=f"{i:064d}", width=1, height=1,
              status="failed" if i % 50 == 0 else "done", finished_at=timezone.now())
        for i, (v, _) in enumerate(visits)], batch_size=5000)
    rep_of = {p.pk: p for p in placements}
    made = []
    for i in range(claims):
        placement = rep_of[placements[i % len(placements)].pk]
        flags = [{"code": "near_duplicate", "severity": "critical", "reason": "a copy"}] if i % 10 == 0 else []
        packet = {"visits": [{"date": str(start), "photos": [{"id": f"p{i}", "flags": flags}]}] * 4}
        claim = ExpenseClaim(reference=f"CL-{i}", source="rep", submitted_by=reps[i % len(reps)],
                             total_amount=Decimal("400"))
        made.append((claim, ClaimLine(placement=placement, period_start=start, period_end=today,
                                      amount=Decimal("400"), evidence=packet)))
    ExpenseClaim.objects.bulk_create([c for c, _ in made])
    for claim, line in made:
        line.claim = claim
    ClaimLine.objects.bulk_create([line for _, line in made])
    return {"stores": stores, "visits": len(visits), "placements": len(placements),
            "checks": PlacementCheck.objects.count(), "claims": claims, "photos": len(photos),
            "failed_photos": sum(p.status == "failed" for p in photos)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=500)
    parser.add_argument("--claims", type=int, default=300)
    args = parser.parse_args()
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shelfai.settings")
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")  # no broker: queue depth unknown, time alone decides
    os.environ["ALERTS_DIGEST_HOUR"] = "0"  # the digest figure whatever the hour
    fresh_database(url)
    import django

    django.setup()
    from django.core import mail
    from django.core.management import call_command

    from shelfai.alerts import services
    from shelfai.alerts.models import Alert, Notification

    call_command("migrate", verbosity=0)
    mail.outbox = []
    world = fill(args.stores, args.claims, random.Random(19))
    print("world:", world)
    for run in (1, 2):
        before = len(mail.outbox)
        t0 = time.perf_counter()
        counts = services.alerts_evaluate()
        seconds = time.perf_counter() - t0
        print(f"sweep {run}: {seconds:.2f} s, new alerts {sum(v for k, v in counts.items() if k.startswith('new_'))}, "
              f"e-mails {len(mail.outbox) - before}, {counts}")
    print("alerts by rule:", dict(sorted(Alert.objects.values_list("rule").annotate(
        n=django.db.models.Count("pk")).values_list("rule", "n"))))
    print("notifications:", Notification.objects.count(), "digest waiting:",
          Notification.objects.filter(frequency="digest", sent_at__isnull=True).count())
    t0 = time.perf_counter()
    digests = services.digests_send()
    print(f"digests: {digests} e-mails in {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
