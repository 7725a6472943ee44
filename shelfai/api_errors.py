"""Every API error is JSON with a ``detail`` sentence (and field errors when a form was wrong)."""

from __future__ import annotations

from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
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
