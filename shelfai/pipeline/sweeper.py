"""The sweeper: finds photos whose journey stopped between stages and sends them on. Run every
``SWEEP_INTERVAL_SECONDS`` by celery beat.

Two kinds of stop, per stage (analysis, scoring):

* **A claim went stale**: the photo is ``processing``/``scoring`` for longer than
  ``PHOTO_STALE_AFTER_SECONDS`` (its worker was killed, or lost its database). It is handed back
  to the waiting state and sent again, or failed with a reason once the stage has claimed it
  ``PHOTO_MAX_ATTEMPTS`` times (the photo itself keeps killing workers).
* **A message was lost**: the photo waits (``queued``/``analyzed``) but no message for it is on its
  way: its send failed (``sent_at`` empty), or it was sent long ago and the broker no longer holds
  it (a restart without persistence, a worker killed holding it unacknowledged). A backlog is not a
  loss: the broker's queue still holds the messages of the photos sent most recently, and workers
  take messages oldest first, so of the photos sent and still waiting only the oldest
  ``waiting - depth`` can have lost theirs, and only those older than the stale timeout are sent
  again. Re-sending a photo whose message was in fact still held (a worker's prefetch) costs one
  extra message, which finds the photo claimed and is dropped. When the broker cannot say how deep
  the queue is, time alone decides: at most one re-send per photo per stale timeout.

Oldest first, at most ``MAX_PER_SWEEP`` photos per stage and sweep, so a backlog never multiplies the
queue. A photo re-sent ``PHOTO_MAX_ATTEMPTS`` times without arriving is failed with a reason.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from shelfai.pipeline import dispatch, messages, status
from shelfai.pipeline.status import STAGES, Stage
from shelfai.visits.models import Photo

log = logging.getLogger(__name__)

MAX_PER_SWEEP = 1000
# A send in flight has not recorded itself yet; after this long without ``sent_at`` it has failed.
UNSENT_GRACE_SECONDS = 15
ENTERED = {"analysis": "queued_at", "scoring": "analyzed_at"}  # when a photo began waiting for the stage


def sweep(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.PHOTO_STALE_AFTER_SECONDS)
    counts: Counter[str] = Counter()
    for stage in STAGES:
        counts.update(_release_stale_claims(stage, stale_before))
        counts.update(_resend_lost(stage, now, stale_before))
    if counts:
        log.info("Sweeper: %s", dict(counts))
    return dict(counts)


def _release_stale_claims(stage: Stage, stale_before: datetime) -> Counter[str]:
    counts: Counter[str] = Counter()
    stale = (Photo.objects.filter(status=stage.working, **{f"{stage.started_field}__lt": stale_before})
             .order_by(stage.started_field, "pk")
             .values_list("pk", stage.started_field, stage.attempts_field)[:MAX_PER_SWEEP])
    for pk, token, attempts in stale:
        if attempts >= settings.PHOTO_MAX_ATTEMPTS:
            reason = messages.failure_english("stopped", stage=stage.name, n=attempts, photo=pk)
            counts[f"{stage.name}_failed"] += status.fail(pk, reason, stage=stage, token=token)
        elif status.hand_back(stage, pk, token, sent=False):
            counts[f"{stage.name}_released"] += 1  # sent below, with the photos whose message is lost
    return counts


def _resend_lost(stage: Stage, now: datetime, stale_before: datetime) -> Counter[str]:
    waiting = Photo.objects.filter(status=stage.waiting)
    unsent = list(
        waiting.filter(sent_at__isnull=True,
                       **{f"{ENTERED[stage.name]}__lt": now - timedelta(seconds=UNSENT_GRACE_SECONDS)})
        .order_by(ENTERED[stage.name], "pk").values_list("pk", "sent_at", "resends")[:MAX_PER_SWEEP]
    )
    lost = MAX_PER_SWEEP - len(unsent)
    depth = dispatch.queue_depth(stage.queue)
    if depth is not None:
        lost = min(lost, max(0, waiting.filter(sent_at__isnull=False).count() - depth))
    stale = list(
        waiting.filter(sent_at__lt=stale_before).order_by("sent_at", "pk")
        .values_list("pk", "sent_at", "resends")[:lost]
    ) if lost > 0 else []
    counts: Counter[str] = Counter()
    resend: list[int] = []
    for pk, sent_at, resends in unsent + stale:
        if resends >= settings.PHOTO_MAX_ATTEMPTS:
            reason = messages.failure_english("never_arrived", stage=stage.name, n=resends + 1)
            counts[f"{stage.name}_failed"] += status.fail_waiting(stage, pk, sent_at, reason)
        elif status.take_for_resend(stage, pk, sent_at):
            resend.append(pk)
    if resend:
        dispatch.send(stage, resend)
        counts[f"{stage.name}_resent"] += len(resend)
    return counts
