"""`python manage.py seed_demo`: a believable demo world, made once, with its logins printed.

Besides master data and sales, the world gets four weeks of visits (``shelfai.web.demo_history``):
good, poor and dishonest ones, sent through the photo API and the pipeline like a rep's, with claims
for the paid end-caps, so marketing, finance and planning see real results when they first sign in.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, timedelta
from decimal import Decimal

import cv2
import numpy as np
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction

from forecasting.runs import active_run, forecast_run_create
from forecasting.selectors import latest_run
from forecasting.services import generate_demo_sales
from forecasting.tasks import run_forecast
from shelfai.accounts.models import Role, User
from shelfai.celery import ensure_broker_dirs
from shelfai.claims.models import Campaign, PaidPlacement, PlacementRequirement
from shelfai.stores.models import (
    Brand,
    Category,
    Planogram,
    PlanogramFacing,
    PlanogramShelf,
    Product,
    ProductImage,
    Region,
    RepAssignment,
    Retailer,
    Store,
    StoreGroup,
)
from shelfai.vision.offline.packart import flavour_name, make_pack_art, pack_size_for, reference_shot
from shelfai.web.demo_history import history_create, history_exists

DEMO_PASSWORD = "shelfai-demo"
LOGINS = [
    ("rep1", Role.REP), ("rep2", Role.REP), ("rep3", Role.REP),
    ("marketing", Role.MARKETING), ("finance", Role.FINANCE), ("planning", Role.PLANNING), ("admin", Role.ADMIN),
]
REGIONS = [("north", "North", 53.55, 10.0), ("west", "West", 51.22, 6.78), ("south", "South", 48.14, 11.58)]
RETAILERS = [("freshco", "FreshCo"), ("valumart", "ValuMart"), ("cornerplus", "Corner Plus")]
# (brand, own?, share target, category, [(flavour variant, pack size, price)])
BRANDS = [
    ("Gold Formula", True, "0.40", "Infant formula",
     [(0, "900 g", "24.99"), (1, "900 g", "25.99"), (0, "400 g", "12.49"), (2, "900 g", "26.49")]),
    ("Nordic Dairy", True, "0.25", "Yogurt drinks",
     [(0, "500 ml", "1.79"), (1, "500 ml", "1.79"), (2, "500 ml", "1.89"), (0, "1 l", "2.99")]),
    ("Crisp Valley", True, "0.20", "Snacks", [(0, "150 g", "2.49"), (1, "150 g", "2.49"), (3, "150 g", "2.59")]),
    ("BabyStar", False, None, "Infant formula", [(0, "900 g", "22.99"), (1, "800 g", "21.49")]),
    ("Moo Farms", False, None, "Yogurt drinks", [(0, "500 ml", "1.59"), (2, "500 ml", "1.59")]),
    ("Chip Co", False, None, "Snacks", [(0, "175 g", "1.99"), (2, "175 g", "1.99"), (4, "175 g", "2.19")]),
]


class Command(BaseCommand):
    help = "Create the demo world: stores, catalog with pack shots, planograms, users, campaigns, sales."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when stores already exist.")
        parser.add_argument("--print-logins", action="store_true", help="Only print the demo logins.")
        parser.add_argument("--stores", type=int, default=12)
        parser.add_argument("--sales-days", type=int, default=730)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--no-history", action="store_true",
                            help="Skip the generated visits, photos and claims of the last weeks.")
        parser.add_argument("--history-weeks", type=int, default=4)
        parser.add_argument("--no-forecast", action="store_true",
                            help="Do not queue the first daily forecast run (Inventory and Campaigns read it).")
        # Four stores x four weeks is ~60 photos: about two minutes of CPU inside `make run`.
        parser.add_argument("--history-stores", type=int, default=4,
                            help="Stores that get a visit every week (those with paid end-caps come first).")

    def handle(self, *args, if_empty: bool, print_logins: bool, stores: int, sales_days: int, seed: int,
               no_history: bool, history_weeks: int, history_stores: int, no_forecast: bool = False, **_):

        if print_logins:
            return self._print_logins()
        if if_empty and Store.objects.exists():
            self.stdout.write("Demo data already present; leaving it as it is.")
            return
        rng = np.random.default_rng(seed)
        with transaction.atomic():
            self._users()
            store_list = self._stores(stores, rng)
            products = self._catalog(rng)
            self._planograms(store_list, products)
            campaigns = self._campaigns(store_list, products, history_weeks=history_weeks)
        self.stdout.write(f"Generating {sales_days} days of sales history…")

        end = date.today() - timedelta(days=1)
        count = generate_demo_sales(
            stores=store_list, products=products, campaigns=campaigns,
            start=end - timedelta(days=sales_days - 1), end=end, seed=seed,
        )
        self.stdout.write(self.style.SUCCESS(
            f"Demo world ready: {len(store_list)} stores, {len(products)} SKUs, {len(campaigns)} campaigns, "
            f"{count} daily sales rows."
        ))
        if not no_history and history_weeks > 0:
            self._history(store_list[:history_stores], weeks=history_weeks, seed=seed)
        if not no_forecast:
            self._forecast()
        self._print_logins()

    def _forecast(self) -> None:
        """Queue the first daily run, so Inventory and Campaigns are not empty on a first visit. Queued, not
        fitted here: the worker `make run` starts fits it in the background and seeding stays fast."""
        if latest_run(freq="D") or active_run():
            return
        ensure_broker_dirs()
        run = forecast_run_create(freq="D", dispatch=run_forecast.delay)
        self.stdout.write(f"Forecast run {run.pk} queued: the worker fits it in the background; Inventory and "
                          "Campaigns fill in when it is done (Forecast shows its progress).")

    def _history(self, stores: list, *, weeks: int, seed: int) -> None:
        if history_exists():
            self.stdout.write("Visit history already present; leaving it as it is.")
            return
        self.stdout.write(f"Sending {weeks} weeks of visits at {len(stores)} stores through the photo pipeline…")
        summary = history_create(weeks=weeks, stores=stores, seed=seed, log=self.stdout.write)
        mix = ", ".join(f"{kind} {n}" for kind, n in sorted(summary.kinds.items()))
        self.stdout.write(self.style.SUCCESS(
            f"History ready: {summary.visits} visits, {summary.photos} photos, {summary.claims} claims ({mix})."))

    def _print_logins(self) -> None:
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role in LOGINS:
            self.stdout.write(f"  {username:<10} {role.label}")

    def _users(self) -> None:
        for username, role in LOGINS:
            # An address, so `make run` shows their alerts in the worker's log (the console e-mail backend).
            user, created = User.objects.get_or_create(username=username,
                                                       defaults={"role": role, "email": f"{username}@example.com"})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.is_staff = user.is_superuser = role == Role.ADMIN
                user.save()

    def _stores(self, n: int, rng: np.random.Generator) -> list:

        regions = [Region.objects.get_or_create(code=c, defaults={"name": name})[0] for c, name, *_ in REGIONS]
        retailers = [Retailer.objects.get_or_create(code=c, defaults={"name": name})[0] for c, name in RETAILERS]
        group, _ = StoreGroup.objects.get_or_create(name="All demo stores")
        streets = ["Market St", "Harbour Rd", "Station Ave", "Park Lane", "Mill Rd", "High St", "Church St"]
        stores = []
        for i in range(n):
            code, region_name, lat, lon = REGIONS[i % len(REGIONS)]
            retailer = retailers[i % len(retailers)]
            store, _ = Store.objects.get_or_create(
                code=f"st{i + 1:03d}",
                defaults=dict(
                    name=f"{retailer.name} {region_name} {i // len(REGIONS) + 1}",
                    region=regions[i % len(REGIONS)],
                    retailer=retailer,
                    address=f"{int(rng.integers(1, 200))} {streets[i % len(streets)]}",
                    latitude=round(lat + rng.normal(0, 0.03), 6),
                    longitude=round(lon + rng.normal(0, 0.05), 6),
                    geofence_radius_m=150,
                ),
            )
            stores.append(store)
            group.stores.add(store)
        reps = list(User.objects.filter(role=Role.REP).order_by("username"))
        start = date.today() - timedelta(days=365)
        for i, store in enumerate(stores):
            RepAssignment.objects.get_or_create(rep=reps[i % len(reps)], store=store, starts_on=start)
        return stores

    def _catalog(self, rng: np.random.Generator) -> list:

        products = []
        for brand_name, own, target, category_name, variants in BRANDS:
            brand, _ = Brand.objects.get_or_create(
                name=brand_name, defaults={"is_own": own, "share_of_shelf_target": Decimal(target) if target else None}
            )
            category, _ = Category.objects.get_or_create(name=category_name)
            for variant, size_label, price in variants:
                sku = f"{brand_name.lower().replace(' ', '-')}-{variant}-{size_label.replace(' ', '')}"
                product, created = Product.objects.get_or_create(
                    sku=sku,
                    defaults=dict(
                        name=f"{brand_name} {_flavour(brand_name, variant)}", brand=brand, category=category,
                        pack_size=size_label, unit_price=Decimal(price),
                        gtin=f"400{int(hashlib.sha1(sku.encode()).hexdigest(), 16) % 10**10:010d}",
                    ),
                )
                products.append(product)
                if not created:
                    continue
                art = make_pack_art(sku, family=brand_name, variant=variant,
                                    size=pack_size_for(size_label), size_label=size_label)
                for k in range(3):
                    shot = art if k == 0 else reference_shot(art, rng)
                    ok, buf = cv2.imencode(".png", shot)
                    data = buf.tobytes()
                    image = ProductImage(product=product, sha256=hashlib.sha256(data).hexdigest())
                    image.image.save(f"{uuid.uuid4().hex}.png", ContentFile(data), save=False)
                    image.save()
        return products

    def _planograms(self, stores: list, products: list) -> None:

        group = StoreGroup.objects.get(name="All demo stores")
        by_category: dict = {}
        for product in products:
            by_category.setdefault(product.category, []).append(product)
        for category, items in by_category.items():
            planogram, created = Planogram.objects.get_or_create(
                name=f"{category.name} — standard bay", category=category, store_group=group,
                defaults={"effective_from": date.today() - timedelta(days=365)},
            )
            if not created:
                continue
            own = [p for p in items if p.brand.is_own]
            other = [p for p in items if not p.brand.is_own]
            rows = [own[:2] + other[:1], own[2:] + other[1:2], other[2:] + own[:1]]
            for level, row in enumerate([r for r in rows if r], start=1):
                shelf = PlanogramShelf.objects.create(planogram=planogram, level=level)
                for position, product in enumerate(row, start=1):
                    PlanogramFacing.objects.create(
                        shelf=shelf, product=product, position=position, facings=4 if product.brand.is_own else 3
                    )

    def _campaigns(self, stores: list, products: list, *, history_weeks: int = 4) -> list:

        today = date.today()
        # The running end-cap campaign started before the visit history, so its weeks can be claimed.
        running_since = today - timedelta(days=max(21, 7 * history_weeks))
        specs = [
            ("Gold Formula spring end-caps", "Gold Formula", running_since, today + timedelta(days=7),
             PaidPlacement.DisplayType.END_CAP, Decimal("400.00")),
            ("Nordic Dairy summer floor stands", "Nordic Dairy", today - timedelta(days=200),
             today - timedelta(days=170), PaidPlacement.DisplayType.FLOOR_STAND, Decimal("250.00")),
            ("Crisp Valley eye-level", "Crisp Valley", today - timedelta(days=90), today - timedelta(days=62),
             PaidPlacement.DisplayType.EYE_LEVEL, Decimal("150.00")),
        ]
        campaigns = []
        for name, brand_name, start, end, display_type, fee in specs:
            brand = Brand.objects.get(name=brand_name)
            campaign, created = Campaign.objects.get_or_create(
                name=name,
                defaults=dict(brand=brand, kind=Campaign.Kind.MIXED, starts_on=start, ends_on=end,
                              planned_price_discount_pct=Decimal("10"), budget=fee * len(stores[:6])),
            )
            campaigns.append(campaign)
            if not created:
                continue
            brand_products = [p for p in products if p.brand_id == brand.pk]
            campaign.products.set(brand_products)
            campaign.stores.set(stores[:6])
            for store in stores[:6]:
                placement = PaidPlacement.objects.create(
                    campaign=campaign, store=store, display_type=display_type, starts_on=start, ends_on=end, fee=fee,
                    requirements_note=f"{display_type.label} with the campaign SKUs, at least 3 facings each.",
                )
                for product in brand_products[:2]:
                    PlacementRequirement.objects.create(placement=placement, product=product, min_facings=3)
        return campaigns


def _flavour(brand: str, variant: int) -> str:

    return flavour_name(brand, variant).title()
