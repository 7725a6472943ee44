"""The project's URLs plus one API view that fails, to see what a 500 under /api/ looks like."""

from django.urls import path
from rest_framework.views import APIView

from shelfai.urls import urlpatterns as project_urlpatterns


class BoomApi(APIView):
    def get(self, request):
        raise RuntimeError("a bug")


urlpatterns = [path("api/test-boom/", BoomApi.as_view()), path("test-boom/", BoomApi.as_view()),
               *project_urlpatterns]
handler404 = "shelfai.api_errors.not_found"
handler500 = "shelfai.api_errors.server_error"
