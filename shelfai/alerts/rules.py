"""The alert rules: plain facts in, ``AlertFact`` out. No ORM here (``selectors`` feeds them).

Each fact carries a stable ``key`` (rule + subject + period): the services record an alert once per
key, so the same fact is sent once however many sweeps see it.

Each fact's ``subject`` and ``body`` are written in English (what webhooks and the admin show) and its
``data["params"]`` hold the same facts as plain values, so ``shelfai.alerts.texts`` can write them again
in each recipient's language when the e-mail goes out.

* ``display_missing`` (marketing): a paid display whose whole week inside its period (the weeks of
  finance's coverage, counted from the placement's first day) ended with no visit that saw it
  executed or partly executed: either a usable visit found it **absent** (not executed), or no visit
  gave usable evidence (**not verified**). The last, shorter window of a period is not a whole week
  and raises nothing. Key: placement + week start.
* ``claim_critical`` (finance): a submitted claim whose evidence packet holds a photo flagged
  critical by the authenticity checks. Key: claim + the flagged photos (a new flagged photo is a new
  fact; the same ones seen again are not).
* ``store_unvisited`` (the rep's manager): a store assigned to a rep whose last scheduled visit day
  is more than ``grace_days`` past with no visit since. Key: assignment + the first missed day, so
  one missed spell is one alert, and a visit starts the count again.
* ``photo_failed`` (admins): a photo whose journey ended ``failed``. Key: the photo.
* ``queue_backlog`` (admins): a broker queue deeper than a threshold, or photos waiting longer
  than a limit. Key: queue + day (at most one per queue per day while it lasts).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Rule(StrEnum):
    DISPLAY_MISSING = "display_missing"
    CLAIM_CRITICAL = "claim_critical"
    STORE_UNVISITED = "store_unvisited"
    PHOTO_FAILED = "photo_failed"
    QUEUE_BACKLOG = "queue_backlog"


RULE_LABELS = {
    Rule.DISPLAY_MISSING: _("A paid display absent or not verified for a whole week"),
    Rule.CLAIM_CRITICAL: _("A claim's evidence flagged critical (authenticity)"),
    Rule.STORE_UNVISITED: _("A store left unvisited past its rep's schedule (reps I manage)"),
    Rule.PHOTO_FAILED: _("A photo failed in the pipeline"),
    Rule.QUEUE_BACKLOG: _("The photo queue is backed up"),
}

# Verdict values of ``shelfai.compliance.placements.Verdict`` (strings, to keep this module plain).
EXECUTED, PARTLY, NOT_EXECUTED, INSUFFICIENT = "executed", "partly_executed", "not_executed", "insufficient_evidence"
WEEK = 7


@dataclass(frozen=True)
class AlertFact:
    rule: Rule
    key: str
    subject: str
    body: str
    link: str = ""  # a path on this site, e.g. /claims/12/
    subject_id: int | None = None  # the row the alert is about (placement, claim, assignment, photo)
    data: dict = field(default_factory=dict)


# --- 1. marketing: a paid display absent or not verified for a week --------------------------------

@dataclass(frozen=True)
class PlacementFacts:
    id: int
    label: str  # "End-cap — Spring campaign at FreshCo Riverside"
    starts_on: date
    ends_on: date
    fee: Decimal = Decimal("0")
    display_type: str = ""  # a PaidPlacement display type code, e.g. "end_cap"
    campaign: str = ""
    store: str = ""


@dataclass(frozen=True)
class CheckFact:
    checked_on: date
    verdict: str  # a PlacementCheck verdict value


def display_missing(placement: PlacementFacts, checks: list[CheckFact], *, today: date,
                    since: date | None = None) -> list[AlertFact]:
    """One fact per whole week of the period, ended before ``today`` (and on or after ``since``: old
    weeks nobody can act on any more raise nothing), without an executed display."""
    facts = []
    start = placement.starts_on
    while start + timedelta(days=WEEK - 1) <= placement.ends_on:
        end = start + timedelta(days=WEEK - 1)
        if end >= today:
            break  # the week is not over: a visit may still see the display
        if since is not None and end < since:
            start = end + timedelta(days=1)
            continue
        usable = sorted((c for c in checks if start <= c.checked_on <= end and c.verdict != INSUFFICIENT),
                        key=lambda c: c.checked_on)
        latest = usable[-1].verdict if usable else None
        if latest not in (EXECUTED, PARTLY):
            state = "absent" if latest == NOT_EXECUTED else "not verified"
            why_code = ("not_set_up" if state == "absent" else
                        "no_usable_evidence" if checks_in(checks, start, end) else "not_photographed")
            why = {"not_set_up": "the latest usable visit of the week found it not set up",
                   "no_usable_evidence": "no visit of the week gave usable photo evidence of it",
                   "not_photographed": "no visit of the week photographed it"}[why_code]
            facts.append(AlertFact(
                rule=Rule.DISPLAY_MISSING, key=f"{Rule.DISPLAY_MISSING}:{placement.id}:{start.isoformat()}",
                subject=f"Paid display {state} for the week of {start:%d %b %Y}: {placement.label}",
                body=(f"{placement.label} (paid {placement.fee}, {placement.starts_on} to {placement.ends_on}) "
                      f"was {state} from {start} to {end}: {why}."),
                link="/analytics/placements/", subject_id=placement.id,
                data={"placement": placement.id, "week_start": start.isoformat(), "week_end": end.isoformat(),
                      "state": state,
                      "params": {"label": placement.label, "display_type": placement.display_type,
                                 "campaign": placement.campaign, "store": placement.store,
                                 "fee": str(placement.fee), "starts_on": placement.starts_on.isoformat(),
                                 "ends_on": placement.ends_on.isoformat(), "week_start": start.isoformat(),
                                 "week_end": end.isoformat(), "absent": state == "absent", "why": why_code}}))
        start = end + timedelta(days=1)
    return facts


def checks_in(checks: list[CheckFact], start: date, end: date) -> bool:
    return any(start <= c.checked_on <= end for c in checks)


# --- 2. finance: a claim whose evidence is flagged critical ----------------------------------------

@dataclass(frozen=True)
class ClaimFacts:
    id: int
    reference: str
    amount: Decimal
    packets: list[dict]  # each claim line's evidence packet, as ``claims.evidence.line_evidence`` stores it


def claim_critical(claim: ClaimFacts) -> AlertFact | None:
    """The claim's critical flags, or None when its evidence holds none."""
    flagged: dict[str, list[str]] = {}
    found: dict[str, list[dict]] = {}  # the same reasons as plain values, for the recipient's language
    for packet in claim.packets:
        for visit in packet.get("visits", []):
            for photo in visit.get("photos", []):
                for flag in photo.get("flags", []):
                    if flag.get("severity") == "critical":
                        flagged.setdefault(str(photo.get("id")), []).append(
                            f"{visit.get('date', '?')}: {flag.get('reason') or flag.get('code')}")
                        found.setdefault(str(photo.get("id")), []).append(
                            {"date": visit.get("date", ""), "code": flag.get("code", ""),
                             "params": flag.get("params") or {}, "reason": flag.get("reason", "")})
    if not flagged:
        return None
    photos = sorted(flagged)
    reasons = [reason for photo in photos for reason in flagged[photo]]
    return AlertFact(
        rule=Rule.CLAIM_CRITICAL, key=f"{Rule.CLAIM_CRITICAL}:{claim.id}:{_short_digest(photos)}",
        subject=f"Claim {claim.reference}: evidence flagged critical ({_count(len(photos), 'photo')})",
        body=(f"Claim {claim.reference} ({claim.amount}) rests on photos the authenticity checks flagged "
              "critical:\n" + "\n".join(f"- {r}" for r in reasons)),
        link=f"/claims/{claim.id}/", subject_id=claim.id, data={
            "claim": claim.id, "photos": photos,
            "params": {"reference": claim.reference, "amount": str(claim.amount), "photos": len(photos),
                       "reasons": [r for photo in photos for r in found[photo]]}})


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _short_digest(items: list[str]) -> str:
    return hashlib.sha256("|".join(items).encode()).hexdigest()[:16]


