"""The planning API: who may use it, imports, forecasts with history, inventory plans, campaign uplift."""

from __future__ import annotations

import pytest

from forecasting import runs
from forecasting.models import ForecastRun, Level, SalesRecord
from tests.forecasting.conftest import sales_csv


@pytest.fixture
def fitted(sales_history):
    run = runs.forecast_run_create(horizon=21, levels=(Level.SERIES, Level.SKU), select=False, dispatch=None)
    sales_history.run = runs.forecast_run_execute(run.pk)
    return sales_history


@pytest.fixture
def planner(catalog):
    from shelfai.accounts.models import Role, User

    return User.objects.create_user("planner", password="pw-planner", role=Role.PLANNING)


@pytest.mark.parametrize("who", ["rep", "finance"])
def test_reps_and_finance_have_no_access(catalog, api_for, who):
    client = api_for(catalog.users[who])
    assert client.get("/api/forecasting/forecast/", {"sku": "chips-150"}).status_code == 403
    assert client.post("/api/forecasting/sales/import/", {}).status_code == 403


def test_planning_marketing_and_admin_users_get_in(catalog, api_for, planner):
    for user in (planner, catalog.users["marketing"], catalog.users["admin"]):
        response = api_for(user).get("/api/forecasting/forecast/", {"sku": "chips-150"})
        assert response.status_code == 404  # no run yet, and it says what to do
        assert "start one" in response.json()["detail"]


def test_a_bad_upload_lists_its_problems_and_imports_nothing(catalog, api_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "sales.csv", sales_csv(["2025-03-01,s1,chips-150,1,abc,0,0", "2025-03-02,s7,x,1,,,"])
    )
    response = api_for(catalog.users["admin"]).post("/api/forecasting/sales/import/", {"file": upload})
    assert response.status_code == 400
    assert response.json()["errors"] == ["line 2: price 'abc' is not a number."]
    assert SalesRecord.objects.count() == 0


def test_a_good_upload_is_imported(catalog, api_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("sales.csv", sales_csv(["2025-03-01,s1,chips-150,4,2.5,0,0"]))
    response = api_for(catalog.users["admin"]).post("/api/forecasting/sales/import/", {"file": upload})
    assert response.status_code == 201 and response.json()["rows"] == 1


def test_the_forecast_comes_with_history_marks_and_effects(fitted, api_for):
    client = api_for(fitted.users["marketing"])
    body = client.get(
        "/api/forecasting/forecast/", {"sku": "chips-150", "store": "s1", "history_days": 120}
    ).json()
    assert body["run"] == fitted.run.pk and body["level"] == "series" and body["model"] == "prophet"
    assert len(body["history"]) == 120 and len(body["forecast"]) == 21
    assert any(day["promo"] == 1 for day in body["history"]) and any(
        day["display"] == 1 for day in body["history"]
    )
    assert all(point["yhat_lower"] <= point["yhat"] <= point["yhat_upper"] for point in body["forecast"])
    promo = body["effects"]["promo"]
    assert promo["low"] < promo["lift"] < promo["high"] and promo["lift"] > 0.1  # the demo data has +40%
    total = client.get("/api/forecasting/forecast/", {"sku": "chips-150"}).json()
    assert total["level"] == "sku" and len(total["forecast"]) == 21


def test_an_inventory_plan_is_explained(fitted, api_for):
    payload = {
        "store": "s1",
        "sku": "nuts-200",
        "lead_time_days": 3,
        "service_level": 0.95,
        "on_hand": 10,
        "case_size": 12,
    }
    response = api_for(fitted.users["admin"]).post(
        "/api/forecasting/inventory-plans/", payload, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["order_quantity"] % 12 == 0 and float(body["reorder_point"]) > float(body["lead_time_demand"])
    assert "3-day lead time" in body["explanation"] and "cases of 12" in body["explanation"]


def test_an_inventory_plan_without_a_forecast_says_why(catalog, api_for):
    payload = {"store": "s1", "sku": "nuts-200", "lead_time_days": 3}
    response = api_for(catalog.users["admin"]).post(
        "/api/forecasting/inventory-plans/", payload, format="json"
    )
    assert response.status_code == 400 and "fit_forecasts" in response.json()["detail"]


def test_campaign_uplift_and_the_execution_what_if(fitted, api_for):
    from shelfai.claims.models import PlacementCheck
    from shelfai.visits.models import Visit

    client = api_for(fitted.users["marketing"])
    planned = fitted.planned_campaign
    body = client.get(f"/api/forecasting/campaigns/{planned.pk}/uplift/").json()
    low, high = body["incremental_units_interval"]
    assert body["series"] == 2 and body["days"] == 14
    assert 0 < low < body["incremental_units"] < high
    assert body["fee"] == "250.00" and body["roi"] is not None and "ROI on revenue" in body["explanation"]
    placement = planned.placements.get()
    visit = Visit.objects.create(rep=fitted.users["rep"], store=fitted.store)
    PlacementCheck.objects.create(
        placement=placement,
        visit=visit,
        checked_on=planned.starts_on,
        verdict=PlacementCheck.Verdict.NOT_EXECUTED,
    )
    what_if = client.get(
        f"/api/forecasting/campaigns/{planned.pk}/uplift/", {"comparison": "execution"}
    ).json()
    assert what_if["incremental_units"] > 0  # units lost because the display was not put up


def test_campaigns_compare_best_roi_first_and_say_why_one_cannot_be_estimated(fitted, api_for):
    ids = f"{fitted.planned_campaign.pk},{fitted.past_campaign.pk}"
    body = api_for(fitted.users["marketing"]).get("/api/forecasting/campaigns/compare/", {"ids": ids}).json()
    first, second = body["campaigns"]
    assert first["campaign"] == fitted.planned_campaign.pk and first["roi"] is not None
    assert "it is measured after the fact instead" in second["notes"][0]  # never impossible advice


def test_starting_a_run_from_the_api(sales_history, api_for, django_capture_on_commit_callbacks):
    client = api_for(sales_history.users["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/forecasting/runs/", {"horizon": 7, "skus": ["nuts-200"], "levels": ["sku"]}, format="json"
        )
    assert response.status_code == 202 and response.json()["status"] == "queued"
    status = client.get(f"/api/forecasting/runs/{response.json()['id']}/").json()
    assert status["status"] == ForecastRun.Status.DONE and status["progress"] == 1.0
