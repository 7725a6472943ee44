"""Planning pages for planners on a desktop: the forecast chart with its runs, inventory recommendations,
campaign uplift and ROI.

Server-rendered and thin: reads come from ``forecasting.reports`` and the selectors, writes go through the
services (``forecast_run_create``, ``inventory_plan_create``). Who may read and who may write is the roles
table (``shelfai.accounts.roles``): anyone else who is signed in gets a 404, so the pages do not admit to
existing, and anonymous users are sent to sign in. Marketing reads; saving (runs, plans) is a 403 for them.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from forecasting import selectors
from forecasting.api import can_plan
from forecasting.campaign_results import campaign_measured
from forecasting.charts import forecast_chart
from forecasting.models import ForecastRun, Freq, Level, ModelName, SalesRecord, SeriesFit
from forecasting.plan_services import (
    PlanningError,
    campaign_uplift_estimate,
    compare_campaigns,
    inventory_plan_create,
    observed_execution,
)
from forecasting.reports import forecast_report
from forecasting.runs import RunAlreadyActive, active_run, forecast_run_create
from forecasting.tasks import run_forecast
from shelfai import formats
from shelfai.accounts.roles import Action, may
from shelfai.claims.models import Campaign
from shelfai.stores.models import Product, Region, Store

HISTORY_DAYS = 180
RECENT_RUNS = 5
MAX_PLANS = 50  # inventory rows per request: each is a saved plan, so a whole chain at once is a batch job
MAX_CAMPAIGNS = 30
SELECTION_KEYS = ("sku", "store", "region", "freq")
EFFECT_LABELS = {"promo": gettext_lazy("Promotion"), "display": gettext_lazy("Display fully up"),
                 # xgettext:no-python-format
                 "price_cut_10pct": gettext_lazy("Price 10% lower")}
PERIOD = {Freq.DAILY: "day", Freq.WEEKLY: "week"}


def planning_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in marketing, planning and admin users only. Never cached: pages are per user and change with
    every run."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_plan(request.user):
            raise Http404(_("Planning is for marketing, planning and admin users."))
        if request.method == "POST" and not may(request.user, Action.PLANNING_WRITE):
            raise PermissionDenied(_("Marketing reads forecasts and plans; planners start runs and save plans."))
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapper


def _with_sales(model, field: str):
    # EXISTS probes the sales indexes per row instead of a DISTINCT over every sales row.
    return model.objects.filter(Exists(SalesRecord.objects.filter(**{field: OuterRef("pk")})))


# --- forecast chart and runs -----------------------------------------------------------------------------


class ForecastSelectForm(forms.Form):
    sku = forms.ChoiceField(label=gettext_lazy("SKU"))
    store = forms.ChoiceField(label=gettext_lazy("Store"), required=False,
                              help_text=gettext_lazy("A store overrides the region."))
    region = forms.ChoiceField(label=gettext_lazy("Region"), required=False)
    freq = forms.ChoiceField(label=gettext_lazy("Periods"), choices=Freq.choices, initial=Freq.DAILY)

    def __init__(self, *args, products, stores, regions, **kwargs):
        super().__init__(*args, **kwargs)
        # The pack size too: "Gold Formula 400 g" and "Gold Formula 900 g" are two products.
        self.fields["sku"].choices = [(p.sku, f"{p.sku} · {p}") for p in products]
        self.fields["store"].choices = [("", _("All stores (SKU total)"))] + [
            (s.code, f"{s.code} · {s.name}") for s in stores
        ]
        self.fields["region"].choices = [("", _("All regions"))] + [(r.code, r.name) for r in regions]


class RunForm(forms.Form):
    freq = forms.ChoiceField(label=gettext_lazy("Periods"), choices=Freq.choices, initial=Freq.DAILY)
    horizon = forms.IntegerField(
        label=gettext_lazy("Periods ahead"),
        min_value=1,
        max_value=730,
        required=False,
        help_text=gettext_lazy("Leave empty for 84 days or 12 weeks."),
    )
    back = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self):
        active = active_run()
        if active is not None:
            raise forms.ValidationError(str(RunAlreadyActive(active)))
        return super().clean()


def _selection(query: QueryDict) -> QueryDict:
    """Only the chart selection of a query string, so a redirect cannot be pointed anywhere else."""
    kept = QueryDict(mutable=True)
    for key in SELECTION_KEYS:
        if query.get(key):
            kept[key] = query[key]
    return kept


def _forecast_context(query: QueryDict, run_form: RunForm | None = None) -> dict:
    products = _with_sales(Product, "product").order_by("sku")
    stores = _with_sales(Store, "store").order_by("code")
    regions = Region.objects.order_by("code")
    selection = _selection(query)
    runs = list(ForecastRun.objects.order_by("-created_at", "-pk")[:RECENT_RUNS])
    context = {
        "section": "forecast",
        "runs": runs,
        "runs_active": any(r.status in (ForecastRun.Status.QUEUED, ForecastRun.Status.RUNNING) for r in runs),
        "run_form": run_form or RunForm(initial={"back": selection.urlencode()}),
    }
    first = products.first()
    if first is None:
        return context | {"no_sales": True}
    data = {"sku": first.sku, "freq": Freq.DAILY, **selection.dict()}
    form = ForecastSelectForm(data, products=products, stores=stores, regions=regions)
    context["select_form"] = form
    if form.is_valid():
        context.update(_forecast(form.cleaned_data))
    return context


def _forecast(values: dict) -> dict:
    product = Product.objects.get(sku=values["sku"])
    store = Store.objects.filter(code=values["store"]).first() if values["store"] else None
    region = Region.objects.filter(code=values["region"]).first() if values["region"] and not store else None
    freq = values["freq"]
    report = forecast_report(
        product=product, store=store, region=region, freq=freq, history_days=HISTORY_DAYS
    )
    where = (f"{store.code} · {store.name}" if store
             else _("region %(name)s") % {"name": region.name} if region else _("all stores"))
    fit_model = report.get("model")
    chart = forecast_chart(report["history"], report["forecast"])
    left, top, right, bottom = chart.plot
    return {
        "product": product,
        "where": where,
        "period": PERIOD[freq],
        "freq_label": str(Freq(freq).label).lower(),
        "report": report,
        "model_label": ModelName(fit_model).label if fit_model in ModelName.values else fit_model,
        "chart": chart,
        "axis": {"x": round((left + right) / 2, 1), "y": round((top + bottom) / 2, 1)},
        "rows": _number_rows(report),
        "effects": _effect_rows(report.get("effects") or {}),
        "totals": _totals(report),
    }


def _marks(row: dict) -> str:
    parts = []
    if row["promo"] > 0:
        parts.append(_("promotion"))
    if row["display"] > 0:
        parts.append(_("display") if row["display"] >= 1
                     else _("display %(share)s") % {"share": formats.percent(row["display"])})
    return _(", ").join(parts)


def _number_rows(report: dict) -> list[dict]:
    rows = [
        {"date": h["date"], "units": h["units"], "campaign": _marks(h), "out_of_stock": h["out_of_stock"]}
        for h in report["history"]
    ]
    rows += [
        {
            "date": p["date"],
            "forecast": p["yhat"],
            "low": p["yhat_lower"],
            "high": p["yhat_upper"],
            "campaign": _marks(p),
        }
        for p in report["forecast"]
    ]
    return rows


def _effect_rows(effects: dict) -> list[dict]:
    return [
        {
            "label": EFFECT_LABELS.get(name, name),
            "lift": round(e["lift"] * 100),
            "low": round(e["low"] * 100),
            "high": round(e["high"] * 100),
        }
        for name, e in effects.items()
    ]


def _totals(report: dict) -> dict:
    history, forecast = report["history"], report["forecast"]
    return {
        "history_periods": len(history),
        "history_units": sum(h["units"] for h in history),
        "stockout_periods": sum(1 for h in history if h["out_of_stock"]),
        "forecast_periods": len(forecast),
        "forecast_units": sum(p["yhat"] for p in forecast),
        "first": history[0]["date"] if history else forecast[0]["date"] if forecast else None,
        "last": forecast[-1]["date"] if forecast else history[-1]["date"] if history else None,
    }


@planning_page
def forecast_page(request: HttpRequest) -> HttpResponse:
    return render(request, "planning/forecast.html", _forecast_context(request.GET))


@planning_page
@require_POST
def forecast_run_start(request: HttpRequest) -> HttpResponse:
    """Queue a run of every series; its progress shows on the forecast page, which polls it."""
    form = RunForm(request.POST)
    back = _selection(QueryDict(request.POST.get("back", "")))
    if not form.is_valid():
        return render(request, "planning/forecast.html", _forecast_context(back, run_form=form), status=400)
    try:
        with transaction.atomic():  # the task is sent when this commits, so the worker finds the row
            run = forecast_run_create(
                user=request.user, freq=form.cleaned_data["freq"], horizon=form.cleaned_data["horizon"],
                dispatch=run_forecast.delay,
                exclusive=True,  # the form's check above can race a double click; this one cannot
            )
    except RunAlreadyActive as exc:
        form.add_error(None, str(exc))
        return render(request, "planning/forecast.html", _forecast_context(back, run_form=form), status=409)
    messages.success(request, _("Forecast run %(run)s is queued; its progress shows under Forecast runs.")
                     % {"run": run.pk})
    query = back.urlencode()
    return redirect(reverse("forecast-page") + (f"?{query}" if query else "") + "#runs")


# --- inventory recommendations ---------------------------------------------------------------------------


class InventoryForm(forms.Form):
    store = forms.ChoiceField(label=gettext_lazy("Store"), required=False)
    sku = forms.ChoiceField(label=gettext_lazy("SKU"), required=False)
    lead_time_days = forms.IntegerField(label=gettext_lazy("Lead time (days)"), min_value=1, max_value=120, initial=7)
    review_period_days = forms.IntegerField(
        label=gettext_lazy("Review period (days)"), min_value=0, max_value=120, initial=7,
        help_text=gettext_lazy("Days between orders."),
    )
    service_level = forms.DecimalField(
        label=gettext_lazy("Service level (%)"),
        min_value=Decimal("50"),
        max_value=Decimal("99.9"),
        decimal_places=1,
        initial=Decimal("95"),
        help_text=gettext_lazy("Chance of not running out before the next delivery, e.g. 95."),
    )
    on_hand = forms.DecimalField(
        label=gettext_lazy("On hand (units)"),
        min_value=0,
        decimal_places=3,
        initial=0,
        help_text=gettext_lazy("For one store and SKU; with several, leave at 0."),
    )
    on_order = forms.DecimalField(label=gettext_lazy("On order (units)"), min_value=0, decimal_places=3, initial=0)
    case_size = forms.IntegerField(label=gettext_lazy("Case size (units)"), min_value=1, max_value=10000, initial=1)

    def __init__(self, *args, run: ForecastRun | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.run = run
        fits = SeriesFit.objects.filter(run=run, level=Level.SERIES) if run else SeriesFit.objects.none()
        stores = Store.objects.filter(pk__in=fits.values("store_id")).order_by("code")
        products = Product.objects.filter(pk__in=fits.values("product_id")).order_by("sku")
        self.fields["store"].choices = [("", _("All stores"))] + [
            (s.code, f"{s.code} · {s.name}") for s in stores
        ]
        self.fields["sku"].choices = [("", _("All SKUs"))] + [(p.sku, f"{p.sku} · {p}") for p in products]

    def clean(self):
        values = super().clean()
        if self.run is None:
            raise forms.ValidationError(_("There is no finished daily forecast run yet: start one on Forecast."))
        lead, review = values.get("lead_time_days"), values.get("review_period_days")
        if lead is not None and review is not None and lead + review > self.run.horizon:
            self.add_error(
                "lead_time_days",
                _("Lead time plus review period is %(days)s days, but forecast run %(run)s covers %(horizon)s; "
                  "shorten them or start a longer run.") % {"days": lead + review, "run": self.run.pk,
                                                            "horizon": self.run.horizon},
            )
        if (values.get("on_hand") or values.get("on_order")) and not (
            values.get("store") and values.get("sku")
        ):
            self.add_error(
                "on_hand",
                _("Stock on hand and on order belong to one store × SKU: pick a store and a SKU, "
                  "or leave them at 0."),
            )
        return values


def _inventory_rows(run: ForecastRun, values: dict, user) -> tuple[list[dict], int]:
    """Save a plan per matching store × SKU (at most MAX_PLANS); a series that cannot be planned says why."""
    fits = SeriesFit.objects.filter(run=run, level=Level.SERIES).select_related("store", "product")
    if values["store"]:
        fits = fits.filter(store__code=values["store"])
    if values["sku"]:
        fits = fits.filter(product__sku=values["sku"])
    total = fits.count()
    rows = []
    for fit in fits.order_by("store__code", "product__sku")[:MAX_PLANS]:
        row = {"store": fit.store, "product": fit.product}
        try:
            row["plan"] = inventory_plan_create(
                store=fit.store,
                product=fit.product,
                run=run,
                user=user,
                lead_time_days=values["lead_time_days"],
                review_period_days=values["review_period_days"],
                service_level=float(values["service_level"]) / 100,
                on_hand=float(values["on_hand"] or 0),
                on_order=float(values["on_order"] or 0),
                case_size=values["case_size"],
            )
        except ValueError as exc:  # PlanningError, or a forecast too short for this lead time
            row["error"] = str(exc)
        rows.append(row)
    return rows, total


@planning_page
def inventory_page(request: HttpRequest) -> HttpResponse:
    """GET shows the form; POST saves the plans (who planned what, from which run) and shows them."""
    run = selectors.latest_run(freq=Freq.DAILY)
    form = InventoryForm(request.POST if request.method == "POST" else None, run=run)
    context = {"section": "inventory", "form": form, "run": run, "max_plans": MAX_PLANS, "active": active_run()}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            context["rows"], context["total"] = _inventory_rows(run, form.cleaned_data, request.user)
        else:
            status = 400
    return render(request, "planning/inventory.html", context, status=status)


# --- campaigns -------------------------------------------------------------------------------------------


class CompareForm(forms.Form):
    ids = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Campaigns to compare"),
        queryset=Campaign.objects.all(),
        required=False,
        error_messages={
            "invalid_choice": gettext_lazy("Campaign %(value)s does not exist; tick campaigns from the list.")},
    )


def _pct(value: float | None) -> int | None:
    return None if value is None else round(value * 100)


def _estimate_view(estimate) -> dict:
    """An estimate as the templates show it: ROI in percent, spend = discount given + fee."""
    result = estimate.result
    view = {
        "campaign": estimate.campaign,
        "notes": estimate.notes,
        "result": result,
        "series": estimate.series,
    }
    if result is not None:
        view |= {
            "roi": _pct(result.roi),
            "roi_low": _pct(result.roi_low),
            "roi_high": _pct(result.roi_high),
            "spend": result.discount_cost + result.fee,
        }
    return view


@planning_page
def campaigns_page(request: HttpRequest) -> HttpResponse:
    """Planned campaigns ranked by ROI, or only the ticked ones side by side."""
    today = timezone.localdate()
    planned = list(
        Campaign.objects.filter(ends_on__gte=today)
        .select_related("brand")
        .order_by("starts_on", "pk")[:MAX_CAMPAIGNS]
    )
    finished = list(
        Campaign.objects.filter(ends_on__lt=today).select_related("brand").order_by("-ends_on", "pk")[:MAX_CAMPAIGNS]
    )
    form = CompareForm(request.GET or None)
    chosen = list(form.cleaned_data["ids"]) if form.is_bound and form.is_valid() else []
    run = selectors.latest_run(freq=Freq.DAILY)
    estimates = [_estimate_view(e) for e in compare_campaigns(chosen or planned, run=run)] if run else []
    context = {
        "section": "campaigns",
        "form": form,
        "run": run,
        "active": active_run(),
        "planned": planned,
        "finished": finished,
        "chosen_ids": {c.pk for c in chosen},
        "estimates": estimates,
    }
    return render(request, "planning/campaigns.html", context, status=400 if form.errors else 200)


def _estimate(campaign: Campaign, comparison: str) -> tuple[dict | None, str | None]:
    try:
        return _estimate_view(campaign_uplift_estimate(campaign=campaign, comparison=comparison)), None
    except PlanningError as exc:
        return None, str(exc)


def _measured(campaign: Campaign) -> tuple[object | None, str | None]:
    try:
        return campaign_measured(campaign=campaign), None
    except PlanningError as exc:
        return None, str(exc)


@planning_page
def campaign_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """One campaign: before it ends, its planned uplift and ROI and what full display execution would add
    over what the execution photos verified; once it has ended, what it measurably did (a forecast only
    looks ahead, so the planned estimate of a past campaign cannot be made)."""
    campaign = get_object_or_404(Campaign.objects.select_related("brand"), pk=campaign_id)
    ended = campaign.ends_on < timezone.localdate()
    measured, measured_error = _measured(campaign) if ended else (None, None)
    planned, planned_error = (None, None) if ended else _estimate(campaign, "baseline")
    what_if, what_if_error = (None, None) if ended else _estimate(campaign, "execution")
    verified = observed_execution(campaign)
    placements = [
        {"placement": p, "execution": verified.get(p.store_id)}
        for p in campaign.placements.select_related("store").order_by("store__code", "starts_on")
    ]
    context = {
        "section": "campaigns",
        "campaign": campaign,
        "products": list(campaign.products.order_by("sku")),
        "planned": planned,
        "planned_error": planned_error,
        "what_if": what_if,
        "what_if_error": what_if_error,
        "ended": ended,
        "measured": measured,
        "measured_error": measured_error,
        "placements": placements,
    }
    return render(request, "planning/campaign.html", context)
