"""Reads the stored facts the alert rules judge, and who should hear about them.

Only reads: the placement checks the pipeline stored, the claims' evidence packets, rep assignments and
visits, photo states and the broker's queue depth (asked the way the sweeper asks it).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from django.db.models import Min, OuterRef, Prefetch, Q, Subquery

from shelfai.accounts.models import Role, User
from shelfai.alerts import rules
from shelfai.alerts.models import RepManager
from shelfai.claims.models import ExpenseClaim, PaidPlacement, PlacementCheck
from shelfai.pipeline import dispatch
from shelfai.pipeline.status import STAGES
from shelfai.pipeline.sweeper import ENTERED
from shelfai.stores.models import RepAssignment
from shelfai.stores.zones import UTC, local_today
from shelfai.visits.models import Photo, Visit


def placements_to_judge(*, today: date, since: date) -> Iterator[tuple[rules.PlacementFacts, list[rules.CheckFact]]]:
    """Placements with a week ending between ``since`` and ``today``, and their current checks."""
    current = Prefetch("checks", queryset=PlacementCheck.objects.filter(is_current=True), to_attr="current_checks")
    placements = (PaidPlacement.objects.filter(starts_on__lt=today, ends_on__gte=since)
                  .select_related("campaign", "store").prefetch_related(current).order_by("pk"))
    for placement in placements:
        checks = [(c.checked_on, c.verdict) for c in placement.current_checks]
        facts = rules.PlacementFacts(
            id=placement.pk, starts_on=placement.starts_on, ends_on=placement.ends_on, fee=placement.fee,
            display_type=placement.display_type, campaign=placement.campaign.name, store=placement.store.name,
            label=f"{placement.get_display_type_display()} — {placement.campaign.name} at {placement.store.name}")
        yield facts, [rules.CheckFact(checked_on=day, verdict=verdict) for day, verdict in checks]


def claims_to_judge() -> Iterator[rules.ClaimFacts]:
    """Claims finance has still to decide, with their lines' evidence packets."""
    claims = ExpenseClaim.objects.filter(status=ExpenseClaim.Status.SUBMITTED).prefetch_related("lines").order_by("pk")
    for claim in claims:
        yield rules.ClaimFacts(id=claim.pk, reference=claim.reference, amount=claim.total_amount,
                               packets=[line.evidence or {} for line in claim.lines.all()])


def assignments_to_judge(*, now: datetime) -> Iterator[tuple[rules.AssignmentFacts, int, date]]:
    """Assignments running today, with the rep's last visit to the store (its local day); the rep's id; and
    today in the store's time zone (the days the schedule names are the store's days)."""
    last_visit = (Visit.objects.filter(rep=OuterRef("rep"), store=OuterRef("store")).order_by("-local_date")
                  .values("local_date")[:1])
    # Today somewhere on earth is at most a day either side of UTC's today; each store's own is taken below.
    utc_today = now.astimezone(UTC).date()
    assignments = (RepAssignment.objects.filter(starts_on__lte=utc_today + timedelta(days=1))
                   .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=utc_today - timedelta(days=1)))
                   .filter(store__is_active=True, rep__is_active=True)
                   .annotate(last_visit=Subquery(last_visit))
                   .select_related("rep", "store").order_by("pk"))
    for a in assignments:
        yield rules.AssignmentFacts(
            id=a.pk, rep=a.rep.get_username(), store=a.store.name, starts_on=a.starts_on, ends_on=a.ends_on,
            weekdays=a.weekdays, last_visit=a.last_visit), a.rep_id, local_today(a.store, now=now)


def failed_photos(*, since: datetime) -> Iterator[rules.FailedPhoto]:
    photos = (Photo.objects.filter(status=Photo.Status.FAILED, finished_at__gte=since)
              .select_related("visit__store").order_by("pk"))
    for photo in photos:
        yield rules.FailedPhoto(id=photo.pk, public_id=str(photo.public_id), store=photo.visit.store.name,
                                reason=photo.status_reason or "no reason recorded")


def queues(*, now: datetime) -> list[rules.QueueFacts]:
    """Per pipeline stage: its broker queue's depth, and the photos waiting for it."""
    facts = []
    for stage in STAGES:
        waiting = Photo.objects.filter(status=stage.waiting)
        count, oldest = waiting.count(), waiting.aggregate(oldest=Min(ENTERED[stage.name]))["oldest"]
        facts.append(rules.QueueFacts(queue=f"{stage.queue} ({stage.name})", depth=dispatch.queue_depth(stage.queue),
                                      oldest_wait=(now - oldest) if oldest else None, waiting=count))
    return facts


# --- Who hears about what --------------------------------------------------------------------------

def admins() -> list[User]:
    return list(User.objects.filter(is_active=True).filter(Q(role=Role.ADMIN) | Q(is_superuser=True)).order_by("pk"))


def users_with_role(role: str) -> list[User]:
    """Everyone of ``role``, and the admins (who may do what every role does)."""
    users = {u.pk: u for u in User.objects.filter(is_active=True, role=role).order_by("pk")}
    users.update({u.pk: u for u in admins()})
    return list(users.values())


def manager_of(rep_id: int) -> list[User]:
    """The rep's manager; the admins when nobody is set as one, so a missed store still reaches someone."""
    link = RepManager.objects.filter(rep_id=rep_id, manager__is_active=True).select_related("manager").first()
    return [link.manager] if link else admins()


def is_manager(user: User) -> bool:
    return RepManager.objects.filter(manager=user).exists()


def recently(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
