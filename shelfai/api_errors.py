"""Every API error is JSON with a ``detail`` sentence (and field errors when a form was wrong)."""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

log = logging.getLogger(__name__)


def exception_handler(exc, context):
    if isinstance(exc, (OperationalError, InterfaceError)):
        # The database went away mid-request (a restart, a failover): nothing this request wrote
        # was kept, and a retry with the same client ids can never make a second copy.
        log.warning("Database unavailable during %s: %s", context.get("request") and context["request"].path, exc)
        return Response({"detail": "The server's database is briefly unavailable and nothing from this request "
                                   "was saved. Send it again in a minute."},
                        status=503, headers={"Retry-After": "30"})
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, list):
        response.data = {"detail": " ".join(str(item) for item in data)}
    elif isinstance(data, dict) and "detail" not in data:
        first = next(iter(data.values()), "")
        if isinstance(first, list):
            first = first[0] if first else ""
        response.data = {"detail": str(first), "errors": data}
    return response
