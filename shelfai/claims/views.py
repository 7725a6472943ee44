"""Finance pages: the claims queue, one claim with its evidence packet and decision, import, export.

Server-rendered with plain forms. Pages are for finance (and admins); anyone else gets a 403, and a
claim the user may not see at all is a 404. Nothing here is cached: amounts and flags are per user.
"""

from __future__ import annotations

from decimal import Decimal
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shelfai import formats
from shelfai.claims import messages as reason_messages
from shelfai.claims import selectors, services
from shelfai.claims.api import export_csv_response
from shelfai.claims.csv_import import REQUIRED_COLUMNS, claims_import_csv
from shelfai.claims.models import AuditEvent, Campaign, ClaimDecision, ExpenseClaim

Outcome = ClaimDecision.Outcome


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False, label=gettext_lazy("Status"), initial=ExpenseClaim.Status.SUBMITTED, choices=[
        (ExpenseClaim.Status.SUBMITTED, gettext_lazy("To decide")),
        ("decided", pgettext_lazy("claims filter", "Decided")), ("", pgettext_lazy("claims filter", "All")),
        *[(s, label) for s, label in ExpenseClaim.Status.choices if s != ExpenseClaim.Status.SUBMITTED]])
    source = forms.ChoiceField(required=False, label=gettext_lazy("Source"), choices=[("", gettext_lazy("Any source")),
                                                        *ExpenseClaim.Source.choices])
    recommendation = forms.ChoiceField(required=False, label=gettext_lazy("Recommendation"), choices=[
        ("", gettext_lazy("Any recommendation")), ("approve", gettext_lazy("Approve")),
        ("partial", gettext_lazy("Partial")), ("reject", gettext_lazy("Reject"))])
    store = forms.CharField(required=False, max_length=32, label=gettext_lazy("Store code"))
    campaign = forms.ModelChoiceField(required=False, label=gettext_lazy("Campaign"), queryset=Campaign.objects.all(),
                                      empty_label=gettext_lazy("Any campaign"))
    q = forms.CharField(required=False, max_length=64, label=gettext_lazy("Reference or claimant"))


class DecisionForm(forms.Form):
    # Nothing is pre-selected: a pre-ticked "Reject" (the recommendation) was one click from a wrong decision.
    outcome = forms.ChoiceField(widget=forms.RadioSelect, label=gettext_lazy("Decision"), choices=[
        (Outcome.APPROVE, gettext_lazy("Approve in full")), (Outcome.PARTIAL, gettext_lazy("Approve part")),
        (Outcome.REJECT, gettext_lazy("Reject"))])
    amount = forms.DecimalField(required=False, max_digits=12, decimal_places=2, min_value=0,
                                label=gettext_lazy("Amount to approve"),
                                help_text=gettext_lazy("Only for a partial approval."))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             label=gettext_lazy("Reason"),
                             error_messages={"required": gettext_lazy(
                                 "Give the reason for the decision; it is kept in the audit trail.")})
    decisions_seen = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def clean(self):
        # Every missing part at once: without this, a missing reason hid the missing amount until the next try.
        data = super().clean()
        if data.get("outcome") == Outcome.PARTIAL and data.get("amount") is None and "amount" not in self.errors:
            self.add_error("amount", gettext_lazy("Give the amount to approve for “Approve part”, e.g. 750.50."))
        return data


class ReopenForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
                             label=gettext_lazy("Why reopen"))


class ImportForm(forms.Form):
    source = forms.ChoiceField(choices=[(ExpenseClaim.Source.RETAILER, gettext_lazy("Retailer")),
                                        (ExpenseClaim.Source.DISTRIBUTOR, gettext_lazy("Distributor"))])
    file = forms.FileField(label=gettext_lazy("Claims CSV"))


class ExportForm(forms.Form):
    batch = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput,
                               help_text=gettext_lazy("Download a batch already sent again (its number)."))
    decided_from = forms.DateField(required=False, label=gettext_lazy("Decided from"),
                                   widget=forms.DateInput(attrs={"type": "date"}))
    decided_to = forms.DateField(required=False, label=gettext_lazy("Decided until"),
                                 widget=forms.DateInput(attrs={"type": "date"}))
    include_rejected = forms.BooleanField(required=False, label=gettext_lazy("Include rejected claims"))
    new_only = forms.BooleanField(required=False, label=gettext_lazy("Only decisions not yet exported"))
    mark_exported = forms.BooleanField(required=False, label=gettext_lazy("Mark as sent to the ERP"))


