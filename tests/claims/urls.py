"""The project's routes plus the claims routes, until the lead wires them into shelfai/urls.py.

Duplicates are harmless: Django takes the first match, and both point to the same views.
"""

from django.urls import include, path

from shelfai import urls as project_urls
from shelfai.claims import urls as claims_urls

urlpatterns = [
    path("api/claims/", include(claims_urls.api_patterns)),
    path("claims/", include(claims_urls.page_patterns)),
    *project_urls.urlpatterns,
]
