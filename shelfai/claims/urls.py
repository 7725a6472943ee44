"""Claims routes. The project urls include ``api_patterns`` under ``api/claims/`` and
``page_patterns`` under ``claims/``."""

from django.urls import path

from shelfai.claims import api, rep_views, views

api_patterns = [
    path("", api.ClaimListCreateApi.as_view(), name="api-claims"),
    path("import/", api.ClaimImportApi.as_view(), name="api-claims-import"),
    path("export/", api.ClaimExportApi.as_view(), name="api-claims-export"),
    path("<int:pk>/", api.ClaimDetailApi.as_view(), name="api-claim-detail"),
    path("<int:pk>/decision/", api.ClaimDecideApi.as_view(), name="api-claim-decide"),
    path("<int:pk>/reopen/", api.ClaimReopenApi.as_view(), name="api-claim-reopen"),
    path("<int:pk>/audit/", api.ClaimAuditApi.as_view(), name="api-claim-audit"),
]

page_patterns = [
    path("", views.claims_queue, name="claims-queue"),
    path("export.csv", views.claims_export, name="claims-export"),
    path("import/", views.claims_import, name="claims-import"),
    path("<int:pk>/", views.claim_detail, name="claim-detail"),
    path("<int:pk>/decide/", views.claim_decide, name="claim-decide"),
    path("<int:pk>/reopen/", views.claim_reopen, name="claim-reopen"),
]

# The rep's claims on the phone, under ``rep/claims/``.
rep_patterns = [
    path("", rep_views.rep_claims, name="rep-claims"),
    path("new/", rep_views.rep_claim_new, name="rep-claim-new"),
    path("new/<int:placement_id>/", rep_views.rep_claim_form, name="rep-claim-form"),
    path("<int:pk>/", rep_views.rep_claim_detail, name="rep-claim"),
]

urlpatterns = page_patterns
