"""A small world with one of everything a URL can name: the rep's visit, photo, result and claim, a
planogram, a campaign with a placement at the rep's store, a finished forecast run; and a planner."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Seven users per test; the default hasher would be the slowest part.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def site(world, make_jpeg):
    from forecasting.models import ForecastRun
    from shelfai.accounts.models import Role, User
    from shelfai.claims import services
    from shelfai.claims.models import Campaign, PaidPlacement, PlacementCheck
    from shelfai.compliance.models import ComplianceResult
    from shelfai.stores.models import Brand, Category, Planogram, PlanogramFacing, PlanogramShelf, Product
    from tests.claims.conftest import photo_in, visit_on

    w = world
    w.users["planning"] = User.objects.create_user("planning", password="pw-planning", role=Role.PLANNING)
    brand = Brand.objects.create(name="Gold", is_own=True)
    category = Category.objects.create(name="Infant formula")
    w.product = Product.objects.create(sku="gold-900", name="Gold Formula", brand=brand, category=category)
    w.planogram = Planogram.objects.create(name="Formula bay", category=category, store=w.store,
                                           effective_from=timezone.localdate() - timedelta(days=60))
    shelf = PlanogramShelf.objects.create(planogram=w.planogram, level=1)
    PlanogramFacing.objects.create(shelf=shelf, product=w.product, position=1, facings=3)
    start = timezone.localdate() - timedelta(days=35)
    w.campaign = Campaign.objects.create(name="Spring end-caps", brand=brand, starts_on=start,
                                         ends_on=start + timedelta(days=27))
    w.placement = PaidPlacement.objects.create(
        campaign=w.campaign, store=w.store, display_type=PaidPlacement.DisplayType.END_CAP,
        starts_on=start, ends_on=start + timedelta(days=27), fee=Decimal("1000.00"))
    w.visit = visit_on(w, start + timedelta(days=3))
    w.photo = photo_in(w.visit, make_jpeg(seed=7))
    ComplianceResult.objects.create(scope="photo", visit=w.visit, photo=w.photo, planogram=w.planogram,
                                    score=Decimal("82.0"), confidence=0.9)
    PlacementCheck.objects.create(placement=w.placement, visit=w.visit, checked_on=w.visit.started_at.date(),
                                  verdict=PlacementCheck.Verdict.EXECUTED)
    line = services.LineInput(placement=w.placement, period_start=start, period_end=start + timedelta(days=27),
                              amount=Decimal("800.00"))
    w.claim = services.claim_submit(submitted_by=w.users["rep"], lines=[line])
    w.run = ForecastRun.objects.create(horizon=7, status=ForecastRun.Status.DONE)
    return w