def finance_page(view):
    """Signed in, finance or admin, never cached."""
    @login_required
    @never_cache
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not selectors.user_decides_claims(request.user):
            raise PermissionDenied(_("The claims desk is for finance."))
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
            raise PermissionDenied(_("Only finance works on claims."))
        return view(request, claim, *args, **kwargs)
    return wrapped


@finance_page
def claims_queue(request: HttpRequest) -> HttpResponse:
    return _render_queue(request)


def _render_queue(request: HttpRequest, *, export_form: ExportForm | None = None, status: int = 200,
                  export_notice: str = ""):
    query = request.GET.copy()
    batch = _batch_summary(query.pop("batch", [""])[-1])  # the confirmation after an export, not a filter
    filters = QueueFilterForm(query or None)
    data = filters.cleaned_data if filters.is_bound and filters.is_valid() else {"status": "submitted"}
    claims = selectors.claim_queue(
        user=request.user, status=data.get("status", ""), source=data.get("source", ""),
        store_code=data.get("store", ""), campaign_id=data["campaign"].pk if data.get("campaign") else None,
        recommendation=data.get("recommendation", ""), search=data.get("q", ""),
    )
    page = Paginator(claims, 50).get_page(request.GET.get("page"))
    query.pop("page", None)
    return render(request, "claims/queue.html", {
        "filters": filters if filters.is_bound else QueueFilterForm(), "page": page, "query": query.urlencode(),
        "export_form": export_form or ExportForm(), "export_notice": export_notice, "batch": batch,
    }, status=status)


def _batch_summary(value: str) -> dict | None:
    """What one export marked as sent: decisions, lines, total approved, when, by whom, and its file."""
    if not value.isdigit() or len(value) > 12:
        return None
    event = AuditEvent.objects.filter(pk=int(value), action="claims.exported").select_related("actor").first()
    if event is None:
        return None
    rows = selectors.claims_export_rows(include_rejected=True, decision_ids=event.data.get("decision_ids", []))
    total = sum((Decimal(row["approved_amount"]) for row in rows), Decimal("0"))
    decisions = event.data.get("count", 0)
    text = _("Marked %(decisions)s and %(lines)s as sent to the ERP: %(total)s approved.") % {
        "decisions": ngettext("%(n)s decision", "%(n)s decisions", decisions) % {"n": formats.number(decisions)},
        "lines": ngettext("%(n)s claim line", "%(n)s claim lines", len(rows)) % {"n": formats.number(len(rows))},
        "total": formats.money(total)}
    return {"id": event.pk, "decisions": decisions, "lines": len(rows), "total": total, "text": text,
            "at": event.created_at, "by": event.actor.get_username() if event.actor else "",
            "claims": sorted({row["claim_reference"] for row in rows})}


@claim_page
def claim_detail(request: HttpRequest, claim: ExpenseClaim) -> HttpResponse:
    return _render_claim(request, claim)


def _render_claim(request, claim, *, form=None, reopen_form=None, refusal="", status=200) -> HttpResponse:
    with formats.amounts_in(claim.currency):  # the packet's and reasons' bare amounts are the campaign's
        return _render_claim_page(request, claim, form=form, reopen_form=reopen_form, refusal=refusal,
                                  status=status)


def _render_claim_page(request, claim, *, form, reopen_form, refusal, status) -> HttpResponse:
    decisions = list(selectors.claim_decisions(claim))
    if form is None:
        form = DecisionForm(initial={"decisions_seen": len(decisions)})
    errors = _error_summary(form) + _error_summary(reopen_form)
    lines = list(selectors.claim_lines_with_placements(claim))
    for line in lines:  # shown, never saved: every sentence of the packet in the reader's language
        line.evidence = reason_messages.packet_for_reader(line.evidence) if line.evidence else line.evidence
    # The coverage sentence is each line's "Coverage" row already: listed again as a reason it was read twice.
    coverage = {(line.evidence or {}).get("coverage", {}).get("text") for line in lines}
    return render(request, "claims/detail.html", {
        "claim": claim,
        "reasons": [r for r in reason_messages.recommendation_reasons(claim) if r not in coverage],
        "claimant": claimant_of(claim),
        "lines": lines,
        "decisions": decisions,
        "audit": [{"event": event, "label": audit_label(event.action)}
                  for event in selectors.claim_audit_trail(claim)],
        "form": form,
        "reopen_form": reopen_form or ReopenForm(),
        "refusal": refusal,
        "errors": errors,
        "recommendation_label": dict(DecisionForm.base_fields["outcome"].choices).get(claim.recommendation, ""),
        "is_open": claim.status == ExpenseClaim.Status.SUBMITTED,
    }, status=status)


