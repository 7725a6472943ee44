"""The dashboard's filters: one form that validates the query string, one value every selector takes.

Filters travel in the query string (GET), so any figure, drill-down or export is a link that can be
shared and reproduces exactly what the sender saw.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from urllib.parse import urlencode

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from shelfai import formats
from shelfai.claims.models import Campaign
from shelfai.stores.models import Brand, Product, Region, Retailer, Store

DEFAULT_DAYS = 90


@dataclass(frozen=True)
class Filters:
    date_from: date
    date_to: date
    region: Region | None = None
    retailer: Retailer | None = None
    store: Store | None = None
    brand: Brand | None = None
    product: Product | None = None
    campaign: Campaign | None = None

    @property
    def starts_at(self) -> datetime:
        """First instant of ``date_from`` in the site's time zone (a range, so indexes apply)."""
        return timezone.make_aware(datetime.combine(self.date_from, time.min))

    @property
    def ends_before(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.date_to + timedelta(days=1), time.min))

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def store_q(self, prefix: str = "") -> Q:
        """Where the stores are: region, retailer, store and the campaign's stores."""
        q = Q()
        if self.region is not None:
            q &= Q(**{f"{prefix}region": self.region})
        if self.retailer is not None:
            q &= Q(**{f"{prefix}retailer": self.retailer})
        if self.store is not None:
            q &= Q(**{f"{prefix}pk": self.store.pk})
        if self.campaign is not None and self.campaign_store_ids:
            q &= Q(**{f"{prefix}pk__in": self.campaign_store_ids})
        return q

    @cached_property
    def campaign_store_ids(self) -> list[int]:
        # A campaign without stores runs everywhere (see Campaign.stores).
        if self.campaign is None:
            return []
        return list(self.campaign.stores.values_list("pk", flat=True))

    def product_ids(self) -> list[int] | None:
        """SKUs the SKU-level figures are limited to; None means every SKU."""
        if self.product is not None:
            return [self.product.pk]
        products = Product.objects.all()
        limited = False
        if self.brand is not None:
            products, limited = products.filter(brand=self.brand), True
        if self.campaign is not None:
            campaign_products = list(self.campaign.products.values_list("pk", flat=True))
            if campaign_products:
                products, limited = products.filter(pk__in=campaign_products), True
            else:
                products, limited = products.filter(brand_id=self.campaign.brand_id), True
        return list(products.values_list("pk", flat=True)) if limited else None

    def params(self) -> dict[str, str]:
        """The query-string form of these filters (only what differs from empty)."""
        values = {
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "region": self.region.code if self.region else "",
            "retailer": self.retailer.code if self.retailer else "",
            "store": self.store.code if self.store else "",
            "brand": str(self.brand.pk) if self.brand else "",
            "sku": self.product.sku if self.product else "",
            "campaign": str(self.campaign.pk) if self.campaign else "",
        }
        return {k: v for k, v in values.items() if v}

    def query(self, **extra: str | None) -> str:
        """A query string for a link: these filters plus ``extra`` (None removes a key)."""
        params = self.params()
        for key, value in extra.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = str(value)
        return urlencode(params)

    def with_dates(self, start: date, end: date) -> Filters:
        return replace(self, date_from=start, date_to=end)


