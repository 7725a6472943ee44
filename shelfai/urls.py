from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.authtoken.views import obtain_auth_token

import forecasting.urls as forecasting_urls
from shelfai.claims import api as claims_api
from shelfai.claims import urls as claims_urls
from shelfai.compliance import api as compliance_api
from shelfai.pipeline import api as photos_api
from shelfai.stores import api as stores_api
from shelfai.visits import api as visits_api

# JSON, not an HTML page, for an /api/ path no route matches and for an unhandled error under /api/;
# for a page, one styled page that says what the user can do instead.
handler404 = "shelfai.web.refusals.page_not_found"
handler500 = "shelfai.api_errors.server_error"
handler403 = "shelfai.web.refusals.permission_denied"

api_patterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("claims/", include(claims_urls.api_patterns)),
    path("campaigns/", claims_api.CampaignListApi.as_view(), name="api-campaigns"),
    path("placements/", claims_api.PlacementListApi.as_view(), name="api-placements"),
    path("placements/<int:pk>/checks/", claims_api.PlacementChecksApi.as_view(), name="api-placement-checks"),
    path("skus/", stores_api.ProductListApi.as_view(), name="api-skus"),
    path("planograms/", stores_api.PlanogramListApi.as_view(), name="api-planograms"),
    path("planograms/<int:pk>/", stores_api.PlanogramDetailApi.as_view(), name="api-planogram-detail"),
    path("stores/", visits_api.StoreListApi.as_view(), name="api-stores"),
    path("visits/", visits_api.VisitListCreateApi.as_view(), name="api-visits"),
    path("visits/<uuid:public_id>/", visits_api.VisitDetailApi.as_view(), name="api-visit-detail"),
    path("visits/<uuid:public_id>/end/", visits_api.VisitEndApi.as_view(), name="api-visit-end"),
    path("visits/<uuid:public_id>/photos/", photos_api.PhotoUploadApi.as_view(), name="api-photo-upload"),
    path("visits/<uuid:public_id>/results/", compliance_api.VisitResultsApi.as_view(), name="api-visit-results"),
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
    path("rep/claims/", include(claims_urls.rep_patterns)),
    path("review/", include("shelfai.review.urls")),
    path("alerts/", include("shelfai.alerts.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: the CSP allows no inline scripts.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html"),
         name="api-redoc"),
    path("", include("shelfai.web.urls")),
]
