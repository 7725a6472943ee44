"""``{% load shelfai_labels %}``: the words for the codes a page shows (a recommendation, a week's verdict,
a photo's status, a flag's kind), in the reader's language. The stored rows keep the codes."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy, pgettext_lazy

from shelfai.claims import messages as claim_messages
from shelfai.visits import flag_messages
from shelfai.visits.models import Photo

register = template.Library()

RECOMMENDATIONS = {
    "approve": pgettext_lazy("recommendation", "Approve"),
    "partial": pgettext_lazy("recommendation", "Partially approve"),
    "reject": pgettext_lazy("recommendation", "Reject"),
}
WEEK_STATUSES = {
    "executed": gettext_lazy("executed"),
    "partly_executed": gettext_lazy("partly executed"),
    "not_executed": gettext_lazy("not executed"),
    "insufficient_evidence": gettext_lazy("no usable photos"),
    "no_visit": gettext_lazy("no visit"),
}
PHOTO_STATUSES = {
    "queued": gettext_lazy("Queued"),
    "processing": gettext_lazy("Analysing"),
    "analyzed": gettext_lazy("Scoring"),
    "scoring": gettext_lazy("Scoring"),
    "done": gettext_lazy("Analysed"),
    "retake": gettext_lazy("Retake needed"),
    "failed": gettext_lazy("Failed"),
}


@register.filter
def recommendation_label(code: str) -> str:
    return str(RECOMMENDATIONS.get(code, code))


@register.filter
def week_status_label(code: str) -> str:
    return str(WEEK_STATUSES.get(code, str(code).replace("_", " ")))


# Some selectors hand over the English label ("Done") rather than the code: read it back to its code.
_PHOTO_CODE_BY_LABEL = {str(label): code for code, label in Photo.Status.choices}


@register.filter
def photo_status_label(code: str) -> str:
    code = _PHOTO_CODE_BY_LABEL.get(str(code), code)
    return str(PHOTO_STATUSES.get(code, code))


@register.filter
def severity_label(code: str) -> str:
    return str(claim_messages.SEVERITY.get(code, code))


@register.filter
def flag_label(code: str) -> str:
    return flag_messages.code_label(code)


@register.filter
def risk_level(score) -> str:
    """The CSS class of a risk score: "high" from 60, "mid" from 30, else "low" (not shown as words)."""
    try:
        value = float(score)
    except (TypeError, ValueError):
        return "low"
    return "high" if value >= 60 else "mid" if value >= 30 else "low"
