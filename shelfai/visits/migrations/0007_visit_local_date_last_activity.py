"""Each visit gets its store-local day and its last activity; existing rows are filled from started_at in
the store's time zone and from their latest photo."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import migrations, models
from django.db.models import Max

import shelfai.visits.models


def _zone(name):
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def fill(apps, schema_editor):
    Visit = apps.get_model("visits", "Visit")
    Store = apps.get_model("stores", "Store")
    for store_id, name in Store.objects.values_list("pk", "timezone"):
        zone = _zone(name)
        batch = []
        visits = Visit.objects.filter(store_id=store_id).annotate(last_photo=Max("photos__uploaded_at"))
        for visit in visits.only("pk", "started_at").iterator(chunk_size=2000):
            visit.local_date = visit.started_at.astimezone(zone).date()
            visit.last_activity_at = max(filter(None, [visit.started_at, visit.last_photo]))
            batch.append(visit)
            if len(batch) >= 2000:
                Visit.objects.bulk_update(batch, ["local_date", "last_activity_at"])
                batch = []
        if batch:
            Visit.objects.bulk_update(batch, ["local_date", "last_activity_at"])


class Migration(migrations.Migration):

    dependencies = [
        ("stores", "0005_store_timezone_validated"),
        ("visits", "0006_visit_checklist"),
    ]

    operations = [
        migrations.AlterField(
            model_name="visit",
            name="started_at",
            field=models.DateTimeField(default=shelfai.visits.models.now, editable=False),
        ),
        migrations.AddField(
            model_name="visit",
            name="local_date",
            field=models.DateField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="visit",
            name="last_activity_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="visit",
            name="local_date",
            field=models.DateField(editable=False),
        ),
        migrations.AlterField(
            model_name="visit",
            name="last_activity_at",
            field=models.DateTimeField(editable=False),
        ),
        migrations.AddIndex(
            model_name="visit",
            index=models.Index(fields=["store", "local_date"], name="visit_store_local_date"),
        ),
        migrations.AddIndex(
            model_name="visit",
            index=models.Index(fields=["local_date"], name="visit_local_date"),
        ),
        migrations.AddIndex(
            model_name="visit",
            index=models.Index(fields=["status", "last_activity_at"], name="visit_open_idle"),
        ),
    ]
