"""Marketing opens a finished display campaign from Campaigns and reads what it measurably did: units sold
against the forecast without it, incremental revenue, the fee finance paid, and the ROI in percent with its
interval, at desktop and phone size."""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone
from selenium.webdriver.common.by import By

from tests.browser.conftest import wait

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SHELFAI_SHOTS_DIR")  # set to keep the screenshots (they are looked at by hand)


@pytest.fixture
def finished_campaign(world):
    """150 days of sales of one SKU at two stores; a paid end-cap at s1 that ended three weeks ago, with a
    claim finance part-approved."""
    from forecasting.services import generate_demo_sales
    from shelfai.claims.models import Campaign, ClaimLine, ExpenseClaim, PaidPlacement
    from shelfai.stores.models import Brand, Category, Product

    cache.clear()
    brand = Brand.objects.create(name="Gold Formula", is_own=True)
    product = Product.objects.create(
        sku="gold-900", name="Gold Formula", pack_size="900 g", brand=brand,
        category=Category.objects.create(name="Baby"), unit_price=Decimal("19.90"),
    )
    end = timezone.localdate() - timedelta(days=1)
    campaign = Campaign.objects.create(
        name="Gold end-caps", brand=brand, kind=Campaign.Kind.DISPLAY,
        starts_on=end - timedelta(days=40), ends_on=end - timedelta(days=20), budget=Decimal("0"),
    )
    campaign.products.set([product])
    campaign.stores.set([world.store])
    placement = PaidPlacement.objects.create(
        campaign=campaign, store=world.store, display_type="end_cap",
        starts_on=campaign.starts_on, ends_on=campaign.ends_on, fee=Decimal("400.00"),
    )
    generate_demo_sales(
        stores=[world.store, world.other_store], products=[product], campaigns=[campaign],
        start=end - timedelta(days=149), end=end, seed=11,
    )
    claim = ExpenseClaim.objects.create(
        reference="gold-endcap-1", source=ExpenseClaim.Source.RETAILER, submitted_by=world.users["finance"],
        status=ExpenseClaim.Status.PARTIAL, total_amount=Decimal("400.00"),
    )
    ClaimLine.objects.create(
        claim=claim, placement=placement, period_start=placement.starts_on, period_end=placement.ends_on,
        amount=Decimal("400.00"), approved_amount=Decimal("300.00"),
    )
    yield campaign
    cache.clear()


def _shot(driver, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        height = driver.execute_script("return document.body.scrollHeight")
        width = driver.execute_script("return window.innerWidth")
        driver.set_window_size(max(width, 390), min(max(height, 844), 4000))
        driver.save_screenshot(str(Path(SHOTS) / name))


def test_marketing_reads_a_finished_campaigns_measured_roi(make_driver, sign_in, finished_campaign):
    from forecasting.campaign_results import campaign_measured
    from shelfai import formats

    driver = make_driver()
    sign_in(driver, "marketing", "pw-marketing", "/planning/campaigns/")
    row = wait(driver).until(
        lambda d: d.find_element(By.CSS_SELECTOR, f"tr[data-finished='{finished_campaign.pk}']")
    )
    assert formats.day(finished_campaign.ends_on) in row.text
    row.find_element(By.LINK_TEXT, "Measured uplift and ROI").click()
    card = wait(driver, 60).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-estimate='measured']"))
    text = card.text
    measured = campaign_measured(campaign=finished_campaign)  # cached by the page's own measurement
    result = measured.result
    # The display was generated at +25%: more sold than the forecast without it. One small store for three
    # weeks is too little to rule out no effect, and the page says so rather than claiming a payoff.
    assert result.incremental_units > 0 and result.incremental_units_low < result.incremental_units
    if result.incremental_units_low < 0:
        assert "The interval includes no effect at all" in text
    roi = card.find_element(By.CSS_SELECTOR, "[data-field='measured-roi']").text
    assert roi.startswith(formats.percent(result.roi)) and "%" in roi
    assert f"80%: {formats.percent(result.roi_low)} to {formats.percent(result.roi_high)}" in roi
    # The fee is what finance approved, not the contracted 400.
    assert "EUR 300.00" in text and "paid: approved amounts of 1 decided claim line" in text
    assert formats.money(result.incremental_revenue) in text
    assert "horizon covers" not in driver.page_source and "Planned uplift" not in text
    stores = card.find_element(By.CSS_SELECTOR, "table[data-table='measured-stores']").text
    assert "s1 · FreshCo Riverside" in stores
    # s2 sold the SKU without the campaign: it is the control, and the store row is scaled like the total.
    assert result.control_series == 1 and formats.number(result.counterfactual_units) in stores
    _shot(driver, "campaign-measured-desktop.png")

    phone = make_driver(phone=True)
    sign_in(phone, "marketing", "pw-marketing", f"/planning/campaigns/{finished_campaign.pk}/")
    card = wait(phone, 60).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-estimate='measured']"))
    assert card.find_element(By.CSS_SELECTOR, "[data-field='measured-roi']").text == roi
    overflow = phone.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px on a phone"
    _shot(phone, "campaign-measured-phone.png")
