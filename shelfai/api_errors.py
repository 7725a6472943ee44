"""Every API error is JSON with a ``detail`` sentence (and field errors when a form was wrong).

DRF's exception handler covers what API views raise; ``not_found`` and ``server_error`` (the project's
handler404 / handler500) cover what never reaches one: a path no route matches and an unhandled
exception, which Django would otherwise answer with an HTML page an app cannot read.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

log = logging.getLogger(__name__)

# The largest id a client may name: what fits the database's integer keys. Past it, a filter or an
# OFFSET would be a database error (a 500), not an answer.
ID_MAX = 2**31 - 1


def exception_handler(exc, context):
    if isinstance(exc, (OperationalError, InterfaceError)):
        # The database went away mid-request (a restart, a failover): nothing this request wrote
        # was kept, and a retry with the same client ids can never make a second copy.
        log.warning("Database unavailable during %s: %s", context.get("request") and context["request"].path, exc)
        return Response({"detail": _("The server's database is briefly unavailable and nothing from this request "
                                     "was saved. Send it again in a minute.")},
                        status=503, headers={"Retry-After": "30"})
    if isinstance(exc, ParseError) and "Multipart form parse error" in str(exc.detail):
        # Django's parser gives up on a part header over its limit (a file name of ~1,000 bytes, say);
        # its own words name an internal, not what the sender can change.
        exc = ParseError(_("The upload's form could not be read: a file name or form field is too long or "
                           "malformed. Send the file with a short name (under 255 characters)."))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, list):
        response.data = {"detail": " ".join(_first_message(item) for item in data)}
    elif isinstance(data, dict) and "detail" not in data:
        response.data = {"detail": _first_message(next(iter(data.values()), "")), "errors": data}
    return response


def _first_message(value) -> str:
    """The first sentence in a nest of DRF errors: ``{"lines": {"non_field_errors": [ErrorDetail(...)]}}``
    is "This list may not be empty.", never the Python repr of the dict."""
    while isinstance(value, (list, dict)):
        if not value:
            return ""
        value = value[0] if isinstance(value, list) else next(iter(value.values()))
    return str(value)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": _("No API endpoint at %(path)s. The endpoints are listed at /api/schema/ "
                                         "and /api/docs/.") % {"path": request.path}}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return JsonResponse({"detail": _("Something went wrong on our side and nothing from this request was "
                                         "saved. It has been logged; send it again in a minute.")}, status=500)
    return defaults.server_error(request)


class BoundedPagination(LimitOffsetPagination):
    """limit/offset with bounds: at most 500 a page (a bigger limit gets 500), and an offset the database
    can take (``?limit=`` of 22 digits was a 500, "bigint out of range", with no bound)."""

    default_limit = 50
    max_limit = 500
    max_offset = ID_MAX

    def get_offset(self, request) -> int:
        offset = super().get_offset(request)
        if offset > self.max_offset:
            raise ValidationError({"offset": [_("Ensure this value is less than or equal to %(limit_value)s.") % {
                "limit_value": self.max_offset}]})
        return offset

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            bound = self.max_limit if parameter["name"] == self.limit_query_param else self.max_offset
            parameter["schema"].update(minimum=0, maximum=bound)
        return parameters


ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}, "errors": {}},
    "required": ["detail"],
}
# What any operation may answer besides its own responses, and why.
COMMON_ERRORS = {
    "400": "The request was wrong: `detail` says what, `errors` which field",
    "401": "Not signed in: send `Authorization: Token <key>` (POST /api/auth/token/)",
    "403": "Your role may not do this (README, Roles)",
    "404": "No such record, or not one you may see",
    "429": "Too many requests: wait `Retry-After` seconds",
    "503": "The database is briefly unavailable; nothing was saved: retry after `Retry-After` seconds",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}}


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents the JSON errors it may answer, so a
    generated client (and schemathesis) knows every status code it can get."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    # A claim is read in one of two shapes by the reader's role, and the desk's shape is the rep's plus
    # fields: a body can match both, so "any of", not "exactly one of".
    for name in ("ClaimForReader", "ClaimListItemForReader"):
        if "oneOf" in schemas.get(name, {}):
            schemas[name]["anyOf"] = schemas[name].pop("oneOf")
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            codes = dict(COMMON_ERRORS)
            if path == "/api/auth/token/":
                codes.pop("403")
            if "requestBody" in operation:
                codes["415"] = "The body's content type is not one this operation reads"
            for code, description in codes.items():
                existing = responses.get(code)
                if existing is None or not existing.get("content"):
                    responses[code] = {"description": (existing or {}).get("description") or description,
                                       "content": error}
                if code in ("429", "503"):
                    responses[code]["headers"] = RETRY_AFTER
            for code, response in responses.items():
                if code not in codes and code.startswith(("4", "5")) and not response.get("content"):
                    response["content"] = error
            # gunicorn itself refuses a request line over its 4 KB limit (plain HTML, before the API runs).
            responses.setdefault("414", {"description": "The URL is longer than the server accepts (4 KB): "
                                                        "send fewer or shorter query parameters"})
    return result
