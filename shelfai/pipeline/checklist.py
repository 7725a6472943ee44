"""A visit's capture checklist: what to photograph, which photo was taken for what, what is done.

The checklist is made when the visit opens, from what is in force at the store that day: one shelf
task per planogram (one per category) and one display task per active paid placement. Every photo is
bound to the task the phone names; a photo sent without one is matched at scoring to the planogram
whose products it shows most of. Binding decides what the later stages see: a shelf task's photos
are scored against its planogram only, and a display task's photos are the only evidence for its
placement (written down for ``claims`` as a ``PlacementPhoto``, so claims never reads these rows).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from shelfai.claims.models import PaidPlacement, PlacementPhoto
from shelfai.claims.selectors import placements_active_for_visit, visit_date
from shelfai.compliance.selectors import planograms_in_force
from shelfai.pipeline.models import CaptureTask, PhotoCapture
from shelfai.stores.models import Planogram
from shelfai.visits.models import Photo, Visit

# A photo in these states does not (yet, or any more) show the task done: the rep must retake it.
_NOT_DONE = (Photo.Status.FAILED, Photo.Status.RETAKE)

_DISPLAY_HOW = {
    PaidPlacement.DisplayType.END_CAP: gettext_lazy(
        "Stand 2–3 m back and get the whole end-cap in the frame, top to floor."),
    PaidPlacement.DisplayType.FLOOR_STAND: gettext_lazy("Get the whole stand in the frame, with the aisle around it."),
    PaidPlacement.DisplayType.EXTRA_FACINGS: gettext_lazy("Photograph the shelf with the extra facings, square-on."),
    PaidPlacement.DisplayType.EYE_LEVEL: gettext_lazy(
        "Photograph the bay top to bottom so the eye-level shelf can be told apart."),
    PaidPlacement.DisplayType.SHELF_STRIP: gettext_lazy(
        "Photograph the shelf edge with the strip and the products above it."),
    PaidPlacement.DisplayType.POS_MATERIAL: gettext_lazy(
        "Photograph the material where it hangs, with the products near it."),
}


class TaskNotFound(Exception):
    """The task id is not one of this visit's tasks."""


def checklist_open(visit: Visit) -> list[CaptureTask]:
    """Make the visit's tasks for what is in force today (idempotent: a planogram or placement that came
    into force since gets its task; none is ever removed, so a photo keeps its task)."""
    day = visit_date(visit)
    have = CaptureTask.objects.filter(visit=visit)
    planned = set(have.exclude(planogram=None).values_list("planogram_id", flat=True))
    paid = set(have.exclude(placement=None).values_list("placement_id", flat=True))
    position = (have.aggregate(n=Max("position"))["n"] or 0) + 1
    new = []
    for planogram in planograms_in_force(store=visit.store, on=day):
        if planogram.pk not in planned:
            new.append(_shelf_task(visit, planogram, position))
            position += 1
    for placement in placements_active_for_visit(visit).order_by("pk"):
        if placement.pk not in paid:
            new.append(_display_task(visit, placement, position))
            position += 1
    for task in new:
        try:
            with transaction.atomic():
                task.save()
        except IntegrityError:  # a second request made the same task at the same moment
            pass
    tasks = visit_tasks(visit)
    if new or not visit.checklist:  # otherwise uploads and scoring keep the count current
        checklist_refresh(visit, tasks)
    return tasks


def _shelf_task(visit: Visit, planogram: Planogram, position: int) -> CaptureTask:
    task = CaptureTask(visit=visit, kind=CaptureTask.Kind.SHELF, planogram=planogram, position=position)
    with translation.override("en"):  # stored in English; read with task_title / task_instructions
        task.title, task.instructions = task_title(task), task_instructions(task)
    return task


def _display_task(visit: Visit, placement: PaidPlacement, position: int) -> CaptureTask:
    task = CaptureTask(visit=visit, kind=CaptureTask.Kind.DISPLAY, placement=placement, position=position)
    with translation.override("en"):
        task.title, task.instructions = task_title(task), task_instructions(task)
    return task


def task_title(task: CaptureTask) -> str:
    """The task's title in the active language, from its planogram or placement (the stored one is English)."""
    if task.planogram_id is not None:
        return _("%(category)s shelf") % {"category": task.planogram.category.name}
    if task.placement_id is not None:
        placement = task.placement
        return _("%(display)s — %(campaign)s") % {"display": placement.get_display_type_display(),
                                                   "campaign": placement.campaign.name}
    return task.title


def task_instructions(task: CaptureTask) -> str:
    """What to photograph for the task, in the active language."""
    if task.planogram_id is not None:
        planogram = task.planogram
        shelves = planogram.shelves.count()
        products = planogram.shelves.values("facings__product").exclude(facings__product=None).distinct().count()
        return _("Photograph the whole %(planogram)s bay square-on, top to bottom (%(shelves)s, %(products)s "
                 "planned). A long bay may take several photos.") % {
            "planogram": planogram.name,
            "shelves": ngettext("%(n)s shelf", "%(n)s shelves", shelves) % {"n": shelves},
            "products": ngettext("%(n)s product", "%(n)s products", products) % {"n": products}}
    if task.placement_id is not None:
        placement = task.placement
        # Translators: a required product and its facings on a display, e.g. "Gold Formula 900 g ×6".
        wanted = pgettext_list([_("%(product)s ×%(n)s") % {"product": r.product, "n": r.min_facings}
                                for r in placement.requirements.all()])
        how = str(_DISPLAY_HOW.get(placement.display_type, gettext_lazy("Photograph the whole display.")))
        return (_("%(how)s It must show: %(wanted)s.") % {"how": how, "wanted": wanted}) if wanted else how
    return task.instructions


