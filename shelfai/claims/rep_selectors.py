"""Reads for the rep's claim pages: what they may claim now, with what, and what became of it.

Nothing here reads finance's assessment (risk score, recommendation, recommended amounts, packet):
the rep sees what they claimed, their own photos, the status and the decision with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Max, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shelfai import formats
from shelfai.accounts.models import User
from shelfai.claims.models import ClaimDecision, ClaimLine, ExpenseClaim, PaidPlacement
from shelfai.claims.selectors import claims_visible_to, placements_claimable_by
from shelfai.claims.verification import fee_share
from shelfai.visits.models import Photo, Visit

# A display that ended up to this long ago can still be claimed from the phone: reps claim a month
# (or a campaign) once it is over, and finance's retailer files arrive later still.
CLAIM_LOOKBACK_DAYS = 90


@dataclass(frozen=True)
class ClaimOption:
    placement: PaidPlacement
    on_todays_visit: bool
    start: date             # the suggested period: from the day after what was claimed already...
    end: date               # ...to the placement's end, or today when it still runs
    fee_share: Decimal      # the contracted fee for those days (pro rata)
    claimed_before: Decimal  # claimed on earlier, not rejected claims
    remaining: Decimal      # fee - claimed_before
    photo_count: int        # the rep's photos taken for this display's task
    why_not: str = ""       # set when nothing can be claimed now, in words

    @property
    def claimable(self) -> bool:
        return not self.why_not

    @property
    def suggested_amount(self) -> Decimal:
        return min(self.fee_share, self.remaining)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def placement_days(self) -> int:
        return (self.placement.ends_on - self.placement.starts_on).days + 1


def claims_of(user: User) -> QuerySet[ExpenseClaim]:
    return (claims_visible_to(user).filter(submitted_by=user)
            .annotate(approved_total=Sum("lines__approved_amount"))
            .prefetch_related("lines__placement__store", "lines__placement__campaign")
            .order_by("-submitted_at", "-pk"))


def _stores_visited_today(user: User, today: date) -> set[int]:
    # A visit's day is its store's day (Visit.local_date); ``today`` is the rep's, who stands in the store.
    return set(Visit.objects.filter(rep=user, local_date__gte=today).values_list("store_id", flat=True))


def claim_options(user: User, *, today: date) -> list[ClaimOption]:
    """The paid displays at the rep's stores in force now or ended lately, today's visit's first."""
    placements = (placements_claimable_by(user)
                  .filter(starts_on__lte=today, ends_on__gte=today - timedelta(days=CLAIM_LOOKBACK_DAYS))
                  .select_related("store", "campaign__brand")
                  .order_by("store__name", "-ends_on", "pk"))
    visited = _stores_visited_today(user, today)
    options = [claim_option(user, p, today=today, visited=visited) for p in placements]
    return sorted(options, key=lambda o: not o.on_todays_visit)


def claim_option(user: User, placement: PaidPlacement, *, today: date, visited: set[int] | None = None
                 ) -> ClaimOption:
    visited = _stores_visited_today(user, today) if visited is None else visited
    lines = ClaimLine.objects.filter(placement=placement)
    # Any earlier line blocks its days, a rejected one too (finance reopens it rather than a second claim).
    last_end = lines.aggregate(last=Max("period_end"))["last"]
    claimed = lines.exclude(claim__status=ExpenseClaim.Status.REJECTED).aggregate(t=Sum("amount"))["t"] or Decimal("0")
    start = max(placement.starts_on, last_end + timedelta(days=1)) if last_end else placement.starts_on
    end = min(placement.ends_on, today)
    remaining = max(placement.fee - claimed, Decimal("0"))
    why_not = ""
    if placement.starts_on > today:
        why_not = _("Starts on %(day)s.") % {"day": formats.day(placement.starts_on)}
    elif start > end:
        why_not = (_("Claimed already up to its end.") if end == placement.ends_on
                   else _("Claimed already up to %(day)s; claim the days after once they have passed.") % {
                       "day": formats.day(last_end)})
        start = end
    elif remaining <= 0:
        why_not = _("Its whole fee has been claimed already.")
    share = fee_share(placement, start=start, end=end) if start <= end else Decimal("0")
    photos = Photo.objects.filter(placement_links__placement=placement, visit__rep=user).count()
    active_today = placement.starts_on <= today <= placement.ends_on
    return ClaimOption(placement=placement, on_todays_visit=active_today and placement.store_id in visited,
                       start=start, end=end, fee_share=share, claimed_before=claimed, remaining=remaining,
                       photo_count=photos, why_not=why_not)


def backing_photos(user: User, placement: PaidPlacement, *, start: date, end: date) -> list[dict]:
    """The rep's own photos taken for this display's task within the period, oldest first."""
    photos = (Photo.objects.filter(placement_links__placement=placement, visit__rep=user,
                                   visit__local_date__gte=start, visit__local_date__lte=end)
              .select_related("visit").order_by("uploaded_at", "pk").distinct())
    return [_photo_card(photo) for photo in photos]


def _photo_card(photo: Photo) -> dict:
    original = reverse("api-photo-original", args=[photo.public_id])
    evidence = reverse("api-photo-evidence", args=[photo.public_id]) if photo.evidence_image else None
    return {"id": str(photo.public_id), "thumb": evidence or original, "full": evidence or original,
            "taken": timezone.localtime(photo.visit.started_at), "status": photo.get_status_display(),
            "boxes": bool(evidence)}


def claim_lines_for_rep(user: User, claim: ExpenseClaim) -> list[dict]:
    lines = claim.lines.select_related("placement__store", "placement__campaign").order_by("pk")
    return [{"line": line, "photos": backing_photos(user, line.placement, start=line.period_start,
                                                     end=line.period_end)} for line in lines]


def decision_in_force(claim: ExpenseClaim) -> ClaimDecision | None:
    """The decision the claim stands on (the last one); None while it waits for finance."""
    if claim.status not in ExpenseClaim.DECIDED:
        return None
    return (claim.decisions.exclude(outcome=ClaimDecision.Outcome.REOPEN)
            .order_by("-decided_at", "-pk").first())


def reopened(claim: ExpenseClaim) -> ClaimDecision | None:
    """Finance's reopening, while the claim waits for its new decision."""
    if claim.status != ExpenseClaim.Status.SUBMITTED:
        return None
    last = claim.decisions.order_by("-decided_at", "-pk").first()
    return last if last is not None and last.outcome == ClaimDecision.Outcome.REOPEN else None

