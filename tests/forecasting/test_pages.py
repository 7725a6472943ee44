"""The planning pages: forecast chart and runs, inventory recommendations, campaign uplift; who may see them;
forms that say what is wrong next to the field and keep what was typed."""

from __future__ import annotations

import math
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from forecasting import runs
from forecasting.models import ForecastPoint, ForecastRun, InventoryPlan, Level, ModelName, SeriesFit
from forecasting.plan_services import campaign_uplift_estimate
from shelfai import formats
from shelfai.accounts.models import Role, User

PAGES = ["/planning/", "/planning/inventory/", "/planning/campaigns/"]
EFFECTS = {
    "promo": {"coef": 0.35, "se": 0.05},
    "display": {"coef": 0.2, "se": 0.06},
    "price_index": {"coef": -1.5, "se": 0.3},
}


def finished_run(world, *, horizon: int = 28, effects: dict | None = None) -> ForecastRun:
    """A finished daily run written as rows (no fit, so it is fast): every store x SKU and the SKU totals,
    forecasting from the day after the last sale, with the planned campaign's promotion and display in it."""
    effects = EFFECTS if effects is None else effects
    run = ForecastRun.objects.create(
        freq="D", horizon=horizon, status=ForecastRun.Status.DONE, finished_at=timezone.now()
    )
    planned = world.planned_campaign
    series = [
        (store, product)
        for store in (world.store, world.other_store)
        for product in (world.chips, world.nuts)
    ]
    series += [(None, world.chips), (None, world.nuts)]
    points = []
    for store, product in series:
        level = Level.SERIES if store else Level.SKU
        SeriesFit.objects.create(
            run=run, level=level, store=store, product=product, model=ModelName.PROPHET, effects=effects
        )
        for i in range(horizon):
            day = world.sales_end + timedelta(days=i + 1)
            on = product == world.chips and planned.starts_on <= day <= planned.ends_on
            promo, display = float(on), float(on and store == world.store)
            price_index = 0.9 if on else 1.0
            log_units = math.log1p(8.0 + 3.0 * (day.weekday() >= 5))
            log_units += 0.35 * promo + 0.2 * display - 1.5 * (price_index - 1)
            yhat = math.expm1(log_units)
            points.append(
                ForecastPoint(
                    run=run,
                    level=level,
                    store=store,
                    product=product,
                    date=day,
                    yhat=yhat,
                    yhat_lower=yhat * 0.7,
                    yhat_upper=yhat * 1.3,
                    model=ModelName.PROPHET,
                    promo=promo,
                    display=display,
                    price_index=price_index,
                )
            )
    ForecastPoint.objects.bulk_create(points)
    run.series_total = run.series_done = len(series)
    run.save(update_fields=["series_total", "series_done"])
    return run


@pytest.fixture
def planner(catalog):
    return User.objects.create_user("planner", password="pw-planner", role=Role.PLANNING)


@pytest.fixture
def planner_client(client, planner):
    client.force_login(planner)
    return client


def field_errors(page: str, field: str) -> str:
    """The error list Django renders right after the field, linked to it by id."""
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    return found.group(1) if found else ""


# --- who may see the pages -----------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES + ["/planning/campaigns/1/"])
def test_an_anonymous_visitor_is_sent_to_sign_in(client, world, page):
    response = client.get(page)
    assert response.status_code == 302 and response["Location"].startswith(f"/accounts/login/?next={page}")


@pytest.mark.parametrize("who", ["rep", "finance"])
def test_reps_and_finance_get_a_404_even_for_a_campaign_that_exists(sales_history, client, who):
    client.force_login(sales_history.users[who])
    for page in PAGES + [f"/planning/campaigns/{sales_history.planned_campaign.pk}/"]:
        assert client.get(page).status_code == 404, page
    assert client.post("/planning/runs/", {"freq": "D"}).status_code == 404
    assert client.post("/planning/inventory/", {"lead_time_days": 3}).status_code == 404
    assert not ForecastRun.objects.exists() and not InventoryPlan.objects.exists()


def test_planning_marketing_and_admin_users_get_every_page_never_cached(sales_history, client, planner):
    finished_run(sales_history)
    for user in (planner, sales_history.users["marketing"], sales_history.users["admin"]):
        client.force_login(user)
        for page in PAGES + [f"/planning/campaigns/{sales_history.planned_campaign.pk}/"]:
            response = client.get(page)
            assert response.status_code == 200, (user.username, page)
            assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_a_campaign_that_does_not_exist_is_a_404(planner_client):
    assert planner_client.get("/planning/campaigns/999999/").status_code == 404