# --- 3. a rep's manager: a store unvisited past its schedule ---------------------------------------

@dataclass(frozen=True)
class AssignmentFacts:
    id: int
    rep: str
    store: str
    starts_on: date
    ends_on: date | None
    weekdays: str  # "1010100": Monday..Sunday
    last_visit: date | None  # the rep's latest visit to the store, any day


def store_unvisited(assignment: AssignmentFacts, *, today: date, grace_days: int) -> AlertFact | None:
    """A fact when a scheduled day after the last visit is more than ``grace_days`` behind ``today``."""
    first_day = assignment.starts_on
    if assignment.last_visit is not None:
        first_day = max(first_day, assignment.last_visit + timedelta(days=1))
    last_day = today - timedelta(days=grace_days + 1)  # a missed day must be more than the grace behind
    if assignment.ends_on is not None:
        last_day = min(last_day, assignment.ends_on)
    missed = [d for d in _days(first_day, last_day) if _scheduled(assignment.weekdays, d)]
    if not missed:
        return None
    since = (f"since {assignment.last_visit:%d %b %Y}" if assignment.last_visit else "since the assignment began")
    return AlertFact(
        rule=Rule.STORE_UNVISITED, key=f"{Rule.STORE_UNVISITED}:{assignment.id}:{missed[0].isoformat()}",
        subject=f"{assignment.store} not visited by {assignment.rep} {since}",
        body=(f"{assignment.rep} was scheduled at {assignment.store} on {len(missed)} day"
              f"{'s' if len(missed) != 1 else ''} from {missed[0]} to {missed[-1]} and has not visited "
              f"{since} (the schedule allows {grace_days} day{'s' if grace_days != 1 else ''} of grace)."),
        subject_id=assignment.id,
        data={"assignment": assignment.id, "first_missed": missed[0].isoformat(), "missed_days": len(missed),
              "params": {"rep": assignment.rep, "store": assignment.store, "missed": len(missed),
                         "first": missed[0].isoformat(), "last": missed[-1].isoformat(), "grace_days": grace_days,
                         "last_visit": assignment.last_visit.isoformat() if assignment.last_visit else None}})


