from django.urls import path
from django.views.i18n import JavaScriptCatalog

from shelfai.web import preferences, views

urlpatterns = [
    path("", views.home, name="home"),
    path("rep/", views.rep_capture, name="rep-capture"),
    path("sw.js", views.service_worker, name="service-worker"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", views.healthz, name="healthz"),
    path("settings/", preferences.preferences_page, name="user-settings"),
    path("i18n/language/", preferences.set_language, name="set-language"),
    # The scripts' translations (djangojs) for the active language; base.html loads it before any page script.
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
]
