"""``{% load shelfai_formats %}``: the template side of ``shelfai.formats`` (one format on every page).

    {{ claim.total_amount|money }}   -> EUR 1,234.56
    {{ rate|percent }}               -> 53%       {{ rate|percent:1 }} -> 53.4%
    {{ count|number }}               -> 1,840
    {{ "2026-12-04"|day }}           -> Dec. 4, 2026 (a date, datetime, or the ISO text a stored packet holds)
    {{ photo.taken_at|moment }}      -> Dec. 4, 2026, 7:30 a.m. CST (the viewer's zone, named)
    {{ fee|money:campaign }}         -> CNY 1,234.56 (zh-hans: ¥1,234.56), the campaign's currency if it has one
"""

from __future__ import annotations

from datetime import date, datetime

from django import template

from shelfai import formats

register = template.Library()


@register.filter
def money(value, currency=None):
    """``{{ amount|money }}`` in the site's currency; ``{{ amount|money:"CNY" }}`` in a code's;
    ``{{ amount|money:campaign }}`` (or a claim) in that record's ``currency``, if it has one."""
    if currency is not None and not isinstance(currency, str):
        currency = getattr(currency, "currency", None)
    return formats.money(value, currency or None)


@register.filter
def percent(value, places=0):
    return formats.percent(value, int(places))


@register.filter
def number(value, places=0):
    return formats.number(value, int(places))


@register.filter
def day(value):
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10]) if len(value) <= 10 else datetime.fromisoformat(value)
        except ValueError:
            return value
    return formats.day(value)


@register.filter
def moment(value):
    """A timestamp in the viewer's time zone, with the zone named: "Dec. 4, 2026, 7:30 a.m. CST"."""
    return formats.moment(value)
