"""Forecast regressors from campaigns, verified displays and shelf photos, per store x SKU x day."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from forecasting import regressors

DAY = date(2025, 5, 1)


def days(start: date, count: int) -> set[date]:
    return {start + timedelta(days=i) for i in range(count)}


@pytest.fixture
def visit_for(catalog):
    from shelfai.visits.models import Visit

    def make(store):
        return Visit.objects.create(rep=catalog.users["rep"], store=store)

    return make


def test_a_promotion_without_stores_covers_every_store_and_only_its_skus(catalog):
    from shelfai.claims.models import Campaign

    campaign = Campaign.objects.create(
        name="May",
        brand=catalog.brand,
        kind=Campaign.Kind.PROMOTION,
        starts_on=DAY,
        ends_on=DAY + timedelta(days=6),
        planned_price_discount_pct=Decimal("15"),
    )
    campaign.products.set([catalog.chips])
    display_only = Campaign.objects.create(
        name="Stand",
        brand=catalog.brand,
        kind=Campaign.Kind.DISPLAY,
        starts_on=DAY,
        ends_on=DAY + timedelta(days=6),
    )
    display_only.products.set([catalog.nuts])
    windows = regressors.promotion_windows(
        store_ids=[catalog.store.pk, catalog.other_store.pk],
        product_ids=[catalog.chips.pk, catalog.nuts.pk],
        start=DAY + timedelta(days=3),
        end=DAY + timedelta(days=30),
    )
    assert {(w.store_id, w.product_id) for w in windows} == {
        (catalog.store.pk, catalog.chips.pk),
        (catalog.other_store.pk, catalog.chips.pk),
    }
    assert {(w.starts_on, w.ends_on, w.discount_pct) for w in windows} == {
        (DAY + timedelta(days=3), DAY + timedelta(days=6), Decimal("15.00"))
    }


def test_displays_count_as_verified_and_carry_the_latest_check(catalog, visit_for):
    from shelfai.claims.models import Campaign, PaidPlacement, PlacementCheck, PlacementRequirement

    campaign = Campaign.objects.create(
        name="End-cap",
        brand=catalog.brand,
        kind=Campaign.Kind.DISPLAY,
        starts_on=DAY,
        ends_on=DAY + timedelta(days=19),
    )
    placement = PaidPlacement.objects.create(
        campaign=campaign,
        store=catalog.store,
        display_type="end_cap",
        starts_on=DAY,
        ends_on=DAY + timedelta(days=19),
        fee=Decimal("100"),
    )
    PlacementRequirement.objects.create(placement=placement, product=catalog.chips)
    visit = visit_for(catalog.store)
    for offset, verdict, current in [
        (2, "executed", True),
        (8, "partly_executed", True),
        (12, "not_executed", False),
        (14, "insufficient_evidence", True),
    ]:
        PlacementCheck.objects.create(
            placement=placement,
            visit=visit,
            checked_on=DAY + timedelta(days=offset),
            verdict=verdict,
            is_current=current,
        )
    shown = regressors.display_days(
        store_ids=[catalog.store.pk],
        product_ids=[catalog.chips.pk, catalog.nuts.pk],
        start=DAY,
        end=DAY + timedelta(days=30),
        as_of=DAY + timedelta(days=30),
    )
    values = shown[(catalog.store.pk, catalog.chips.pk)]
    assert [values[DAY + timedelta(days=i)] for i in (0, 2, 7, 8, 19)] == [1.0, 1.0, 1.0, 0.5, 0.5]
    assert (catalog.store.pk, catalog.nuts.pk) not in shown  # not a required product of the placement


def test_an_unverified_placement_is_unknown_in_the_past_and_planned_in_the_future(catalog):
    from shelfai.claims.models import Campaign, PaidPlacement

    campaign = Campaign.objects.create(
        name="Stand",
        brand=catalog.brand,
        kind=Campaign.Kind.DISPLAY,
        starts_on=DAY,
        ends_on=DAY + timedelta(days=9),
    )
    campaign.products.set([catalog.nuts])
    PaidPlacement.objects.create(
        campaign=campaign,
        store=catalog.other_store,
        display_type="floor_stand",
        starts_on=DAY,
        ends_on=DAY + timedelta(days=9),
        fee=Decimal("80"),
    )
    shown = regressors.display_days(
        store_ids=[catalog.other_store.pk],
        product_ids=[catalog.nuts.pk],
        start=DAY,
        end=DAY + timedelta(days=9),
        as_of=DAY + timedelta(days=4),
    )
    assert set(shown[(catalog.other_store.pk, catalog.nuts.pk)]) == days(DAY + timedelta(days=5), 5)


def test_a_stockout_is_carried_until_the_next_visit_for_at_most_three_days(catalog, visit_for):
    from shelfai.compliance.models import SkuObservation

    for offset, empty in [(0, True), (1, False), (10, True), (20, True)]:
        SkuObservation.objects.create(
            store=catalog.store,
            product=catalog.chips,
            visit=visit_for(catalog.store),
            observed_on=DAY + timedelta(days=offset),
            out_of_stock=empty,
        )
    out = regressors.stockout_days(
        store_ids=[catalog.store.pk],
        product_ids=[catalog.chips.pk],
        start=DAY,
        end=DAY + timedelta(days=21),
        carry_days=3,
    )
    assert out[(catalog.store.pk, catalog.chips.pk)] == {DAY} | days(DAY + timedelta(days=10), 3) | days(
        DAY + timedelta(days=20), 2
    )


def test_histories_carry_the_signals_and_mask_stockouts(sales_history, visit_for):
    from forecasting import selectors
    from shelfai.compliance.models import SkuObservation

    empty_day = sales_history.sales_end - timedelta(days=30)
    SkuObservation.objects.create(
        store=sales_history.store,
        product=sales_history.nuts,
        visit=visit_for(sales_history.store),
        observed_on=empty_day,
        out_of_stock=True,
    )
    key_nuts = (sales_history.store.pk, sales_history.nuts.pk)
    key_chips = (sales_history.store.pk, sales_history.chips.pk)
    data = selectors.daily_histories([key_nuts, key_chips])
    nuts, chips = data.histories[key_nuts], data.histories[key_chips]
    assert set(nuts.loc[nuts["oos"], "ds"].dt.date) == days(empty_day, 3)
    past = sales_history.past_campaign
    on_promo = set(chips.loc[chips["promo"] == 1, "ds"].dt.date)
    assert days(past.starts_on, 14) <= on_promo
    assert nuts["promo"].sum() == 0
