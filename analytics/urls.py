"""Pages under /analytics/ (included from shelfai/urls.py)."""

from django.urls import path

from analytics import views

urlpatterns = [
    path("", views.dashboard, name="analytics-dashboard"),
    path("visits/", views.visit_list, name="analytics-visits"),
    path("visits/<uuid:public_id>/", views.visit_detail, name="analytics-visit"),
    path("photos/<uuid:public_id>/", views.photo_detail, name="analytics-photo"),
    path("photos/<uuid:public_id>/thumb.jpg", views.photo_thumbnail, name="analytics-photo-thumb"),
    path("placements/", views.placement_list, name="analytics-placements"),
    path("campaigns/", views.campaign_list, name="analytics-campaigns"),
    path("campaigns/<int:pk>/report/", views.campaign_report, name="analytics-campaign-report"),
    path("campaigns/<int:pk>/report.pdf", views.campaign_report_pdf, name="analytics-campaign-report-pdf"),
]
