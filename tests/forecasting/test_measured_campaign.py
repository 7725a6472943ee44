"""A past campaign's page measures it: what sold on its days against a forecast from the history before it,
with the ROI against the fee actually paid; a campaign still running is not measured yet."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client

from forecasting.campaign_results import campaign_measured, fee_paid
from forecasting.plan_services import PlanningError
from shelfai import formats
from shelfai.claims.models import ClaimLine, ExpenseClaim


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _approve_claim(campaign, user, amount: str) -> None:
    placement = campaign.placements.get()
    claim = ExpenseClaim.objects.create(
        reference=f"c-{campaign.pk}", source=ExpenseClaim.Source.RETAILER, submitted_by=user,
        status=ExpenseClaim.Status.PARTIAL, total_amount=placement.fee,
    )
    ClaimLine.objects.create(
        claim=claim, placement=placement, period_start=placement.starts_on, period_end=placement.ends_on,
        amount=placement.fee, approved_amount=Decimal(amount),
    )


def test_a_finished_promotion_with_a_display_measurably_sold_more(sales_history):
    past = sales_history.past_campaign  # promotion at 10% off everywhere, a paid end-cap at s1
    measured = campaign_measured(campaign=past)
    result = measured.result
    # Generated with +40% for the promotion, +25% for the display and the discount's price effect.
    assert result.incremental_units_low > 0 < result.incremental_units
    assert result.counterfactual_low < result.counterfactual_units < result.counterfactual_high
    assert result.actual_units == pytest.approx(result.counterfactual_units + result.incremental_units)
    by_store = {row["store"].code: row for row in measured.stores}
    assert sum(row["counterfactual"] for row in measured.stores) == pytest.approx(result.counterfactual_units)
    assert by_store["s1"]["lift"] > 0.3  # the store with the display too
    # No claim decided yet: the cost is the contracted fee, and the result says so.
    assert result.fee == Decimal("200.00") and "contracted" in measured.fee_source
    assert result.discount_cost > 0  # 10% off the units that would have sold anyway
    assert result.roi_low <= result.roi <= result.roi_high


def test_the_fee_is_what_finance_approved_once_a_claim_is_decided(sales_history):
    past = sales_history.past_campaign
    _approve_claim(past, sales_history.users["finance"], "120.00")
    fee, source = fee_paid(past)
    assert fee == Decimal("120.00") and source.startswith("paid: approved amounts of 1 decided claim line")
    assert campaign_measured(campaign=past).result.fee == Decimal("120.00")


def test_a_campaign_that_has_not_ended_is_not_measured_yet(sales_history):
    planned = sales_history.planned_campaign
    with pytest.raises(PlanningError, match="it is measured once it has ended"):
        campaign_measured(campaign=planned)


def test_the_campaign_page_shows_the_measured_roi_in_percent(sales_history):
    past = sales_history.past_campaign
    client = Client()
    client.force_login(sales_history.users["marketing"])  # marketing learns which displays paid off
    page = client.get(f"/planning/campaigns/{past.pk}/").content.decode()
    result = campaign_measured(campaign=past).result
    assert "Measured after the fact" in page and "Planned uplift" not in page
    assert f'data-field="measured-roi">{formats.percent(result.roi)} ' in page
    assert formats.money(result.incremental_revenue) in page and formats.money(result.fee) in page
    assert "horizon covers" not in page
    listing = client.get("/planning/campaigns/").content.decode()
    assert f'data-finished="{past.pk}"' in listing


def test_a_series_without_enough_history_before_the_campaign_is_named(sales_history):
    past = sales_history.past_campaign
    past.starts_on = sales_history.sales_start + timedelta(days=10)
    past.save()
    with pytest.raises(PlanningError, match="enough history before"):
        campaign_measured(campaign=past)
