"""Reads scoped to what a user may see."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from shelfai.accounts.models import User
from shelfai.stores.models import Store


def stores_visible_to(user: User, *, on: date | None = None) -> QuerySet[Store]:
    """Reps see the stores assigned to them today; other roles see every active store."""
    stores = Store.objects.filter(is_active=True).select_related("region", "retailer")
    if user.sees_all_stores:
        return stores
    on = on or timezone.localdate()
    return stores.filter(
        Q(assignments__ends_on__isnull=True) | Q(assignments__ends_on__gte=on),
        assignments__rep=user,
        assignments__starts_on__lte=on,
    ).distinct()
