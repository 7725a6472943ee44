"""Handing photos to the broker, and asking it how much is waiting.

A send that fails (broker down) is recorded, never raised into the stage that just committed its
work: the photo keeps its state with ``sent_at`` empty, and the sweeper sends it once the broker
is back. Nothing here decides what comes next; ``stages`` does.
"""

from __future__ import annotations

import logging

from django.conf import settings
from kombu.exceptions import ChannelError

from shelfai.celery import app
from shelfai.pipeline import status
from shelfai.pipeline.status import Stage

log = logging.getLogger(__name__)

TASK_FOR_STAGE = {"analysis": "shelfai.pipeline.tasks.analyze_photo", "scoring": "shelfai.pipeline.tasks.score_photo"}


def send(stage: Stage, photo_ids: list[int]) -> bool:
    """One message per photo on the stage's queue; True when the broker took them all."""
    task = app.tasks[TASK_FOR_STAGE[stage.name]]  # by name: the tasks module imports the stages, not the reverse
    sent: list[int] = []
    try:
        for photo_id in photo_ids:
            task.apply_async(args=[photo_id], queue=stage.queue, retry=True,
                             retry_policy={"max_retries": 2, "interval_start": 0.2})
            sent.append(photo_id)
    except Exception as exc:  # noqa: BLE001 - any broker failure: the photo waits for the sweeper
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise  # in-process tasks: the error is the stage's own, not the broker's
        log.warning("Could not send %s of photo(s) %s (%s); the sweeper sends them when the broker is back.",
                    stage.name, photo_ids[len(sent):], exc)
    status.mark_sent(stage, sent, sent=True)
    status.mark_sent(stage, photo_ids[len(sent):], sent=False)
    return len(sent) == len(photo_ids)


def queue_depth(queue: str) -> int | None:
    """Messages ready in ``queue`` (not counting those a worker holds), or None when the broker cannot say."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=5)
            try:
                return int(conn.default_channel.queue_declare(queue=queue, passive=True).message_count)
            except ChannelError:
                return 0  # Redis drops an empty list: no queue is an empty queue
    except Exception as exc:  # noqa: BLE001 - the sweeper then falls back to time alone
        log.warning("Could not read the depth of queue %s: %s", queue, exc)
        return None
