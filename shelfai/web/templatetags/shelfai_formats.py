"""``{% load shelfai_formats %}``: the template side of ``shelfai.formats`` (one format on every page).

    {{ claim.total_amount|money }}   -> EUR 1,234.56
    {{ rate|percent }}               -> 53%       {{ rate|percent:1 }} -> 53.4%
    {{ count|number }}               -> 1,840
"""

from __future__ import annotations

from django import template

from shelfai import formats

register = template.Library()


@register.filter
def money(value):
    return formats.money(value)


@register.filter
def percent(value, places=0):
    return formats.percent(value, int(places))


@register.filter
def number(value, places=0):
    return formats.number(value, int(places))
