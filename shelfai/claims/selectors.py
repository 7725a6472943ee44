"""Reads for claims and placements, scoped to what each role may see.

Finance and admins see every claim and decide; marketing reads every claim (never decides); a rep
sees only the claims they submitted. Anyone else (planning) sees none. A claim outside a user's
scope is a 404 — its existence is not leaked with a 403.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from shelfai.accounts.models import Role, User
from shelfai.claims.models import ClaimDecision, ExpenseClaim, PaidPlacement, PlacementCheck
from shelfai.stores.models import Store
from shelfai.visits.models import Visit


def user_decides_claims(user: User) -> bool:
    return bool(user.is_authenticated and user.has_role(Role.FINANCE))


def user_imports_claims(user: User) -> bool:
    """Retailer and distributor files reach us by e-mail or EDI; finance loads them."""
    return user_decides_claims(user)


def claims_visible_to(user: User) -> QuerySet[ExpenseClaim]:
    claims = ExpenseClaim.objects.select_related("submitted_by")
    if not user.is_authenticated:
        return claims.none()
    if user.has_role(Role.FINANCE, Role.MARKETING):
        return claims
    if user.is_rep:
        return claims.filter(submitted_by=user)
    return claims.none()


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
    return claims.distinct().order_by("-risk_score", "-total_amount", "submitted_at")


def claim_lines_with_placements(claim: ExpenseClaim):
    return claim.lines.select_related(
        "placement", "placement__store", "placement__campaign", "placement__campaign__brand"
    ).order_by("pk")


def claim_decisions(claim: ExpenseClaim) -> QuerySet[ClaimDecision]:
    return claim.decisions.select_related("decided_by").order_by("decided_at", "pk")


def claim_last_decision(claim: ExpenseClaim) -> ClaimDecision | None:
    return claim.decisions.select_related("decided_by").order_by("-decided_at", "-pk").first()


def placements_claimable_by(user: User) -> QuerySet[PaidPlacement]:
    """A rep claims only placements at the stores assigned to them; finance and admins any."""
    from shelfai.stores.selectors import stores_visible_to

    placements = PaidPlacement.objects.select_related("store", "campaign")
    if user.has_role(Role.FINANCE):
        return placements
    if user.is_rep:
        return placements.filter(store__in=stores_visible_to(user))
    return placements.none()


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
        Visit.objects.filter(store=placement.store, started_at__date__gte=start, started_at__date__lte=end)
        .select_related("rep", "store")
        .order_by("started_at")
    )


def current_checks(*, placement: PaidPlacement, visits) -> dict[int, PlacementCheck]:
    checks = PlacementCheck.objects.filter(placement=placement, visit__in=visits, is_current=True)
    return {check.visit_id: check for check in checks}


def store_by_code(code: str) -> Store | None:
    return Store.objects.filter(code=code).first()


def visit_date(visit: Visit) -> date:
    from django.utils import timezone

    return timezone.localdate(visit.started_at)
