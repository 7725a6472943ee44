"""Reads for claims and placements, scoped to what each role may see.

Who reads and decides is the roles table (``shelfai.accounts.roles``): finance and admins see every
claim and decide; marketing reads every claim (never decides); a rep sees only the claims they submitted.
Anyone else (planning) sees none. A claim outside a user's scope is a 404 — its existence is not leaked
with a 403.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet

from shelfai.accounts.models import User
from shelfai.accounts.roles import Action, may, own_only
from shelfai.claims.models import Campaign, ClaimDecision, ExpenseClaim, PaidPlacement, PlacementCheck
from shelfai.stores.selectors import stores_visible_to
from shelfai.visits.models import Photo, Visit


def user_decides_claims(user: User) -> bool:
    return may(user, Action.CLAIMS_DECIDE)


def user_imports_claims(user: User) -> bool:
    """Retailer and distributor files reach us by e-mail or EDI; finance loads them."""
    return user_decides_claims(user)


def claims_visible_to(user: User) -> QuerySet[ExpenseClaim]:
    claims = ExpenseClaim.objects.select_related("submitted_by")
    if not may(user, Action.CLAIMS_READ):
        return claims.none()
    return claims.filter(submitted_by=user) if own_only(user, Action.CLAIMS_READ) else claims


def claim_queue(
    *,
    user: User,
    status: str = ExpenseClaim.Status.SUBMITTED,
    source: str = "",
    store_code: str = "",
    campaign_id: int | None = None,
    recommendation: str = "",
    min_amount=None,
    search: str = "",
) -> QuerySet[ExpenseClaim]:
    """The finance queue: riskiest and largest first, so the money most at risk is looked at first."""
    claims = claims_visible_to(user)
    if status == "decided":
        claims = claims.filter(status__in=ExpenseClaim.DECIDED)
    elif status:
        claims = claims.filter(status=status)
    if source:
        claims = claims.filter(source=source)
    if store_code:
        claims = claims.filter(lines__placement__store__code=store_code)
    if campaign_id:
        claims = claims.filter(lines__placement__campaign_id=campaign_id)
    if recommendation:
        claims = claims.filter(recommendation=recommendation)
    if min_amount is not None:
        claims = claims.filter(total_amount__gte=min_amount)
    if search:
        claims = claims.filter(Q(reference__icontains=search) | Q(claimant_name__icontains=search))
    return (
        claims.distinct().prefetch_related("lines__placement__store", "lines__placement__campaign")
        .order_by("-risk_score", "-total_amount", "submitted_at")
    )


def claim_lines_with_placements(claim: ExpenseClaim):
    return claim.lines.select_related(
        "placement", "placement__store", "placement__campaign", "placement__campaign__brand"
    ).order_by("pk")


def claim_decisions(claim: ExpenseClaim) -> QuerySet[ClaimDecision]:
    return claim.decisions.select_related("decided_by").order_by("decided_at", "pk")


def placements_claimable_by(user: User) -> QuerySet[PaidPlacement]:
    """A rep claims only placements at the stores assigned to them; finance and admins any."""
    placements = PaidPlacement.objects.select_related("store", "campaign")
    if not may(user, Action.CLAIM_SUBMIT):
        return placements.none()
    return placements.filter(store__in=stores_visible_to(user)) if own_only(user, Action.CLAIM_SUBMIT) \
        else placements


def campaigns_list() -> QuerySet[Campaign]:
    return Campaign.objects.select_related("brand").prefetch_related("products").order_by("-starts_on", "-pk")


def placements_visible_to(
    user: User, *, campaign: int | None = None, store: str = "", active_on: date | None = None,
) -> QuerySet[PaidPlacement]:
    """Master data: every placement for the desk and planners; a rep, those at their assigned stores."""
    placements = PaidPlacement.objects.select_related("store", "campaign").order_by("-starts_on", "pk")
    if not may(user, Action.MASTER_DATA_READ):
        return placements.none()
    if user.is_rep:
        placements = placements.filter(store__in=stores_visible_to(user))
    if campaign:
        placements = placements.filter(campaign_id=campaign)
    if store:
        placements = placements.filter(store__code=store)
    if active_on:
        placements = placements.filter(starts_on__lte=active_on, ends_on__gte=active_on)
    return placements


def placement_checks_visible_to(user: User, *, placement: PaidPlacement) -> QuerySet[PlacementCheck]:
    """The current checks of a placement; a rep's right covers their own visits' checks only."""
    checks = PlacementCheck.objects.filter(placement=placement, is_current=True).select_related(
        "visit", "placement__store").order_by("-checked_on", "-pk")
    if not may(user, Action.COMPLIANCE_READ):
        return checks.none()
    return checks.filter(visit__rep=user) if own_only(user, Action.COMPLIANCE_READ) else checks


def placements_active_for_visit(visit: Visit) -> QuerySet[PaidPlacement]:
    on = visit_date(visit)
    return (
        PaidPlacement.objects.filter(store=visit.store, starts_on__lte=on, ends_on__gte=on)
        .select_related("store", "campaign")
        .prefetch_related("requirements__product")
    )


def visits_for_placement(*, placement: PaidPlacement, start: date, end: date) -> QuerySet[Visit]:
    """The store's visits in the claimed part of the placement's period, oldest first."""
    start, end = max(start, placement.starts_on), min(end, placement.ends_on)
    return (
        Visit.objects.filter(store=placement.store, local_date__gte=start, local_date__lte=end)
        # A visit without a photo (a tap on the store, then nothing) is no evidence either way.
        .filter(Exists(Photo.objects.filter(visit_id=OuterRef("pk"))))
        .select_related("rep", "store")
        .order_by("started_at")
    )


def current_checks(*, placement: PaidPlacement, visits) -> dict[int, PlacementCheck]:
    checks = PlacementCheck.objects.filter(placement=placement, visit__in=visits, is_current=True)
    return {check.visit_id: check for check in checks}


def visit_date(visit: Visit) -> date:
    """The visit's day in its store's time zone (a claim week is seven of the store's days)."""
    return visit.local_date


def claim_audit_trail(claim: ExpenseClaim):
    from shelfai.claims.models import AuditEvent

    return AuditEvent.objects.filter(object_type="expenseclaim", object_id=str(claim.pk)).select_related(
        "actor").order_by("created_at", "pk")


def claims_export_rows(
    *, decided_from: date | None = None, decided_to: date | None = None, include_rejected: bool = False,
    new_only: bool = False, decision_ids: list[int] | None = None,
) -> list[dict]:
    """One row per claim line of decided claims, with the decision in force (the last one).

    Dates filter on when that decision was made; ``new_only`` leaves out what was already sent;
    ``decision_ids`` is one batch already sent (to download it again).
    """
    from django.db.models import Prefetch
    from django.utils import timezone

    from shelfai.claims.models import ClaimLine

    statuses = list(ExpenseClaim.DECIDED) if include_rejected else [
        ExpenseClaim.Status.APPROVED, ExpenseClaim.Status.PARTIAL]
    claims = ExpenseClaim.objects.filter(status__in=statuses).select_related("submitted_by").prefetch_related(
        Prefetch("decisions", to_attr="decisions_in_force", queryset=ClaimDecision.objects.exclude(
            outcome=ClaimDecision.Outcome.REOPEN).select_related("decided_by").order_by("-decided_at", "-pk")),
        Prefetch("lines", to_attr="export_lines", queryset=ClaimLine.objects.select_related(
            "placement__store__retailer", "placement__campaign").order_by("pk")),
    )
    rows = []
    for claim in claims:
        if not claim.decisions_in_force:
            continue
        decision = claim.decisions_in_force[0]  # the last one; a decided claim's last word
        decided_on = timezone.localdate(decision.decided_at)
        if (decided_from and decided_on < decided_from) or (decided_to and decided_on > decided_to):
            continue
        if new_only and decision.exported_at:
            continue
        if decision_ids is not None and decision.pk not in decision_ids:
            continue
        rows.extend(_export_row(claim, decision, line) for line in claim.export_lines)
    return sorted(rows, key=lambda row: (row["decided_at"], row["decision_id"]))


def _export_row(claim: ExpenseClaim, decision: ClaimDecision, line) -> dict:
    from django.utils import timezone

    placement = line.placement
    return {
        "claim_reference": claim.reference, "source": claim.source,
        # A rep's claim has no claimant name of its own: the rep is the claimant.
        "claimant": claim.claimant_name or (claim.submitted_by.get_full_name() or claim.submitted_by.get_username()
                                            if claim.source == ExpenseClaim.Source.REP else ""),
        "store_code": placement.store.code, "store_name": placement.store.name,
        "retailer": placement.store.retailer.name if placement.store.retailer_id else "",
        "campaign": placement.campaign.name, "placement_id": placement.pk, "display_type": placement.display_type,
        "period_start": line.period_start.isoformat(), "period_end": line.period_end.isoformat(),
        "claimed_amount": f"{line.amount:.2f}",
        "approved_amount": f"{(line.approved_amount or 0):.2f}",
        "decision": decision.outcome, "decided_by": decision.decided_by.get_username(),
        "decided_at": timezone.localtime(decision.decided_at).isoformat(timespec="seconds"),
        "decision_id": decision.pk, "reason": decision.reason, "model_version": decision.detector_sha256,
    }


def claims_supported_by(*, checks: list, visit: Visit) -> QuerySet[ExpenseClaim]:
    """Submitted claims whose lines cover a checked placement on the visit's day: their evidence changed."""
    if not checks:
        return ExpenseClaim.objects.none()
    on = visit_date(visit)
    return ExpenseClaim.objects.filter(
        status=ExpenseClaim.Status.SUBMITTED, lines__placement__in=[c.placement_id for c in checks],
        lines__period_start__lte=on, lines__period_end__gte=on,
    ).distinct()
