"""Forecasting routes. The project includes ``api_patterns`` (also ``urlpatterns``) under ``api/forecasting/``
and ``page_patterns`` under ``planning/``."""

from django.urls import path

from forecasting import api, views

app_name = "forecasting"

api_patterns = [
    path("sales/import/", api.SalesImportView.as_view(), name="sales-import"),
    path("runs/", api.ForecastRunCreateView.as_view(), name="run-create"),
    path("runs/<int:run_id>/", api.ForecastRunDetailView.as_view(), name="run-detail"),
    path("forecast/", api.ForecastView.as_view(), name="forecast"),
    path("inventory-plans/", api.InventoryPlanView.as_view(), name="inventory-plan"),
    path("campaigns/compare/", api.CampaignCompareView.as_view(), name="campaign-compare"),
    path("campaigns/<int:campaign_id>/uplift/", api.CampaignUpliftView.as_view(), name="campaign-uplift"),
]

page_patterns = [
    path("", views.forecast_page, name="forecast-page"),
    path("runs/", views.forecast_run_start, name="planning-run-start"),
    path("inventory/", views.inventory_page, name="planning-inventory"),
    path("campaigns/", views.campaigns_page, name="planning-campaigns"),
    path("campaigns/<int:campaign_id>/", views.campaign_page, name="planning-campaign"),
]

urlpatterns = api_patterns
