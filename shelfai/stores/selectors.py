"""Reads scoped to what a user may see."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from shelfai.accounts.models import User
from shelfai.stores.models import RepAssignment, Store
from shelfai.stores.zones import today_in


def stores_visible_to(user: User, *, on: date | None = None) -> QuerySet[Store]:
    """Reps see the stores assigned to them on the store's own today (any weekday: a rep may visit a store
    off schedule, e.g. to fix a display); other roles see every active store. ``on`` fixes the day for
    every store alike."""
    stores = Store.objects.filter(is_active=True).select_related("region", "retailer")
    if user.sees_all_stores:
        return stores
    return stores.filter(pk__in=_assignments_in_force(user, on=on, scheduled=False).values("store_id"))


def stores_for_today(user: User) -> QuerySet[Store]:
    """Today's stores: a rep's stores assigned and scheduled (``RepAssignment.weekdays``) for the store's
    local weekday today; other roles see every active store."""
    stores = Store.objects.filter(is_active=True).select_related("region", "retailer")
    if user.sees_all_stores:
        return stores
    return stores.filter(pk__in=_assignments_in_force(user, on=None, scheduled=True).values("store_id"))


def _assignments_in_force(user: User, *, on: date | None, scheduled: bool) -> QuerySet[RepAssignment]:
    assignments = RepAssignment.objects.filter(rep=user)
    if on is not None:
        return assignments.filter(_on(on, scheduled))
    # "Today" is a different date in Shanghai and in Berlin: one condition per zone the rep's stores are in
    # (a handful), so the query stays one query however many stores there are.
    zones = assignments.values_list("store__timezone", flat=True).distinct().order_by()
    in_force = Q(pk__in=[])
    for zone in zones:
        in_force |= Q(store__timezone=zone) & _on(today_in(zone), scheduled)
    return assignments.filter(in_force)


def _on(day: date, scheduled: bool) -> Q:
    q = Q(starts_on__lte=day) & (Q(ends_on__isnull=True) | Q(ends_on__gte=day))
    if scheduled:
        # weekdays is "1010100", Monday..Sunday: the day's digit must be 1.
        q &= Q(weekdays__regex=rf"^.{{{day.weekday()}}}1")
    return q
