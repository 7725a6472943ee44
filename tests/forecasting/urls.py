"""The project's routes plus the forecasting API, until the lead wires it into shelfai/urls.py."""

from django.urls import include, path

from shelfai import urls as project_urls

urlpatterns = [
    path("api/forecasting/", include("forecasting.urls")),
    *project_urls.urlpatterns,
]
