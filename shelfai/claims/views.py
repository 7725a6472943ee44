"""Finance pages: the claims queue, one claim with its evidence packet and decision, import, export.

Server-rendered with plain forms. Pages are for finance (and admins); anyone else gets a 403, and a
claim the user may not see at all is a 404. Nothing here is cached: amounts and flags are per user.
"""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shelfai.claims import selectors, services
from shelfai.claims.api import export_response
from shelfai.claims.csv_import import REQUIRED_COLUMNS, claims_import_csv
from shelfai.claims.models import Campaign, ClaimDecision, ExpenseClaim

Outcome = ClaimDecision.Outcome


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, initial=ExpenseClaim.Status.SUBMITTED, choices=[
        (ExpenseClaim.Status.SUBMITTED, "To decide"), ("decided", "Decided"), ("", "All"),
        *[(s, label) for s, label in ExpenseClaim.Status.choices if s != ExpenseClaim.Status.SUBMITTED]])
    source = forms.ChoiceField(required=False, choices=[("", "Any source"), *ExpenseClaim.Source.choices])
    recommendation = forms.ChoiceField(required=False, choices=[
        ("", "Any recommendation"), ("approve", "Approve"), ("partial", "Partial"), ("reject", "Reject")])
    store = forms.CharField(required=False, max_length=32, label="Store code")
    campaign = forms.ModelChoiceField(required=False, queryset=Campaign.objects.all(), empty_label="Any campaign")
    q = forms.CharField(required=False, max_length=64, label="Reference or claimant")


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(widget=forms.RadioSelect, label="Decision", choices=[
        (Outcome.APPROVE, "Approve in full"), (Outcome.PARTIAL, "Approve part"), (Outcome.REJECT, "Reject")])
    amount = forms.DecimalField(required=False, max_digits=12, decimal_places=2, min_value=0,
                                label="Amount to approve", help_text="Only for a partial approval.")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, label="Reason")
    decisions_seen = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class ReopenForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, label="Why reopen")


class ImportForm(forms.Form):
    source = forms.ChoiceField(choices=[(ExpenseClaim.Source.RETAILER, "Retailer"),
                                        (ExpenseClaim.Source.DISTRIBUTOR, "Distributor")])
    file = forms.FileField(label="Claims CSV")


class ExportForm(forms.Form):
    decided_from = forms.DateField(required=False, label="Decided from",
                                   widget=forms.DateInput(attrs={"type": "date"}))
    decided_to = forms.DateField(required=False, label="Decided until",
                                 widget=forms.DateInput(attrs={"type": "date"}))
    include_rejected = forms.BooleanField(required=False, label="Include rejected claims")
    new_only = forms.BooleanField(required=False, label="Only decisions not yet exported")
    mark_exported = forms.BooleanField(required=False, label="Mark as sent to the ERP")


def finance_page(view):
    """Signed in, finance or admin, never cached."""
    @login_required
    @never_cache
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not selectors.user_decides_claims(request.user):
            raise PermissionDenied("The claims desk is for finance.")
        return view(request, *args, **kwargs)
    return wrapped


def claim_page(view):
    """Like ``finance_page``, but a claim the user may not see at all is a 404 (not a 403)."""
    @login_required
    @never_cache
    @wraps(view)
    def wrapped(request: HttpRequest, pk: int, *args, **kwargs):
        claim = get_object_or_404(selectors.claims_visible_to(request.user), pk=pk)
        if not selectors.user_decides_claims(request.user):
            raise PermissionDenied("Only finance works on claims.")
        return view(request, claim, *args, **kwargs)
    return wrapped


@finance_page
def claims_queue(request: HttpRequest) -> HttpResponse:
    return _render_queue(request)


