"""Reads for compliance: which planogram applies where and when."""

from __future__ import annotations

from datetime import date

from django.db.models import Q

from shelfai.compliance import messages
from shelfai.compliance.models import ComplianceResult
from shelfai.detection.messages import run_quality_reasons
from shelfai.detection.models import DetectionRun
from shelfai.stores.models import Planogram, Store


def planogram_for(*, store: Store, on: date) -> Planogram | None:
    """The planogram in force at a store on a day: the store's own first, else its group's."""
    in_force = Planogram.objects.filter(effective_from__lte=on).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=on)
    )
    own = in_force.filter(store=store).order_by("-effective_from", "-version").first()
    if own is not None:
        return own
    return in_force.filter(store_group__stores=store).order_by("-effective_from", "-version").first()


def planograms_in_force(*, store: Store, on: date) -> list[Planogram]:
    """Every planogram in force at a store on a day, one per category (the store's own replaces its
    group's for that category), in category order: one capture task each."""
    in_force = (Planogram.objects.filter(effective_from__lte=on)
                .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
                .select_related("category").order_by("-effective_from", "-version", "-pk"))
    chosen: dict[int, Planogram] = {}
    for planogram in in_force.filter(store=store):
        chosen.setdefault(planogram.category_id, planogram)
    for planogram in in_force.filter(store_group__stores=store):
        chosen.setdefault(planogram.category_id, planogram)
    return sorted(chosen.values(), key=lambda p: (p.category.name, p.pk))


def planned_skus(*, store: Store, on: date) -> set[str]:
    """The SKUs the planograms in force list (empty without one): what the evidence image marks as expected."""
    planograms = planograms_in_force(store=store, on=on)
    if not planograms:
        return set()
    skus = Planogram.objects.filter(pk__in=[p.pk for p in planograms]).values_list(
        "shelves__facings__product__sku", flat=True)
    return set(skus) - {None}


def photo_result_summary(photo) -> dict | None:
    """What the rep's phone shows for a photo: score, what to fix, counts. None until analysed."""
    run = DetectionRun.objects.filter(photo=photo, is_current=True).first()
    if run is None:
        return None
    result = ComplianceResult.objects.filter(photo=photo, is_current=True).first()
    summary = {
        "facings": run.facing_count,
        "gaps": len(run.gaps),
        "quality_ok": run.quality_ok,
        "quality_reasons": run_quality_reasons(run),
        "quality_codes": run.quality_codes,  # the same as {"code", "params"}; empty on runs stored before codes
        "detector": run.detector_sha256[:12],
        "score": None,
        "confidence": None,
        "fixes": [],
        "deductions": [],  # the fixes with their code, sku, points and params
        "planogram": None,
        "verified": None,
        "not_verified_reason": "",
        "not_verified": None,
        "recognised": None,
    }
    if result is not None:
        report = result.report or {}
        summary.update(
            score=float(result.score) if result.score is not None else None,
            confidence=round(result.confidence, 2),
            fixes=[messages.deduction_message(d) for d in result.deductions],
            deductions=messages.deductions_for_reader(result.deductions),
            planogram=result.planogram.name if result.planogram_id else None,
            verified=report.get("verified", True) if result.planogram_id else None,
            not_verified_reason=messages.report_not_verified_reason(report),
            not_verified=report.get("not_verified") or None,
            recognised={"named": report["facings_recognised"], "total": report["facings_total"]}
            if "facings_total" in report else None,
        )
    return summary