def pgettext_list(items: list[str]) -> str:
    """Items joined with the language's list separator ("a, b" / "a、b")."""
    return pgettext("list separator", ", ").join(items)


def visit_tasks(visit: Visit) -> list[CaptureTask]:
    return list(CaptureTask.objects.filter(visit=visit).select_related("planogram__category", "placement"))


def task_for_upload(visit: Visit, task_id: int | None) -> CaptureTask | None:
    """The visit's task an upload names, or None for none; TaskNotFound for another visit's task."""
    if task_id is None:
        return None
    task = CaptureTask.objects.filter(visit=visit, pk=task_id).select_related("placement").first()
    if task is None:
        raise TaskNotFound(_("Task %(id)s is not on this visit's checklist. Reload the checklist and pick one of "
                             "its tasks.") % {"id": task_id})
    return task


def photos_bind(photos: list[Photo], task: CaptureTask | None) -> None:
    """Record what new photos were taken for. A photo for a task that is already done is kept and
    marked as a retake of it; a display task's photos become its placement's evidence."""
    # Photos sent together are one take (a long bay in parts): a retake only if the task had one before.
    retake = task is not None and _live_photos(task).exclude(pk__in=[p.pk for p in photos]).exists()
    for photo in photos:
        PhotoCapture.objects.get_or_create(photo=photo, defaults={
            "task": task, "retake": retake,
            "matched_by": PhotoCapture.MatchedBy.TASK if task is not None else PhotoCapture.MatchedBy.BEST_MATCH,
        })
        if task is not None and task.placement_id is not None:
            PlacementPhoto.objects.get_or_create(placement_id=task.placement_id, photo=photo)


def scoring_plan(photo: Photo) -> tuple[list[Planogram], bool]:
    """What scoring may score the photo against, and whether it must choose (best match)."""
    capture = PhotoCapture.objects.filter(photo=photo).select_related("task__planogram").first()
    task = capture.task if capture is not None and capture.matched_by == PhotoCapture.MatchedBy.TASK else None
    if task is not None:
        return ([task.planogram] if task.planogram_id else []), False  # a display photo has no shelf score
    return planograms_in_force(store=photo.visit.store, on=visit_date(photo.visit)), True


def photo_matched(photo: Photo, planogram: Planogram | None, matched_by: str) -> None:
    """After a photo without a task was scored: bind it to the shelf task of the planogram it matched."""
    capture = PhotoCapture.objects.filter(photo=photo).first()
    if capture is None or (capture.matched_by == PhotoCapture.MatchedBy.TASK and capture.task_id):
        return
    task = (CaptureTask.objects.filter(visit=photo.visit_id, planogram=planogram).first()
            if planogram is not None and matched_by == PhotoCapture.MatchedBy.BEST_MATCH else None)
    capture.task, capture.matched_by = task, matched_by
    capture.save(update_fields=["task", "matched_by"])


def _live_photos(task: CaptureTask):
    return Photo.objects.filter(capture__task=task).exclude(status__in=_NOT_DONE)


def task_state(task: CaptureTask) -> dict:
    photos = list(Photo.objects.filter(capture__task=task).order_by("uploaded_at", "pk")
                  .values_list("public_id", "status"))
    live = [str(pid) for pid, status in photos if status not in _NOT_DONE]
    return {"done": bool(live), "photos": [str(pid) for pid, _ in photos],
            "retake_needed": bool(photos) and not live}


def checklist_refresh(visit: Visit, tasks: list[CaptureTask] | None = None) -> dict:
    """Recount the checklist and keep the count on the visit, where finance's packet reads it."""
    tasks = visit_tasks(visit) if tasks is None else tasks
    done = sum(1 for task in tasks if task_state(task)["done"])
    with translation.override("en"):  # stored in English; read with checklist_for_reader
        summary = {"done": done, "total": len(tasks), "text": checklist_text(done, len(tasks)),
                   "note": checklist_note(visit, tasks)}
    if visit.checklist != summary:
        Visit.objects.filter(pk=visit.pk).update(checklist=summary)
        visit.checklist = summary
    return summary


def checklist_text(done: int, total: int) -> str:
    return ngettext("%(done)s of %(total)s photographed", "%(done)s of %(total)s photographed", total) % {
        "done": done, "total": total}


def checklist_note(visit: Visit, tasks: list[CaptureTask]) -> str:
    if any(task.kind == CaptureTask.Kind.SHELF for task in tasks):
        return ""
    return _("No planogram is in force at %(store)s today, so shelves cannot be scored. Photos are still kept and "
             "checked for authenticity.") % {"store": visit.store.name}


def checklist_for_reader(visit: Visit) -> dict:
    """The visit's stored checklist count with its sentences in the active language ({} before checklists)."""
    stored = dict(visit.checklist or {})
    if not stored or "done" not in stored or "total" not in stored:
        return stored
    stored["text"] = checklist_text(stored["done"], stored["total"])
    if stored.get("note"):
        stored["note"] = checklist_note(visit, [])
    return stored
