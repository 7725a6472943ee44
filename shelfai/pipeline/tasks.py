"""The photo pipeline's Celery tasks: thin entry points into ``stages`` and ``sweeper``."""

from __future__ import annotations

from celery import shared_task

from shelfai.pipeline import orphans, stages, sweeper
from shelfai.tasks_common import PIPELINE_TASK_OPTIONS


@shared_task(**PIPELINE_TASK_OPTIONS)
def analyze_photo(self, photo_id: int) -> str:
    return stages.analyse(photo_id)


@shared_task(**PIPELINE_TASK_OPTIONS)
def score_photo(self, photo_id: int) -> str:
    return stages.score(photo_id)


@shared_task(acks_late=True)
def sweep_stale_photos() -> dict[str, int]:
    return sweeper.sweep()


@shared_task(acks_late=True)
def remove_orphan_originals() -> int:
    return orphans.remove_orphan_originals()
