"""A small catalog with generated sales, and helpers that build sales CSVs."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest


@pytest.fixture(autouse=True)
def _forecasting_routes(settings):
    settings.ROOT_URLCONF = "tests.forecasting.urls"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.FORECAST_COUNTRY = "US"


@pytest.fixture
def catalog(world):
    """world (stores s1, s2 in region north) + two of our SKUs at 2.50 and 4.00."""
    from shelfai.stores.models import Brand, Category, Product

    brand = Brand.objects.create(name="Crunchy", is_own=True)
    category = Category.objects.create(name="Snacks")
    world.chips = Product.objects.create(
        sku="chips-150", name="Chips", brand=brand, category=category, unit_price=Decimal("2.50")
    )
    world.nuts = Product.objects.create(
        sku="nuts-200", name="Nuts", brand=brand, category=category, unit_price=Decimal("4.00")
    )
    world.brand = brand
    return world


@pytest.fixture
def sales_history(catalog):
    """120 days of generated sales for both SKUs at both stores, ending yesterday, with a past promotion
    of chips at every store and a paid display at s1, and a planned promotion starting in 5 days."""
    from forecasting.services import generate_demo_sales
    from shelfai.claims.models import Campaign, PaidPlacement

    end = date.today() - timedelta(days=1)
    start = end - timedelta(days=119)
    past = Campaign.objects.create(
        name="Spring crunch",
        brand=catalog.brand,
        kind=Campaign.Kind.MIXED,
        starts_on=start + timedelta(days=40),
        ends_on=start + timedelta(days=53),
        planned_price_discount_pct=Decimal("10"),
        budget=Decimal("300"),
    )
    past.products.set([catalog.chips])
    PaidPlacement.objects.create(
        campaign=past,
        store=catalog.store,
        display_type="end_cap",
        starts_on=past.starts_on,
        ends_on=past.ends_on,
        fee=Decimal("200"),
    )
    again = Campaign.objects.create(
        name="Summer crunch",
        brand=catalog.brand,
        kind=Campaign.Kind.PROMOTION,
        starts_on=start + timedelta(days=80),
        ends_on=start + timedelta(days=89),
        planned_price_discount_pct=Decimal("10"),
        budget=Decimal("300"),
    )
    again.products.set([catalog.chips])
    planned = Campaign.objects.create(
        name="Autumn crunch",
        brand=catalog.brand,
        kind=Campaign.Kind.MIXED,
        starts_on=end + timedelta(days=5),
        ends_on=end + timedelta(days=18),
        planned_price_discount_pct=Decimal("10"),
        budget=Decimal("0"),
    )
    planned.products.set([catalog.chips])
    PaidPlacement.objects.create(
        campaign=planned,
        store=catalog.store,
        display_type="end_cap",
        starts_on=planned.starts_on,
        ends_on=planned.ends_on,
        fee=Decimal("250"),
    )
    rows = generate_demo_sales(
        stores=[catalog.store, catalog.other_store],
        products=[catalog.chips, catalog.nuts],
        campaigns=[past, again, planned],
        start=start,
        end=end,
        seed=7,
    )
    catalog.past_campaign, catalog.planned_campaign = past, planned
    catalog.sales_start, catalog.sales_end, catalog.sales_rows = start, end, rows
    return catalog


def sales_csv(lines: list[str], header: str = "date,store,sku,units,price,promo,display") -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()
