"""Reads of visits and photos, scoped so a rep never sees another rep's work."""

from __future__ import annotations

from django.db.models import QuerySet

from shelfai.accounts.models import User
from shelfai.visits.models import Photo, Visit


def visits_visible_to(user: User) -> QuerySet[Visit]:
    visits = Visit.objects.select_related("store", "rep")
    return visits if user.sees_all_stores else visits.filter(rep=user)


def photos_visible_to(user: User) -> QuerySet[Photo]:
    photos = Photo.objects.select_related("visit", "visit__store")
    return photos if user.sees_all_stores else photos.filter(visit__rep=user)