def _render_queue(request: HttpRequest, *, export_form: ExportForm | None = None, status: int = 200):
    filters = QueueFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_bound and filters.is_valid() else {"status": "submitted"}
    claims = selectors.claim_queue(
        user=request.user, status=data.get("status", ""), source=data.get("source", ""),
        store_code=data.get("store", ""), campaign_id=data["campaign"].pk if data.get("campaign") else None,
        recommendation=data.get("recommendation", ""), search=data.get("q", ""),
    )
    page = Paginator(claims, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "claims/queue.html", {
        "filters": filters if filters.is_bound else QueueFilterForm(), "page": page, "query": query.urlencode(),
        "export_form": export_form or ExportForm(),
    }, status=status)


@claim_page
def claim_detail(request: HttpRequest, claim: ExpenseClaim) -> HttpResponse:
    return _render_claim(request, claim)


def _render_claim(request, claim, *, form=None, reopen_form=None, refusal="", status=200) -> HttpResponse:
    decisions = list(selectors.claim_decisions(claim))
    if form is None:
        initial = {"decisions_seen": len(decisions)}
        if claim.recommendation in (Outcome.APPROVE, Outcome.PARTIAL, Outcome.REJECT):
            initial.update(outcome=claim.recommendation, amount=claim.recommended_amount
                           if claim.recommendation == Outcome.PARTIAL else None)
        form = DecisionForm(initial=initial)
    return render(request, "claims/detail.html", {
        "claim": claim,
        "lines": list(selectors.claim_lines_with_placements(claim)),
        "decisions": decisions,
        "audit": list(selectors.claim_audit_trail(claim)),
        "form": form,
        "reopen_form": reopen_form or ReopenForm(),
        "refusal": refusal,
        "is_open": claim.status == ExpenseClaim.Status.SUBMITTED,
    }, status=status)


@require_POST
@claim_page
def claim_decide(request: HttpRequest, claim: ExpenseClaim) -> HttpResponse:
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _render_claim(request, claim, form=form, status=400)
    try:
        decision = services.claim_decide(
            claim=claim, decided_by=request.user, outcome=form.cleaned_data["outcome"],
            amount=form.cleaned_data["amount"], reason=form.cleaned_data["reason"],
            decisions_seen=form.cleaned_data["decisions_seen"],
        )
    except services.DecisionInvalid as exc:
        for field, message in exc.errors.items():
            form.add_error(field if field in form.fields else None, message)
        return _render_claim(request, claim, form=form, status=400)
    except services.ClaimAlreadyDecided as exc:
        claim.refresh_from_db()
        return _render_claim(request, claim, refusal=str(exc), status=409)
    messages.success(request, f"Claim {claim.reference}: {decision.get_outcome_display().lower()}d, "
                              f"{decision.amount} approved.")
    return redirect("claim-detail", pk=claim.pk)


@require_POST
@claim_page
def claim_reopen(request: HttpRequest, claim: ExpenseClaim) -> HttpResponse:
    form = ReopenForm(request.POST)
    if not form.is_valid():
        return _render_claim(request, claim, reopen_form=form, status=400)
    try:
        services.claim_reopen(claim=claim, reopened_by=request.user, reason=form.cleaned_data["reason"])
    except services.ClaimAlreadyDecided as exc:
        return _render_claim(request, claim, refusal=str(exc), status=409)
    messages.success(request, f"Claim {claim.reference} is open again; the earlier decision stays on record.")
    return redirect("claim-detail", pk=claim.pk)


@finance_page
def claims_import(request: HttpRequest) -> HttpResponse:
    report = None
    form = ImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            report = claims_import_csv(file=form.cleaned_data["file"], submitted_by=request.user,
                                       source=form.cleaned_data["source"])
            if report.ok:
                messages.success(request, report.summary())
                return redirect("claims-queue")
        status = 400
    return render(request, "claims/import.html", {
        "form": form, "report": report, "columns": REQUIRED_COLUMNS}, status=status)


@finance_page
def claims_export(request: HttpRequest) -> HttpResponse:
    """GET downloads (a link to bookmark); the form POSTs, and may mark the decisions as sent."""
    form = ExportForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        return _render_queue(request, export_form=form, status=400)
    filters = dict(form.cleaned_data)
    mark = filters.pop("mark_exported") and request.method == "POST"
    return export_response(request.user, filters, mark=mark)