# --- forecast chart ------------------------------------------------------------------------------------


def test_the_chart_shows_history_forecast_band_campaigns_and_stockouts(sales_history, planner_client):
    from shelfai.compliance.models import SkuObservation
    from shelfai.visits.models import Visit

    empty_day = sales_history.sales_end - timedelta(days=20)
    SkuObservation.objects.create(
        store=sales_history.store,
        product=sales_history.chips,
        visit=Visit.objects.create(rep=sales_history.users["rep"], store=sales_history.store),
        observed_on=empty_day,
        out_of_stock=True,
    )
    run = finished_run(sales_history)
    page = planner_client.get("/planning/", {"sku": "chips-150", "store": "s1"}).content.decode()

    assert f"Run {run.pk} · model: <strong>Prophet</strong>" in page
    for series in ("history", "forecast", "interval"):
        assert re.search(rf'<path class="\w+" data-series="{series}" d="M[\d.]+,[\d.]+ L', page), series
    planned, past = sales_history.planned_campaign, sales_history.past_campaign
    day = formats.day  # the shaded periods' titles write their dates the locale's way
    assert f"Promotion or display: {day(planned.starts_on)} to {day(planned.ends_on)}" in page
    assert f"Promotion or display: {day(past.starts_on)} to {day(past.ends_on)}" in page
    assert f"Out of stock: {day(empty_day)} to {day(empty_day + timedelta(days=2))}" in page  # until a revisit
    assert "Units per day</text>" in page and ">Date</text>" in page
    assert "80% interval of the forecast</li>" in page
    table = page.split('data-table="forecast-numbers"')[1]
    assert table.count('class="future"') == run.horizon and table.count("<td>yes</td>") == 3
    assert 'data-table="effects"' in page and "Promotion</th>" in page


def test_the_sku_total_is_the_default_and_a_region_can_be_picked(sales_history, planner_client):
    finished_run(sales_history)
    page = planner_client.get("/planning/").content.decode()
    assert "chips-150 · Chips — all stores" in page and 'data-series="forecast"' in page
    page = planner_client.get("/planning/", {"sku": "nuts-200", "region": "north"}).content.decode()
    assert "nuts-200 · Nuts — region North" in page
    assert "This series was not in the run." in page and 'data-series="history"' in page


def test_before_any_run_the_history_shows_with_how_to_start_one(sales_history, planner_client):
    page = planner_client.get("/planning/", {"sku": "chips-150", "store": "s2"}).content.decode()
    assert "No finished forecast run yet (daily)" in page
    assert 'data-series="history"' in page and 'data-series="forecast"' not in page
    assert "Start a forecast run" in page


def test_an_unknown_sku_is_an_error_next_to_the_field(sales_history, planner_client):
    page = planner_client.get("/planning/", {"sku": "caviar-50"}).content.decode()
    assert "caviar-50 is not one of the available choices" in field_errors(page, "sku")
    assert 'aria-invalid="true"' in page and "<svg" not in page


def test_without_sales_the_page_says_how_to_import_them(planner_client):
    assert "No sales imported yet" in planner_client.get("/planning/").content.decode()


def test_a_real_fit_is_drawn_with_its_model_and_learned_promotion(sales_history, planner_client):
    run = runs.forecast_run_create(
        horizon=21,
        store_ids=[sales_history.store.pk],
        product_ids=[sales_history.chips.pk],
        levels=(Level.SERIES,),
        select=False,
        dispatch=None,
    )
    runs.forecast_run_execute(run.pk)
    page = planner_client.get("/planning/", {"sku": "chips-150", "store": "s1"}).content.decode()
    assert "model: <strong>Prophet</strong>" in page and 'data-series="interval"' in page
    lift = re.search(r"Promotion</th><td class=\"num\">\+(\d+)%", page)
    assert lift and int(lift.group(1)) > 10  # the demo data has +40% on promotion


# --- forecast runs -------------------------------------------------------------------------------------