def _days(start: date, end: date):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def _scheduled(weekdays: str, day: date) -> bool:
    mask = (weekdays or "").ljust(7, "0")
    return mask[day.weekday()] == "1"


# --- 4. admins: failed photos and a backed-up queue ------------------------------------------------

@dataclass(frozen=True)
class FailedPhoto:
    id: int
    public_id: str
    store: str
    reason: str


def photo_failed(photo: FailedPhoto) -> AlertFact:
    return AlertFact(
        rule=Rule.PHOTO_FAILED, key=f"{Rule.PHOTO_FAILED}:{photo.id}",
        subject=f"Photo failed at {photo.store}",
        body=f"Photo {photo.public_id} at {photo.store} failed: {photo.reason}",
        link=f"/analytics/photos/{photo.public_id}/", subject_id=photo.id, data={
            "photo": photo.public_id,
            "params": {"public_id": photo.public_id, "store": photo.store, "reason": photo.reason}})


@dataclass(frozen=True)
class QueueFacts:
    queue: str
    depth: int | None  # messages ready on the broker; None when the broker cannot say
    oldest_wait: timedelta | None  # how long the photo waiting longest for this queue's stage has waited
    waiting: int = 0


def queue_backlog(queue: QueueFacts, *, now: datetime, max_depth: int, max_wait: timedelta) -> AlertFact | None:
    too_deep = queue.depth is not None and queue.depth >= max_depth
    too_slow = queue.oldest_wait is not None and queue.oldest_wait >= max_wait
    if not (too_deep or too_slow):
        return None
    parts = []
    if queue.depth is not None:
        parts.append(f"{_count(queue.depth, 'message')} ready on the broker (alert at {max_depth})")
    if queue.oldest_wait is not None:
        minutes = int(queue.oldest_wait.total_seconds() // 60)
        parts.append(f"{queue.waiting} photo{'s' if queue.waiting != 1 else ''} waiting, the oldest for "
                     f"{minutes} min (alert at {int(max_wait.total_seconds() // 60)} min)")
    return AlertFact(
        rule=Rule.QUEUE_BACKLOG, key=f"{Rule.QUEUE_BACKLOG}:{queue.queue}:{now.date().isoformat()}",
        subject=f"Queue {queue.queue} is backed up",
        body=f"Queue {queue.queue}: " + "; ".join(parts) + ". Check that its workers are running.",
        data={"queue": queue.queue, "depth": queue.depth, "waiting": queue.waiting,
              "params": {"queue": queue.queue, "depth": queue.depth, "max_depth": max_depth,
                         "waiting": queue.waiting, "max_minutes": int(max_wait.total_seconds() // 60),
                         "minutes": int(queue.oldest_wait.total_seconds() // 60)
                         if queue.oldest_wait is not None else None}})
