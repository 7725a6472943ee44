"""Placement checks made before days were counted in the store's zone carry UTC days; claim weeks
are counted on ``checked_on``, so each takes its visit's day (``Visit.local_date``, visits 0007)."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def forwards(apps, schema_editor):
    PlacementCheck = apps.get_model("claims", "PlacementCheck")
    Visit = apps.get_model("visits", "Visit")
    day = Visit.objects.filter(pk=OuterRef("visit_id")).values("local_date")[:1]
    PlacementCheck.objects.exclude(checked_on=Subquery(day)).update(checked_on=Subquery(day))


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0006_campaign_currency"),
        ("visits", "0007_visit_local_date_last_activity"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
