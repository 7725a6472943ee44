"""Planning API routes. The project includes them under /api/forecasting/ (and /planning/ for the pages)."""

from django.urls import path

from forecasting import api

app_name = "forecasting"

urlpatterns = [
    path("sales/import/", api.SalesImportView.as_view(), name="sales-import"),
    path("runs/", api.ForecastRunCreateView.as_view(), name="run-create"),
    path("runs/<int:run_id>/", api.ForecastRunDetailView.as_view(), name="run-detail"),
    path("forecast/", api.ForecastView.as_view(), name="forecast"),
    path("inventory-plans/", api.InventoryPlanView.as_view(), name="inventory-plan"),
    path("campaigns/compare/", api.CampaignCompareView.as_view(), name="campaign-compare"),
    path("campaigns/<int:campaign_id>/uplift/", api.CampaignUpliftView.as_view(), name="campaign-uplift"),
]
