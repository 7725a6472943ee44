"""The field rep's claims, on the phone: pick a paid display at one of their stores, claim a period of
it, see the photos that back it, and later the decision — never finance's assessment of it.

Server-rendered with a plain form; the same rules as ``POST /api/claims/`` (``services.claim_submit``).
A double tap submits once: the form carries a signed, ShelfAI-made reference, and a second post of it
lands on the claim the first one made.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shelfai import formats
from shelfai.accounts.roles import Action, page
from shelfai.claims import rep_selectors, selectors, services
from shelfai.claims.api import _without_other_claims
from shelfai.claims.models import ExpenseClaim

_SALT = "shelfai.claims.rep-claim"
_FORM_MAX_AGE = 24 * 3600  # a claim form left open overnight is filled in again


class RepClaimForm(forms.Form):
    period_start = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.DecimalField(label=format_lazy(gettext_lazy("Amount ({currency})"), currency=settings.CURRENCY),
                                max_digits=12, decimal_places=2,
                                min_value=Decimal("0.01"),
                                widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}))
    token = forms.CharField(widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period ends (%(end)s) before it starts.") % {"end": formats.day(end)})
        return data


def _new_token(placement_id: int) -> str:
    reference = services._new_reference(ExpenseClaim.Source.REP)
    return signing.dumps({"reference": reference, "placement": placement_id}, salt=_SALT)


def _reference_from(token: str, placement_id: int) -> str | None:
    try:
        data = signing.loads(token, salt=_SALT, max_age=_FORM_MAX_AGE)
    except signing.BadSignature:
        return None
    return data["reference"] if data.get("placement") == placement_id else None


@page(Action.CLAIM_SUBMIT)
def rep_claims(request: HttpRequest) -> HttpResponse:
    claims = rep_selectors.claims_of(request.user)
    return render(request, "claims/rep_list.html", {"claims": claims})


@page(Action.CLAIM_SUBMIT)
def rep_claim_new(request: HttpRequest) -> HttpResponse:
    options = rep_selectors.claim_options(request.user, today=timezone.localdate())
    return render(request, "claims/rep_new.html", {
        "today_options": [o for o in options if o.on_todays_visit],
        "other_options": [o for o in options if not o.on_todays_visit],
        "lookback_days": rep_selectors.CLAIM_LOOKBACK_DAYS,
    })


@page(Action.CLAIM_SUBMIT)
def rep_claim_form(request: HttpRequest, placement_id: int) -> HttpResponse:
    placement = get_object_or_404(selectors.placements_claimable_by(request.user), pk=placement_id)
    today = timezone.localdate()
    option = rep_selectors.claim_option(request.user, placement, today=today)
    if request.method != "POST":
        form = RepClaimForm(initial={"period_start": option.start, "period_end": option.end,
                                     "amount": option.suggested_amount, "token": _new_token(placement.pk)})
        return _render_form(request, option, form)
    form = RepClaimForm(request.POST)
    if not form.is_valid():
        return _render_form(request, option, form, status=400)
    reference = _reference_from(form.cleaned_data["token"], placement.pk)
    if reference is None:
        form = RepClaimForm(request.POST.dict() | {"token": _new_token(placement.pk)})
        form.is_valid()
        form.add_error(None, _("This form was open too long to be sent. Check the period and amount and send "
                               "it again."))
        return _render_form(request, option, form, status=400)
    already = rep_selectors.claims_of(request.user).filter(reference=reference).first()
    if already is not None:  # the second tap of a double tap: the first one made the claim
        return redirect("rep-claim", pk=already.pk)
    line = services.LineInput(placement=placement, period_start=form.cleaned_data["period_start"],
                              period_end=form.cleaned_data["period_end"], amount=form.cleaned_data["amount"])
    try:
        claim = services.claim_submit(submitted_by=request.user, lines=[line], reference=reference)
    except services.ClaimLinesRefused as exc:
        for problem in _without_other_claims(request.user, [p for ps in exc.problems.values() for p in ps]):
            form.add_error(None, problem)
        return _render_form(request, option, form, status=400)
    except IntegrityError:  # both taps passed the check above at the same moment; the first one won
        return redirect("rep-claim", pk=get_object_or_404(rep_selectors.claims_of(request.user),
                                                          reference=reference).pk)
    messages.success(request, _("Claim %(reference)s sent to finance. You'll see their decision here.") % {
        "reference": claim.reference})
    return redirect("rep-claim", pk=claim.pk)


def _render_form(request: HttpRequest, option, form: RepClaimForm, *, status: int = 200) -> HttpResponse:
    start, end = _period_of(form, option)
    return render(request, "claims/rep_form.html", {
        "option": option, "placement": option.placement, "form": form,
        "photos": rep_selectors.backing_photos(request.user, option.placement, start=start, end=end),
        "period_start": start, "period_end": end,
    }, status=status)


def _period_of(form: RepClaimForm, option) -> tuple[date, date]:
    """The period the photos are shown for: what the rep typed when it reads as dates, else the suggestion."""
    data = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else {}
    start, end = data.get("period_start") or option.start, data.get("period_end") or option.end
    if end < start:
        start, end = end, start
    return start, min(end, start + timedelta(days=366))


@page(Action.CLAIM_SUBMIT)
def rep_claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(rep_selectors.claims_of(request.user), pk=pk)
    return render(request, "claims/rep_detail.html", {
        "claim": claim,
        "lines": rep_selectors.claim_lines_for_rep(request.user, claim),
        "decision": rep_selectors.decision_in_force(claim),
        "reopened": rep_selectors.reopened(claim),
    })
