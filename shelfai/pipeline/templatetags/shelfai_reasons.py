"""Template filters that read a stored result's sentences in the viewer's language.

``{% load shelfai_reasons %}``, then e.g. ``{{ photo|status_reason }}``, ``{{ run|quality_reasons|join:" " }}``,
``{{ deduction|deduction_text }}``, ``{{ result.report|not_verified_text }}``, ``{{ check|check_reasons }}``,
``{{ flag|flag_reason }}``. Each falls back to the stored English for rows made before codes.
"""

from __future__ import annotations

from django import template

from shelfai.claims import messages as claim_messages
from shelfai.compliance import messages as compliance_messages
from shelfai.detection import messages as detection_messages
from shelfai.pipeline import messages as pipeline_messages
from shelfai.visits import flag_messages

register = template.Library()


@register.filter
def status_reason(photo) -> str:
    return pipeline_messages.photo_status_reason(photo) if photo is not None else ""


@register.filter
def quality_reasons(run) -> list[str]:
    return detection_messages.run_quality_reasons(run) if run is not None else []


@register.filter
def deduction_text(deduction) -> str:
    return compliance_messages.deduction_message(deduction or {})


@register.filter
def not_verified_text(report) -> str:
    return compliance_messages.report_not_verified_reason(report)


@register.filter
def check_reasons(check) -> list[str]:
    return claim_messages.check_reasons(check) if check is not None else []


@register.filter
def flag_reason(flag) -> str:
    return flag_messages.flag_reason(flag) if flag is not None else ""


@register.filter
def reason_list(reasons) -> list[str]:
    """A list of stored reasons (codes or old English strings) in the viewer's language."""
    return [compliance_messages.reason_text(r) for r in reasons or []]
