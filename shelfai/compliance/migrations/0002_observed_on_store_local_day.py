"""Out-of-stock days written before days were counted in the store's zone were UTC days: a 07:30
Shanghai visit counted on the day before. Each observation takes its visit's day (``Visit.local_date``,
filled by visits 0007), so the history forecasting reads agrees with the store's own calendar."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def forwards(apps, schema_editor):
    SkuObservation = apps.get_model("compliance", "SkuObservation")
    Visit = apps.get_model("visits", "Visit")
    day = Visit.objects.filter(pk=OuterRef("visit_id")).values("local_date")[:1]
    SkuObservation.objects.exclude(observed_on=Subquery(day)).update(observed_on=Subquery(day))


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0001_initial"),
        ("visits", "0007_visit_local_date_last_activity"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
