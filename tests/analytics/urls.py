"""The project's URLs with /analytics/ mounted, for tests run before the lead's include lands.

Once shelfai/urls.py includes analytics.urls this adds nothing (the first match wins either way).
"""

from django.urls import include, path

from shelfai.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("analytics/", include("analytics.urls")), *project_urlpatterns]
