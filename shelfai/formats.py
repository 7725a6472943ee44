"""One way to write money, percentages, numbers and dates on every page, export sentence and message.

Everything goes through Django's locale formatting (``django.utils.formats``), so when the next
issue turns on other languages and time zones, every figure follows the active locale without a
second formatter to hunt down. Pure functions of their arguments and the settings; no ORM.

Money carries the currency (``settings.CURRENCY``, an ISO 4217 code) and thousands separators:
"EUR 1,234.56". A code, not a symbol, because trade-spend files from retailers and the ERP speak
in codes and "€" vs "EUR" must never be the reason two figures look different.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
DASH = "—"


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def number(value: Any, places: int = 0) -> str:
    """``1234.5`` -> "1,235" (places=0) or "1,234.50" (places=2), with the locale's separators."""
    amount = _decimal(value)
    if amount is None:
        return DASH
    quantum = Decimal(1).scaleb(-places)
    return formats.number_format(amount.quantize(quantum, rounding=ROUND_HALF_UP), places, use_l10n=True,
                                 force_grouping=True)


def money(value: Any, currency: str | None = None) -> str:
    """``Decimal("41737.48")`` -> "EUR 41,737.48"; None -> "—"."""
    amount = _decimal(value)
    if amount is None:
        return DASH
    # Translators: a currency code and an amount, e.g. "EUR 1,234.56".
    return _("%(currency)s %(amount)s") % {"currency": currency or settings.CURRENCY, "amount": number(amount, 2)}


def percent(value: Any, places: int = 0) -> str:
    """A fraction as a percentage: ``0.534`` -> "53%" (places=0), written the locale's way."""
    fraction = _decimal(value)
    if fraction is None:
        return DASH
    # Translators: a percentage, e.g. "53%".
    return _("%(number)s%%") % {"number": number(fraction * 100, places)}


def day(value: date | datetime | None) -> str:
    """A date in the locale's form (en: "Dec. 4, 2026", never ambiguous); a datetime is read in the site's zone."""
    if value is None:
        return DASH
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    return formats.date_format(value, "DATE_FORMAT", use_l10n=True)


def moment(value: datetime | None) -> str:
    """A date and time in the locale's form (en: "Dec. 4, 2026, 1:15 p.m."), in the site's time zone."""
    if value is None:
        return DASH
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATETIME_FORMAT", use_l10n=True)
