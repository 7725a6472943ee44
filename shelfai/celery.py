"""The Celery app. Queues: ``gpu`` for photo analysis (GPU workers in production), ``default`` for the rest."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shelfai.settings")

app = Celery("shelfai")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def ensure_broker_dirs() -> None:
    """The embedded filesystem broker needs its folders before the first message is sent."""
    from django.conf import settings

    if settings.CELERY_BROKER_URL == "filesystem://":
        for key in ("data_folder_in", "processed_folder", "control_folder"):
            if key in settings.CELERY_BROKER_TRANSPORT_OPTIONS:
                os.makedirs(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key], exist_ok=True)
