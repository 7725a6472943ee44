from django.urls import path

from shelfai.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("rep/", views.rep_capture, name="rep-capture"),
    path("sw.js", views.service_worker, name="service-worker"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", views.healthz, name="healthz"),
]
