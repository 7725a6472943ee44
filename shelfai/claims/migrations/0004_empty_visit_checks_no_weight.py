"""Checks stored before 0003 for a visit without a photo said evidence weight 1.00 (the default of no
evidence); they now say none, like every new one (see shelfai.claims.verification)."""

from django.db import migrations
from django.db.models import Exists, OuterRef


def empty_visits_have_no_weight(apps, schema_editor):
    PlacementCheck = apps.get_model("claims", "PlacementCheck")
    Photo = apps.get_model("visits", "Photo")
    PlacementCheck.objects.filter(~Exists(Photo.objects.filter(visit_id=OuterRef("visit_id")))).update(
        evidence_weight=None)


class Migration(migrations.Migration):

    dependencies = [
        ("claims", "0003_placementcheck_weight_none"),
        ("visits", "0006_visit_checklist"),
    ]

    operations = [migrations.RunPython(empty_visits_have_no_weight, migrations.RunPython.noop)]
