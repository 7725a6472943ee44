"""One way to write money, percentages, numbers and dates on every page, export sentence and message.

Everything goes through Django's locale formatting (``django.utils.formats``), so when the next
issue turns on other languages and time zones, every figure follows the active locale without a
second formatter to hunt down. Pure functions of their arguments and the settings; no ORM.

Money carries the currency (the campaign's ISO 4217 code, else ``settings.CURRENCY``) and thousands
separators: "EUR 1,234.56". A code, not a symbol, because trade-spend files from retailers and the ERP
speak in codes and "€" vs "EUR" must never be the reason two figures look different. One exception,
by language: in Chinese, yuan read as "¥1,234.56" (how every Chinese invoice and ERP screen writes
them); other currencies keep their code there too ("EUR 1,234.56"). English always writes the code
("CNY 1,234.56"). Thousands are grouped by three in both (shelfai/locale_formats/zh_Hans).

Timestamps are read in the viewer's time zone (``shelfai.accounts.middleware``) and name it:
"Dec. 4, 2026, 7:30 a.m. CST" / "2026年12月4日 07:30 CST".
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
DASH = "—"
# The currencies a language writes with a symbol before the amount; every other one keeps its code.
SYMBOLS = {"zh-hans": {"CNY": "¥"}}


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


# The currency of the record a page or response is about (a claim's campaign), for every amount written while
# it is set without a code of its own: the stored reasons say "EUR 750.00 of EUR 1,000.00 payable" from
# bare figures, and on a yuan campaign's claim they must read yuan.
_RECORD_CURRENCY: ContextVar[str | None] = ContextVar("shelfai_record_currency", default=None)


@contextmanager
def amounts_in(currency: str | None):
    """Inside the block, ``money(x)`` without a code writes ``currency`` (None: the site's ``CURRENCY``)."""
    token = _RECORD_CURRENCY.set(currency or None)
    try:
        yield
    finally:
        _RECORD_CURRENCY.reset(token)


def money(value: Any, currency: str | None = None) -> str:
    """``Decimal("41737.48")`` -> "EUR 41,737.48" (zh-hans and CNY: "¥41,737.48"); None -> "—"."""
    amount = _decimal(value)
    if amount is None:
        return DASH
    code = (currency or _RECORD_CURRENCY.get() or settings.CURRENCY).upper()
    symbol = SYMBOLS.get((get_language() or "").lower(), {}).get(code)
    if symbol:
        return f"{symbol}{number(amount, 2)}"
    # Translators: a currency code and an amount, e.g. "EUR 1,234.56".
    return _("%(currency)s %(amount)s") % {"currency": code, "amount": number(amount, 2)}


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


def moment(value: datetime | str | None) -> str:
    """A date and time in the locale's form, in the viewer's time zone, which it names:
    "Dec. 4, 2026, 7:30 a.m. CST" (en), "2026年12月4日 07:30 CST" (zh-hans). ISO text is read too."""
    if value is None or value == "":
        return DASH
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not timezone.is_aware(value):
        return formats.date_format(value, "DATETIME_FORMAT", use_l10n=True)
    value = timezone.localtime(value)
    # Translators: a date and time, then the time zone's abbreviation, e.g. "Dec. 4, 2026, 7:30 a.m. CST".
    return _("%(datetime)s %(zone)s") % {"datetime": formats.date_format(value, "DATETIME_FORMAT", use_l10n=True),
                                         "zone": zone_name(value)}


def zone_name(value: datetime) -> str:
    """The zone's abbreviation ("CST", "CET", "UTC"); a zone without one ("+07") reads "UTC+07"."""
    name = value.tzname() or ""
    return f"UTC{name}" if name[:1] in "+-" else name
