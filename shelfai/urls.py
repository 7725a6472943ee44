from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

import forecasting.urls as forecasting_urls
from shelfai.claims import urls as claims_urls
from shelfai.pipeline import api as photos_api
from shelfai.visits import api as visits_api

api_patterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("claims/", include(claims_urls.api_patterns)),
    path("stores/", visits_api.StoreListApi.as_view(), name="api-stores"),
    path("visits/", visits_api.VisitListCreateApi.as_view(), name="api-visits"),
    path("visits/<uuid:public_id>/", visits_api.VisitDetailApi.as_view(), name="api-visit-detail"),
    path("visits/<uuid:public_id>/photos/", photos_api.PhotoUploadApi.as_view(), name="api-photo-upload"),
    path("photos/<uuid:public_id>/", photos_api.PhotoDetailApi.as_view(), name="api-photo-detail"),
    path(
        "photos/<uuid:public_id>/original/",
        photos_api.PhotoFileApi.as_view(),
        {"kind": "original"},
        name="api-photo-original",
    ),
    path(
        "photos/<uuid:public_id>/evidence/",
        photos_api.PhotoFileApi.as_view(),
        {"kind": "evidence"},
        name="api-photo-evidence",
    ),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include(api_patterns)),
    path("api/forecasting/", include("forecasting.urls")),
    path("analytics/", include("analytics.urls")),
    path("planning/", include(forecasting_urls.page_patterns)),
    path("claims/", include(claims_urls.page_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("", include("shelfai.web.urls")),
]
