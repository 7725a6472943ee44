"""Originals in storage that no Photo row points at: what an upload leaves when its insert failed
after its bytes were written (the bytes go first, so a row never points at a missing file).

The upload removes its own file when the insert fails; this catches what a killed process could not.
Only files older than a day are removed, so an upload in progress is never touched.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.files.storage import default_storage
from django.utils import timezone

from shelfai.visits.models import Photo

log = logging.getLogger(__name__)

ROOT = "photos"  # see shelfai.visits.models.photo_original_path: photos/<sha[:2]>/<sha>/<uuid>.<ext>
MIN_AGE = timedelta(days=1)


def remove_orphan_originals() -> int:
    cutoff = timezone.now() - MIN_AGE
    removed = 0
    shards = default_storage.listdir(ROOT)[0] if default_storage.exists(ROOT) else []
    for shard in shards:
        for sha in default_storage.listdir(f"{ROOT}/{shard}")[0]:
            folder = f"{ROOT}/{shard}/{sha}"
            names = {f"{folder}/{name}" for name in default_storage.listdir(folder)[1]}
            known = set(Photo.objects.filter(sha256=sha, original__in=names).values_list("original", flat=True))
            for name in sorted(names - known):
                if default_storage.get_modified_time(name) < cutoff:
                    default_storage.delete(name)
                    removed += 1
    if removed:
        log.info("Removed %s original(s) that no photo row points at", removed)
    return removed