def _error_summary(form) -> list[dict]:
    """A refused form's errors for the top of the page, each linked to its field: the field's own
    message sits beside it far below the evidence, where nobody looked."""
    if form is None or not form.is_bound or not form.errors:
        return []
    out = []
    for name, messages_ in form.errors.items():
        field = form[name] if name in form.fields else None
        out.append({"text": " ".join(messages_), "label": field.label if field is not None else "",
                    "anchor": f"#{field.id_for_label}" if field is not None else "#decide-h"})
    return out


# What the audit trail's codes mean to a reader; a code without a label shows as itself.
AUDIT_LABELS = {
    "claim.submitted": gettext_lazy("Submitted"),
    "claims.imported": gettext_lazy("Imported from a retailer or distributor file"),
    "claim.approve": gettext_lazy("Approved"), "claim.partial": gettext_lazy("Partly approved"),
    "claim.reject": gettext_lazy("Rejected"), "claim.reopen": gettext_lazy("Reopened"),
    "claims.exported": gettext_lazy("Sent to the ERP"),
}


def audit_label(action: str) -> str:
    return str(AUDIT_LABELS.get(action, action))


def claimant_of(claim: ExpenseClaim) -> str:
    """Who claims: the retailer's or distributor's name from their file, or the rep who submitted it."""
    if claim.claimant_name:
        return claim.claimant_name
    if claim.source == ExpenseClaim.Source.REP:
        return claim.submitted_by.get_full_name() or claim.submitted_by.get_username()
    return ""


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
    messages.success(request, _("Claim %(reference)s %(status)s: %(amount)s of the %(claimed)s claimed.") % {
        "reference": claim.reference, "status": claim.get_status_display().lower(),
        "amount": formats.money(decision.amount, claim.currency),
        "claimed": formats.money(claim.total_amount, claim.currency)})
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
    messages.success(request, _("Claim %(reference)s is open again; the earlier decision stays on record.") % {
        "reference": claim.reference})
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
    """GET downloads (a link to bookmark); the form POSTs, and may mark the decisions as sent.

    Nothing to export is said on the page (it was a file with a header only). Marking as sent
    returns to the desk with what was marked (count, total, the batch's own download link),
    because a download alone said nothing about what had just changed.
    """
    form = ExportForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        return _render_queue(request, export_form=form, status=400)
    filters = dict(form.cleaned_data)
    mark = filters.pop("mark_exported") and request.method == "POST"
    batch_id = filters.pop("batch")
    if batch_id:
        event = get_object_or_404(AuditEvent, pk=batch_id, action="claims.exported")
        rows = selectors.claims_export_rows(include_rejected=True, decision_ids=event.data.get("decision_ids", []))
        sent_on = timezone.localtime(event.created_at)
        return export_csv_response(rows, f"shelfai-erp-batch-{event.pk}-sent-{sent_on:%Y-%m-%d}.csv")
    rows = selectors.claims_export_rows(**filters)
    if not rows:
        return _render_queue(request, export_form=form, export_notice=_nothing_to_export(filters))
    if not mark:
        return export_csv_response(rows, export_filename(filters))
    batch = services.claims_export_batch(user=request.user, decision_ids=[row["decision_id"] for row in rows])
    if batch is None:
        return _render_queue(request, export_form=form, export_notice=_(
            "Every decision this export would hold was sent to the ERP before: nothing was marked."))
    return redirect(f"{reverse('claims-queue')}?batch={batch.pk}#export-h")


def export_filename(filters: dict) -> str:
    """What and when: ``shelfai-erp-claims-approved-decided-2026-11-01-to-2026-11-30-not-yet-sent-2026-12-04.csv``."""
    parts = ["shelfai-erp-claims", "approved-and-rejected" if filters.get("include_rejected") else "approved"]
    start, end = filters.get("decided_from"), filters.get("decided_to")
    if start or end:
        parts.append(f"decided-{start or 'start'}-to-{end or 'now'}")
    if filters.get("new_only"):
        parts.append("not-yet-sent")
    parts.append(f"{timezone.localdate():%Y-%m-%d}")
    return "-".join(parts) + ".csv"


def _nothing_to_export(filters: dict) -> str:
    what = [_("approved or rejected") if filters.get("include_rejected") else _("approved or partly approved")]
    if filters.get("decided_from"):
        what.append(_("decided from %(day)s") % {"day": formats.day(filters["decided_from"])})
    if filters.get("decided_to"):
        what.append(_("decided until %(day)s") % {"day": formats.day(filters["decided_to"])})
    if filters.get("new_only"):
        what.append(_("not yet sent to the ERP"))
    return _("Nothing to export: no claim is %(what)s. No file was made and nothing was marked as sent.") % {
        "what": ", ".join(what)}
