"""`python manage.py seed_demo`: a believable demo world, made once, with its logins printed.

Besides master data and sales, the world gets four weeks of visits (``shelfai.web.demo_history``):
good, poor and dishonest ones, sent through the photo API and the pipeline like a rep's, with claims
for the paid end-caps, so marketing, finance and planning see real results when they first sign in.
``--region cn`` builds the Chinese world instead (``shelfai.web.demo_worlds``): stores in Chinese cities,
zh-hans users, yuan prices and fees, campaigns over Spring Festival and sales that move with it.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, timedelta
from decimal import Decimal

import cv2
import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction

from forecasting.model import lunar_new_years, spring_festival_calendar
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
from shelfai.web.demo_worlds import WORLDS, DemoWorld

DEMO_PASSWORD = "shelfai-demo"
LOGINS = [
    ("rep1", Role.REP), ("rep2", Role.REP), ("rep3", Role.REP),
    ("marketing", Role.MARKETING), ("finance", Role.FINANCE), ("planning", Role.PLANNING), ("admin", Role.ADMIN),
]
class Command(BaseCommand):
    help = "Create the demo world: stores, catalog with pack shots, planograms, users, campaigns, sales."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when stores already exist.")
        parser.add_argument("--print-logins", action="store_true", help="Only print the demo logins.")
        parser.add_argument("--stores", type=int, default=12)
        parser.add_argument("--sales-days", type=int, default=730)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--region", choices=sorted(WORLDS), default="de",
                            help="de: stores in Germany (the default); cn: a Chinese dairy brand's world.")
        parser.add_argument("--no-history", action="store_true",
                            help="Skip the generated visits, photos and claims of the last weeks.")
        parser.add_argument("--history-weeks", type=int, default=4)
        parser.add_argument("--no-forecast", action="store_true",
                            help="Do not queue the first daily forecast run (Inventory and Campaigns read it).")
        # Four stores x four weeks is ~60 photos: about two minutes of CPU inside `make run`.
        parser.add_argument("--history-stores", type=int, default=4,
                            help="Stores that get a visit every week (those with paid end-caps come first).")

    def handle(self, *args, if_empty: bool, print_logins: bool, stores: int, sales_days: int, seed: int,
               no_history: bool, history_weeks: int, history_stores: int, no_forecast: bool = False,
               region: str = "de", **_):

        if print_logins:
            return self._print_logins()
        if if_empty and Store.objects.exists():
            self.stdout.write("Demo data already present; leaving it as it is.")
            return
        world = WORLDS[region]
        rng = np.random.default_rng(seed)
        with transaction.atomic():
            self._users(world)
            store_list = self._stores(world, stores, rng)
            products = self._catalog(world, rng)
            self._planograms(world, store_list, products)
            campaigns = self._campaigns(world, store_list, products, history_weeks=history_weeks)
        self.stdout.write(f"Generating {sales_days} days of sales history…")

        end = date.today() - timedelta(days=1)
        count = generate_demo_sales(
            stores=store_list, products=products, campaigns=campaigns,
            start=end - timedelta(days=sales_days - 1), end=end, seed=seed, festival_lifts=world.festival_lifts,
        )
        self.stdout.write(self.style.SUCCESS(
            f"Demo world ready: {len(store_list)} stores, {len(products)} SKUs, {len(campaigns)} campaigns, "
            f"{count} daily sales rows."
        ))
        if not no_history and history_weeks > 0:
            self._history(store_list[:history_stores], weeks=history_weeks, seed=seed)
        if not no_forecast:
            self._forecast()
        if world.festival_lifts and settings.FORECAST_COUNTRY != "CN":
            self.stdout.write(self.style.WARNING(
                f"FORECAST_COUNTRY is {settings.FORECAST_COUNTRY or 'empty'}: set FORECAST_COUNTRY=CN so the "
                "forecasts know Spring Festival."))
        if world.currency and not _currency(world) and settings.CURRENCY != world.currency:
            self.stdout.write(self.style.WARNING(
                f"CURRENCY is {settings.CURRENCY}: set CURRENCY={world.currency} so prices and fees read in "
                f"{world.currency}."))
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

    def _users(self, world: DemoWorld) -> None:
        for username, role in LOGINS:
            # An address, so `make run` shows their alerts in the worker's log (the console e-mail backend).
            user, created = User.objects.get_or_create(username=username,
                                                       defaults={"role": role, "email": f"{username}@example.com"})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.is_staff = user.is_superuser = role == Role.ADMIN
                user.save()
            if world.language and role != Role.ADMIN:
                # The brand's own people read Chinese; the administrator keeps the browser's language.
                User.objects.filter(pk=user.pk).update(language=world.language, time_zone=world.user_time_zone)

    def _stores(self, world: DemoWorld, n: int, rng: np.random.Generator) -> list:

        regions = {c: Region.objects.get_or_create(code=c, defaults={"name": name})[0] for c, name in world.regions}
        retailers = [Retailer.objects.get_or_create(code=c, defaults={"name": name})[0] for c, name in world.retailers]
        group, _ = StoreGroup.objects.get_or_create(name=world.store_group)
        stores = []
        for i in range(n):
            city = world.cities[i % len(world.cities)]
            lap = i // len(world.cities)
            district = city.districts[lap % len(city.districts)] if city.districts else ""
            retailer = retailers[i % len(retailers)]
            house, street = int(rng.integers(1, 200)), world.streets[i % len(world.streets)]
            store, _ = Store.objects.get_or_create(
                code=f"{world.store_code}{i + 1:03d}",
                defaults=dict(
                    name=world.store_name(retailer.name, city, lap + 1, district),
                    region=regions[city.region],
                    retailer=retailer,
                    address=world.address(city, district, street, house),
                    latitude=round(city.latitude + rng.normal(0, 0.03), 6),
                    longitude=round(city.longitude + rng.normal(0, 0.05), 6),
                    geofence_radius_m=150,
                    timezone=city.time_zone,
                ),
            )
            stores.append(store)
            group.stores.add(store)
        reps = list(User.objects.filter(role=Role.REP).order_by("username"))
        start = date.today() - timedelta(days=365)
        for i, store in enumerate(stores):
            RepAssignment.objects.get_or_create(rep=reps[i % len(reps)], store=store, starts_on=start)
        return stores

    def _catalog(self, world: DemoWorld, rng: np.random.Generator) -> list:

        products = []
        for spec in world.brands:
            brand_name = spec.name
            brand, _ = Brand.objects.get_or_create(
                name=brand_name,
                defaults={"is_own": spec.own,
                          "share_of_shelf_target": Decimal(spec.share_target) if spec.share_target else None},
            )
            category, _ = Category.objects.get_or_create(name=spec.category)
            for variant, size_label, price in spec.variants:
                sku = f"{spec.code}-{variant}-{size_label.replace(' ', '')}"
                product, created = Product.objects.get_or_create(
                    sku=sku,
                    defaults=dict(
                        name=f"{brand_name} {_flavour(world, brand_name, variant)}", brand=brand, category=category,
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

    def _planograms(self, world: DemoWorld, stores: list, products: list) -> None:

        group = StoreGroup.objects.get(name=world.store_group)
        by_category: dict = {}
        for product in products:
            by_category.setdefault(product.category, []).append(product)
        for category, items in by_category.items():
            planogram, created = Planogram.objects.get_or_create(
                name=f"{category.name} — {world.bay}", category=category, store_group=group,
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

    def _campaigns(self, world: DemoWorld, stores: list, products: list, *, history_weeks: int = 4) -> list:

        campaigns = []
        for spec in world.campaigns:
            start, end = _campaign_period(spec.when, history_weeks=history_weeks)
            brand = Brand.objects.get(name=spec.brand)
            display_type = PaidPlacement.DisplayType(spec.display_type)
            campaign, created = Campaign.objects.get_or_create(
                name=spec.name,
                defaults=dict(brand=brand, kind=Campaign.Kind.MIXED, starts_on=start, ends_on=end,
                              planned_price_discount_pct=Decimal("10"), budget=spec.fee * len(stores[:6]),
                              **_currency(world)),
            )
            campaigns.append(campaign)
            if not created:
                continue
            brand_products = [p for p in products if p.brand_id == brand.pk]
            campaign.products.set(brand_products)
            campaign.stores.set(stores[:6])
            note = spec.note or f"{display_type.label} with the campaign SKUs, at least 3 facings each."
            for store in stores[:6]:
                placement = PaidPlacement.objects.create(
                    campaign=campaign, store=store, display_type=display_type, starts_on=start, ends_on=end,
                    fee=spec.fee, requirements_note=note,
                )
                for product in brand_products[:2]:
                    PlacementRequirement.objects.create(placement=placement, product=product, min_facings=3)
        return campaigns


def _campaign_period(when: str, *, history_weeks: int) -> tuple[date, date]:
    today = date.today()
    if when == "running":
        # Started before the visit history, so its weeks can be claimed.
        return today - timedelta(days=max(21, 7 * history_weeks)), today + timedelta(days=7)
    if when == "past":
        return today - timedelta(days=200), today - timedelta(days=170)
    if when == "recent":
        return today - timedelta(days=90), today - timedelta(days=62)
    # Over Spring Festival: the two weeks before Chinese New Year's Day (the stock-up) and the festival week.
    new_years = [day.date() for day in lunar_new_years(spring_festival_calendar(today.year - 1, today.year + 1))]
    if when == "spring_festival_past":
        new_year = max(day for day in new_years if day < today - timedelta(days=7))
    else:
        new_year = min(day for day in new_years if day >= today)
    return new_year - timedelta(days=14), new_year + timedelta(days=6)


def _currency(world: DemoWorld) -> dict:
    """The campaign's currency where campaigns carry one; else every amount reads in settings.CURRENCY."""
    fields = {f.name for f in Campaign._meta.get_fields()}
    return {"currency": world.currency} if world.currency and "currency" in fields else {}


def _flavour(world: DemoWorld, brand: str, variant: int) -> str:
    flavour = flavour_name(brand, variant)
    return world.flavours.get(flavour, flavour.title())
