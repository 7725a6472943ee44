"""The store's own calendar: every day and week the product counts is a day in the store's time zone.

A visit at 07:30 in Shanghai is Monday's visit even though the server (UTC) still reads Sunday 23:30;
``Visit.local_date`` stores that answer once, when the visit starts, and queries bucket by it. Where
there is no visit (a decision, an alert), an instant is converted with ``local_date(store, instant)``.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

UTC = ZoneInfo("UTC")


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_time_zone(name: str) -> bool:
    """An IANA name the system's zone database knows ("Asia/Shanghai"; not "CST" or "+08:00")."""
    return bool(name) and name in _known_zones()


def validate_time_zone(value: str) -> None:
    """Model and form validator: a bad name is refused where it is typed, not discovered later."""
    if not is_time_zone(value):
        raise ValidationError(
            # Translators: a store's time zone as typed in the admin, e.g. "Asia/Shanghai".
            _("“%(name)s” is not a time zone name. Use an IANA name such as Asia/Shanghai or Europe/Berlin."),
            code="invalid_time_zone", params={"name": value})


def default_time_zone() -> str:
    """A new store's zone: the server's TIME_ZONE (a deployment in China sets Asia/Shanghai once)."""
    return settings.TIME_ZONE if is_time_zone(settings.TIME_ZONE) else "UTC"


@lru_cache(maxsize=512)
def zone_named(name: str) -> ZoneInfo:
    """The zone, or UTC for a name the database does not know (a row saved before validation existed)."""
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("Unknown time zone %r; counting its days in UTC", name)
        return UTC


def store_zone(store) -> ZoneInfo:
    return zone_named(getattr(store, "timezone", "") or "")


def local_date(store, instant: datetime) -> date:
    """The store's calendar day at ``instant`` (an aware datetime)."""
    return instant.astimezone(store_zone(store)).date()


def local_today(store, *, now: datetime | None = None) -> date:
    return local_date(store, now or timezone.now())


def today_in(zone_name: str, *, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(zone_named(zone_name)).date()


def local_day_bounds(store, day: date) -> tuple[datetime, datetime]:
    """[start, end) of the store's ``day`` as aware instants: 23 or 25 hours long across a DST change."""
    zone = store_zone(store)
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    # In UTC: Python subtracts two datetimes of one zone by their wall clocks (24 h across a DST change).
    return start.astimezone(UTC), end.astimezone(UTC)


def week_start(day: date) -> date:
    """The Monday of ``day``'s week: a week is Monday..Sunday, seven local days."""
    return day - timedelta(days=day.weekday())


def scheduled_on(weekdays: str, day: date) -> bool:
    """Is ``day`` one of an assignment's visit days ("1010100": Monday..Sunday as 1/0)?"""
    mask = (weekdays or "").ljust(7, "0")
    return mask[day.weekday()] == "1"
