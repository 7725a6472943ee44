from django.urls import path

from shelfai.alerts import views

urlpatterns = [
    path("", views.alert_settings, name="alerts-settings"),
]
