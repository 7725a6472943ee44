"""Scoring of analysed photos and visits: the ORM glue around the pure rules in this package."""

from __future__ import annotations

import logging

from django.db import transaction

from shelfai.analysis.models import DetectionRun
from shelfai.compliance.models import ComplianceResult
from shelfai.compliance.selectors import planogram_for
from shelfai.visits.models import Photo

log = logging.getLogger(__name__)


@transaction.atomic
def photo_score(photo: Photo) -> ComplianceResult | None:
    from shelfai.visits.authenticity_services import photo_check_authenticity

    photo_check_authenticity(photo)
    run = DetectionRun.objects.filter(photo=photo, is_current=True).first()
    if run is None:
        return None
    planogram = planogram_for(store=photo.visit.store, on=photo.uploaded_at.date())
    ComplianceResult.objects.filter(photo=photo, scope=ComplianceResult.Scope.PHOTO, is_current=True).update(
        is_current=False
    )
    return ComplianceResult.objects.create(
        scope=ComplianceResult.Scope.PHOTO,
        visit=photo.visit,
        photo=photo,
        planogram=planogram,
        planogram_version=planogram.version if planogram else 0,
        detection_run=run,
        detector_sha256=run.detector_sha256,
    )