class FilterForm(forms.Form):
    date_from = forms.DateField(required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    region = forms.ModelChoiceField(Region.objects.all(), required=False, to_field_name="code", label=_("Region"),
                                    empty_label=_("All regions"))
    retailer = forms.ModelChoiceField(Retailer.objects.all(), required=False, to_field_name="code",
                                      label=_("Retailer"), empty_label=_("All retailers"))
    store = forms.ModelChoiceField(Store.objects.filter(is_active=True), required=False, to_field_name="code",
                                   label=_("Store"), empty_label=_("All stores"))
    brand = forms.ModelChoiceField(Brand.objects.all(), required=False, label=_("Brand"),
                                   empty_label=_("All brands"))
    sku = forms.ModelChoiceField(Product.objects.select_related("brand"), required=False, to_field_name="sku",
                                 label=_("SKU"), empty_label=_("All SKUs"))
    # "All campaigns", not "No campaign": an empty choice filters nothing out, and "No campaign" read as
    # "leave out the visits of campaigns".
    campaign = forms.ModelChoiceField(Campaign.objects.all(), required=False, label=_("Campaign"),
                                      empty_label=_("All campaigns"))

    def __init__(self, data=None, *args, **kwargs):
        if data is not None:
            # No code holds a NUL, and PostgreSQL refuses one in a query: a pasted "%00" was a 500.
            data = data.copy()
            for key in list(data):
                data.setlist(key, [value.replace("\x00", "") for value in data.getlist(key)])
        super().__init__(data, *args, **kwargs)
        self.fields["sku"].label_from_instance = lambda p: f"{p} ({p.sku})"
        self.fields["store"].label_from_instance = lambda s: f"{s.name} ({s.code})"
        self.period: tuple[date, date] | None = None

    def show_period(self, f: Filters) -> None:
        """Fill empty date inputs with the period the page shows (an empty "mm/dd/yyyy" beside "Showing
        4 Sep – 2 Dec" read as "no dates"). What the user typed, valid or not, is kept as typed."""
        self.period = (f.date_from, f.date_to)

    def controls(self) -> list[dict]:
        """Each field with, for the lists, its options as ready HTML.

        Django's select widget renders every option through a template; with 500 stores that
        alone costs more than all the dashboard's queries, so the options are joined here.
        """
        controls = []
        for bound in self:
            options = None
            if isinstance(bound.field, forms.ModelChoiceField):
                options = _options_html(bound)
            value = bound.value()
            if isinstance(value, date):
                value = value.isoformat()
            if not value and self.period and bound.name in ("date_from", "date_to"):
                value = self.period[0 if bound.name == "date_from" else 1].isoformat()
            controls.append({"field": bound, "options": options, "value": value or ""})
        return controls

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date: pick a date on or after "
                                        "%(start)s.") % {"start": formats.day(start)})
        return data


def _options_html(bound: forms.BoundField) -> SafeString:
    field = bound.field
    selected = "" if bound.value() is None else str(bound.value())
    key = field.to_field_name or "pk"
    options = [f'<option value=""{"" if selected else " selected"}>{escape(field.empty_label or "")}</option>']
    for obj in field.queryset:
        value = str(getattr(obj, key))
        mark = " selected" if value == selected else ""
        options.append(f'<option value="{escape(value)}"{mark}>{escape(field.label_from_instance(obj))}</option>')
    return mark_safe("".join(options))  # values and labels escaped above


def filters_from(form: FilterForm, *, today: date | None = None) -> Filters:
    """The filters to apply: the valid fields of ``form``, defaults for the rest.

    An invalid field is reported next to itself by the form and ignored here, so the page still
    shows figures (for the default) while keeping what the user typed.
    """
    form.is_valid()
    data = {k: v for k, v in getattr(form, "cleaned_data", {}).items() if k not in form.errors}
    today = today or timezone.localdate()
    campaign = data.get("campaign")
    date_to = data.get("date_to")
    date_from = data.get("date_from")
    if "date_to" in form.errors:
        date_from = date_to = None
    if campaign is not None and date_from is None and date_to is None:
        # Picking a campaign without dates means "over the campaign's period".
        date_from, date_to = campaign.starts_on, campaign.ends_on
    date_to = date_to or today
    date_from = date_from or date_to - timedelta(days=DEFAULT_DAYS - 1)
    return Filters(
        date_from=date_from,
        date_to=date_to,
        region=data.get("region"),
        retailer=data.get("retailer"),
        store=data.get("store"),
        brand=data.get("brand"),
        product=data.get("sku"),
        campaign=campaign,
    )
