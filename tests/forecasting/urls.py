"""The project routes (which include the forecasting API) plus the forecast page, until the lead wires it."""

from django.urls import include, path

from forecasting import urls as forecasting_urls
from shelfai import urls as project_urls

urlpatterns = [
    path("planning/", include(forecasting_urls.page_patterns)),
    *project_urls.urlpatterns,
]