def test_starting_a_run_queues_it_and_shows_its_progress(
    sales_history, planner_client, planner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as sent:
        response = planner_client.post(
            "/planning/runs/",
            {"freq": "W", "horizon": "8", "back": "sku=nuts-200&store=s2&next=//evil.example"},
        )
    assert response.status_code == 302
    assert response["Location"] == "/planning/?sku=nuts-200&store=s2#runs"  # only the chart selection
    run = ForecastRun.objects.get()
    assert (run.freq, run.horizon, run.status, run.created_by) == ("W", 8, "queued", planner)
    assert len(sent) == 1  # the task is sent once the row is committed

    page = planner_client.get("/planning/", {"sku": "nuts-200", "store": "s2"}).content.decode()
    assert f"Forecast run {run.pk} is queued" in page
    assert f'data-poll-url="/api/forecasting/runs/{run.pk}/"' in page and "js/planning.js" in page
    assert "Queued</span>" in page and "0 of 0 series" in page

    again = planner_client.post("/planning/runs/", {"freq": "D"})
    assert again.status_code == 400
    assert f"Run {run.pk} is still queued" in again.content.decode() and ForecastRun.objects.count() == 1


def test_a_run_form_with_a_bad_horizon_keeps_the_value_and_says_why(sales_history, planner_client):
    response = planner_client.post("/planning/runs/", {"freq": "D", "horizon": "0"})
    page = response.content.decode()
    assert response.status_code == 400 and not ForecastRun.objects.exists()
    assert "greater than or equal to 1" in field_errors(page, "horizon")
    assert re.search(r'<input type="number" name="horizon" value="0"', page)


def test_starting_a_run_needs_the_csrf_token(sales_history, planner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(planner)
    assert client.post("/planning/runs/", {"freq": "D"}).status_code == 403
    assert not ForecastRun.objects.exists()


# --- inventory -----------------------------------------------------------------------------------------


def test_inventory_recommendations_per_store_and_sku_are_explained_and_saved(
    sales_history, planner_client, planner
):
    run = finished_run(sales_history)
    form = {
        "sku": "chips-150",
        "lead_time_days": "3",
        "review_period_days": "7",
        "service_level": "95",
        "on_hand": "0",
        "on_order": "0",
        "case_size": "6",
    }
    response = planner_client.post("/planning/inventory/", form)
    page = response.content.decode()
    assert response.status_code == 200
    plans = list(InventoryPlan.objects.order_by("store__code"))
    assert [(p.store.code, p.product.sku, p.run_id, p.created_by) for p in plans] == [
        ("s1", "chips-150", run.pk, planner),
        ("s2", "chips-150", run.pk, planner),
    ]
    table = page.split('data-table="inventory"')[1]
    for plan in plans:
        assert plan.explanation in table and f"<strong>{plan.order_quantity}</strong>" in table
        assert plan.order_quantity % 6 == 0 and plan.reorder_point > plan.lead_time_demand
    assert "3-day lead time" in table and "95% service level" in table
    assert 'value="3"' in page and 'value="6"' in page  # the form keeps what was typed


def test_inventory_form_errors_sit_next_to_their_fields_and_keep_what_was_typed(
    sales_history, planner_client
):
    finished_run(sales_history)
    form = {
        "sku": "chips-150",
        "lead_time_days": "soon",
        "review_period_days": "7",
        "service_level": "120",
        "on_hand": "40",
        "on_order": "0",
        "case_size": "1",
    }
    response = planner_client.post("/planning/inventory/", form)
    page = response.content.decode()
    assert response.status_code == 400 and not InventoryPlan.objects.exists()
    assert "Enter a whole number" in field_errors(page, "lead_time_days")
    assert "less than or equal to 99.9" in field_errors(page, "service_level")
    assert "pick a store and a SKU" in field_errors(page, "on_hand")
    assert 'value="soon"' in page and 'value="120"' in page and 'value="40"' in page
    assert 'aria-describedby="id_service_level_helptext id_service_level_error"' in page


def test_a_lead_time_longer_than_the_forecast_is_refused(sales_history, planner_client):
    run = finished_run(sales_history, horizon=14)
    form = {
        "store": "s1",
        "sku": "nuts-200",
        "lead_time_days": "10",
        "review_period_days": "7",
        "service_level": "95",
        "on_hand": "5",
        "on_order": "0",
        "case_size": "1",
    }
    page = planner_client.post("/planning/inventory/", form).content.decode()
    assert f"17 days, but forecast run {run.pk} covers 14" in field_errors(page, "lead_time_days")
    assert not InventoryPlan.objects.exists()


def test_inventory_without_a_finished_run_says_to_start_one(sales_history, planner_client):
    assert "no finished daily forecast run yet" in planner_client.get("/planning/inventory/").content.decode()
    form = {
        "lead_time_days": "3",
        "review_period_days": "7",
        "service_level": "95",
        "on_hand": "0",
        "on_order": "0",
        "case_size": "1",
    }
    response = planner_client.post("/planning/inventory/", form)
    assert response.status_code == 400 and "start one on Forecast" in response.content.decode()


# --- campaigns -----------------------------------------------------------------------------------------


@pytest.fixture
def two_planned(sales_history):
    """The planned promotion with its display, and a pricey display of nuts at the other store."""
    from decimal import Decimal

    from shelfai.claims.models import Campaign, PaidPlacement

    planned = sales_history.planned_campaign
    stand = Campaign.objects.create(
        name="Nut stand",
        brand=sales_history.brand,
        kind=Campaign.Kind.DISPLAY,
        starts_on=planned.starts_on,
        ends_on=planned.ends_on,
    )
    stand.products.set([sales_history.nuts])
    PaidPlacement.objects.create(
        campaign=stand,
        store=sales_history.other_store,
        display_type="floor_stand",
        starts_on=stand.starts_on,
        ends_on=stand.ends_on,
        fee=Decimal("900"),
    )
    finished_run(sales_history)
    return planned, stand


def test_planned_campaigns_are_ranked_by_roi_with_units_revenue_and_intervals(two_planned, planner_client):
    estimates = {c.pk: campaign_uplift_estimate(campaign=c).result for c in two_planned}
    page = planner_client.get("/planning/campaigns/").content.decode()
    rows = re.findall(r'<tr data-campaign="(\d+)">', page)
    best_first = sorted(estimates, key=lambda pk: -estimates[pk].roi)
    assert [int(pk) for pk in rows] == best_first
    for result in estimates.values():
        assert result.incremental_units_low < result.incremental_units < result.incremental_units_high
        # One format on every page: numbers grouped, money with its currency, ROI in percent.
        assert f"{formats.number(result.incremental_units)}<br>" in page
        assert formats.money(result.incremental_revenue) in page
        assert f"{formats.percent(result.roi)}<br>" in page


def test_ticking_campaigns_compares_only_those(two_planned, planner_client):
    planned, stand = two_planned
    page = planner_client.get("/planning/campaigns/", {"ids": [stand.pk]}).content.decode()
    assert re.findall(r'<tr data-campaign="(\d+)">', page) == [str(stand.pk)]
    assert (
        "Comparing 1 ticked campaign" in page
        and f'value="{stand.pk}" id="compare-{stand.pk}" checked' in page
    )


def test_comparing_a_campaign_that_does_not_exist_says_so(two_planned, planner_client):
    response = planner_client.get("/planning/campaigns/", {"ids": ["424242"]})
    assert response.status_code == 400
    assert "Campaign 424242 does not exist" in response.content.decode()


def test_the_what_if_shows_what_a_display_not_put_up_costs(two_planned, planner_client, sales_history):
    from shelfai.claims.models import PlacementCheck
    from shelfai.visits.models import Visit

    planned, _ = two_planned
    url = f"/planning/campaigns/{planned.pk}/"
    before = planner_client.get(url).content.decode()
    assert "not checked yet (counted as fully executed)" in before
    assert re.search(r"Units gained by full execution</dt><dd>0 ", before)

    PlacementCheck.objects.create(
        placement=planned.placements.get(),
        visit=Visit.objects.create(rep=sales_history.users["rep"], store=sales_history.store),
        checked_on=planned.starts_on,
        verdict=PlacementCheck.Verdict.NOT_EXECUTED,
    )
    after = planner_client.get(url).content.decode()
    gained = campaign_uplift_estimate(campaign=planned, comparison="execution").result
    assert gained.incremental_units > 0
    assert f"Units gained by full execution</dt><dd>{gained.incremental_units:.0f} " in after
    assert "<td>0%</td>" in after  # the display at s1 was verified as not executed
    planned_roi = campaign_uplift_estimate(campaign=planned).result.roi
    assert f"ROI on revenue</dt><dd>{formats.percent(planned_roi)} " in after
