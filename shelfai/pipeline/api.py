"""The photo API: upload (which starts a photo's journey), its status and result, its files.

Here rather than in ``visits`` because a photo's status and result span every stage after intake.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shelfai import formats
from shelfai.accounts.roles import Action, hide_unless
from shelfai.pipeline import checklist
from shelfai.pipeline.serializers import PhotoOutput
from shelfai.pipeline.stages import photos_submitted
from shelfai.visits import services
from shelfai.visits.selectors import photos_visible_to, visits_visible_to


class PhotoUploadApi(APIView):
    """GET lists a visit's photos; POST uploads more (the visit's ``photos_url``)."""

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        photos = serializers.ListField(
            child=serializers.FileField(allow_empty_file=True), min_length=1,
            max_length=settings.PHOTO_MAX_FILES_PER_REQUEST,
            help_text="One or more JPEG, PNG, WebP or HEIC photos, each its own 'photos' part.")
        client_upload_ids = serializers.ListField(
            child=serializers.CharField(max_length=64), min_length=1,
            max_length=settings.PHOTO_MAX_FILES_PER_REQUEST,
            help_text="One id per photo, made by the phone; re-sending the same id never makes a second photo.",
        )
        task = serializers.IntegerField(
            required=False, allow_null=True,
            help_text="The checklist task (from the visit's tasks) the photos were taken for. Without it, "
                      "each photo is matched to the planogram whose products it shows most of.")

        class Meta:
            ref_name = "PhotoUploadInput"

    @extend_schema(responses=PhotoOutput(many=True), summary="A visit's photos, in the order they were sent")
    def get(self, request: Request, public_id) -> Response:
        hide_unless(request.user, Action.VISITS_READ)
        visit = get_object_or_404(visits_visible_to(request.user), public_id=public_id)
        photos = photos_visible_to(request.user).filter(visit=visit).order_by("uploaded_at", "pk")
        return Response(PhotoOutput(photos, many=True, context={"request": request}).data)

    @extend_schema(request={"multipart/form-data": InputSerializer},
                   responses={202: PhotoOutput(many=True), 413: OpenApiResponse(description="A photo is too large")},
                   summary="Upload photos")
    def post(self, request: Request, public_id) -> Response:
        hide_unless(request.user, Action.PHOTO_UPLOAD)
        # Only the rep who owns the visit may add photos to it; anyone else gets a 404.
        visit = get_object_or_404(visits_visible_to(request.user).filter(rep=request.user), public_id=public_id)
        if not hasattr(request.data, "getlist"):
            # No body at all parses to a plain dict: nothing was sent (found by schemathesis: a 500).
            return Response({"detail": gettext("Send the photos as multipart/form-data in the 'photos' field.")},
                            status=400)
        files = request.FILES.getlist("photos")
        ids = request.data.getlist("client_upload_ids") or request.data.getlist("client_upload_id")
        if not files:
            return Response({"detail": gettext("Attach at least one photo in the 'photos' field.")}, status=400)
        if len(files) > settings.PHOTO_MAX_FILES_PER_REQUEST:
            return Response(
                {"detail": gettext("At most %(n)s photos per request.") % {"n": settings.PHOTO_MAX_FILES_PER_REQUEST}},
                status=400
            )
        try:
            task = checklist.task_for_upload(visit, _task_id(request.data.get("task")))
        except checklist.TaskNotFound as exc:
            raise Http404(str(exc)) from None
        if len(ids) != len(files):
            return Response(
                {"detail": gettext("Send one client_upload_ids value per photo (%(photos)s photos, %(ids)s ids).") % {
                    "photos": len(files), "ids": len(ids)}},
                status=400,
            )
        pending, errors = [], []
        for index, (upload, client_id) in enumerate(zip(files, ids, strict=True)):
            if upload.size > settings.PHOTO_MAX_BYTES:
                errors.append({"index": index, "client_upload_id": client_id, "status": 413,
                               "detail": gettext("The file is %(size)s MB; the limit is %(limit)s MB.") % {
                                   "size": formats.number(upload.size / 1e6, 1),
                                   "limit": formats.number(settings.PHOTO_MAX_BYTES / 1e6)}})
                continue
            try:
                pending.append(services.validate_upload(client_upload_id=client_id, data=upload.read()))
            except services.IntakeError as exc:
                errors.append({"index": index, "client_upload_id": client_id, "status": exc.status,
                               "detail": str(exc)})
        if errors:
            # All or nothing: a request with a bad file stores none of its files.
            code = 413 if all(e["status"] == 413 for e in errors) else 400
            return Response({"detail": errors[0]["detail"], "errors": errors}, status=code)
        with transaction.atomic():
            results = services.photos_accept(visit=visit, user=request.user, uploads=pending)
            checklist.photos_bind([photo for photo, created in results if created], task)
            if visit.checklist:
                checklist.checklist_refresh(visit)
        photos_submitted([photo.pk for photo, created in results if created])
        body = PhotoOutput([photo for photo, _ in results], many=True, context={"request": request}).data
        for item, (_, created) in zip(body, results, strict=True):
            item["created"] = created
        return Response(body, status=status.HTTP_202_ACCEPTED)


def _task_id(value) -> int | None:
    """The upload's task field: empty means none; anything but a whole number is a 404 like a wrong id."""
    if value in (None, "", "null"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404(gettext("Task %(task)s is not on this visit's checklist.") % {"task": repr(value)}) from None


class PhotoDetailApi(APIView):
    @extend_schema(responses=PhotoOutput, summary="A photo's status and, once scored, its result")
    def get(self, request: Request, public_id) -> Response:
        hide_unless(request.user, Action.VISITS_READ)
        photo = get_object_or_404(photos_visible_to(request.user), public_id=public_id)
        return Response(PhotoOutput(photo, context={"request": request}).data)


class PhotoFileApi(APIView):
    """The original as sent, or the evidence image with boxes. Same scoping as the photo itself."""

    @extend_schema(responses={(200, "image/*"): bytes})
    def get(self, request: Request, public_id, kind: str) -> FileResponse:
        hide_unless(request.user, Action.VISITS_READ)
        photo = get_object_or_404(photos_visible_to(request.user), public_id=public_id)
        if kind == "original":
            field, content_type = photo.original, photo.content_type
        else:
            field, content_type = photo.evidence_image, "image/jpeg"
        if not field:
            raise Http404(gettext("No evidence image yet: the photo has not been analysed."))
        response = FileResponse(field.open("rb"), content_type=content_type)
        response["Cache-Control"] = "private, max-age=3600"
        return response
