"""The Photo status machine. Every change of ``Photo.status`` goes through here, as a conditional update.

    queued ──claim──▶ processing ──finish──▶ analyzed ──claim──▶ scoring ──finish──▶ done
       ▲                  │   └──────────────▶ retake (quality gate: final)     │
       └──── hand back ───┘                      ▲                              │
                              analyzed ◀──────── hand back ─────────────────────┘
    processing / scoring ──fail──▶ failed      queued / analyzed ──fail_waiting──▶ failed

A claim returns a *token*: the moment it was made, written to ``processing_started_at`` or
``scoring_started_at``. Finishing and handing back are conditional on that token, so work a
stale claim did after the sweeper gave the photo to someone else is never recorded twice.
Waiting states (queued, analyzed) carry ``sent_at``: when their message was last handed to the
broker, or empty while none is known to be on its way. The sweeper reads both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F
from django.utils import timezone

from shelfai.visits.models import Photo

S = Photo.Status


@dataclass(frozen=True)
class Stage:
    """One worker step: the state a photo waits in, the state it is worked in, and its bookkeeping."""

    name: str
    waiting: str
    working: str
    started_field: str
    attempts_field: str
    queue: str


ANALYSIS = Stage("analysis", S.QUEUED, S.PROCESSING, "processing_started_at", "attempts", "gpu")
SCORING = Stage("scoring", S.ANALYZED, S.SCORING, "scoring_started_at", "score_attempts", "default")
STAGES = (ANALYSIS, SCORING)


def claim(stage: Stage, photo_id: int) -> datetime | None:
    """``waiting -> working`` if nobody else has taken the photo. Returns the claim's token, or None."""
    token = timezone.now()
    taken = Photo.objects.filter(pk=photo_id, status=stage.waiting).update(
        status=stage.working, **{stage.started_field: token, stage.attempts_field: F(stage.attempts_field) + 1}
    )
    return token if taken else None


def holds(stage: Stage, photo_id: int, token: datetime) -> bool:
    """Is the claim still ours? Inside a transaction on PostgreSQL this also locks the row until commit,
    so the sweeper cannot hand the photo back while the stage records its result."""
    return bool(Photo.objects.filter(pk=photo_id, status=stage.working, **{stage.started_field: token})
                .update(**{stage.started_field: token}))


def hand_back(stage: Stage, photo_id: int, token: datetime, *, sent: bool = True) -> bool:
    """``working -> waiting``: a transient error (the task retries) or a stale claim (the sweeper).

    ``sent`` says whether a message for the retry is on its way; if not, the sweeper sends one.
    """
    return bool(Photo.objects.filter(pk=photo_id, status=stage.working, **{stage.started_field: token}).update(
        status=stage.waiting, sent_at=timezone.now() if sent else None))


def finish_analysis(photo_id: int, token: datetime, *, retake_reason: str | None) -> bool:
    """``processing -> analyzed`` (waiting for scoring), or ``-> retake`` when the quality gate refused the photo."""
    now = timezone.now()
    if retake_reason is not None:
        changes = {"status": S.RETAKE, "status_reason": retake_reason, "finished_at": now}
    else:
        # The scoring message is sent after commit; until it is known to be sent, sent_at stays empty.
        changes = {"status": S.ANALYZED, "status_reason": "", "sent_at": None, "resends": 0}
    return bool(Photo.objects.filter(pk=photo_id, status=S.PROCESSING, processing_started_at=token).update(
        analyzed_at=now, **changes))


def finish_scoring(photo_id: int, token: datetime) -> bool:
    return bool(Photo.objects.filter(pk=photo_id, status=S.SCORING, scoring_started_at=token).update(
        status=S.DONE, finished_at=timezone.now()))


def fail(photo_id: int, reason: str, *, stage: Stage, token: datetime) -> bool:
    """``working -> failed`` with a reason the rep can read, if the claim is still ours."""
    return bool(Photo.objects.filter(pk=photo_id, status=stage.working, **{stage.started_field: token}).update(
        status=S.FAILED, status_reason=reason, finished_at=timezone.now()))


def fail_waiting(stage: Stage, photo_id: int, sent_at: datetime | None, reason: str) -> bool:
    """``waiting -> failed``: its messages kept vanishing. Only if nobody claimed or sent it since."""
    return bool(Photo.objects.filter(pk=photo_id, status=stage.waiting, sent_at=sent_at).update(
        status=S.FAILED, status_reason=reason, finished_at=timezone.now()))


def take_for_resend(stage: Stage, photo_id: int, sent_at: datetime | None) -> bool:
    """Mark a waiting photo as re-sent now, if nobody claimed or sent it since ``sent_at`` was read."""
    return bool(Photo.objects.filter(pk=photo_id, status=stage.waiting, sent_at=sent_at).update(
        sent_at=timezone.now(), resends=F("resends") + 1))


def mark_sent(stage: Stage, photo_ids: list[int], *, sent: bool) -> None:
    """Record that the waiting photos' messages reached the broker (``sent``), or that they did not."""
    Photo.objects.filter(pk__in=photo_ids, status=stage.waiting).update(sent_at=timezone.now() if sent else None)


def requeue_done(photo_ids: list[int]) -> list[int]:
    """``done -> queued`` for another analysis (a new model): a fresh journey, its counters reset."""
    now = timezone.now()
    ids = list(Photo.objects.filter(pk__in=photo_ids, status=S.DONE).values_list("pk", flat=True))
    Photo.objects.filter(pk__in=ids, status=S.DONE).update(
        status=S.QUEUED, queued_at=now, sent_at=None, attempts=0, score_attempts=0, resends=0,
        status_reason="", finished_at=None)
    return ids
