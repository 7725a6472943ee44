"""Every periodic job `make run`'s beat starts is well formed and names a task the worker has.

A malformed entry does not fail at import: beat dies at start (a nested entry once stopped every periodic
job, the photo sweeper included, while the web app looked fine)."""

from __future__ import annotations

from celery.beat import ScheduleEntry
from django.conf import settings

ENTRY_KEYS = {"task", "schedule", "args", "kwargs", "options", "relative"}


def test_every_beat_entry_is_well_formed_and_its_task_exists():
    from shelfai.celery import app

    app.loader.import_default_modules()
    assert settings.CELERY_BEAT_SCHEDULE
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert set(entry) <= ENTRY_KEYS, f"{name}: unexpected keys {set(entry) - ENTRY_KEYS}"
        assert entry["task"] in app.tasks, f"{name}: no task {entry['task']} is registered"
        ScheduleEntry(name=name, app=app, **entry)  # what beat builds at start
