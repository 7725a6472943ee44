from django.db import migrations, models
from django.db.models import F


def sent_when_entered(apps, schema_editor):
    """Photos waiting today were sent when they entered their state: the sweeper judges them from there."""
    Photo = apps.get_model("visits", "Photo")
    Photo.objects.filter(status="queued").update(sent_at=F("queued_at"))
    Photo.objects.filter(status="analyzed").update(sent_at=F("analyzed_at"))


class Migration(migrations.Migration):
    dependencies = [("visits", "0004_photohashband_lookup_index")]

    operations = [
        migrations.AddField(
            model_name="photo", name="score_attempts",
            field=models.PositiveSmallIntegerField(default=0, help_text="Times scoring claimed the photo."),
        ),
        migrations.AddField(
            model_name="photo", name="resends",
            field=models.PositiveSmallIntegerField(
                default=0, help_text="Messages the sweeper re-sent for the stage the photo is waiting for."),
        ),
        migrations.AddField(model_name="photo", name="sent_at", field=models.DateTimeField(blank=True, null=True)),
        migrations.AddField(
            model_name="photo", name="scoring_started_at", field=models.DateTimeField(blank=True, null=True)),
        migrations.AlterField(
            model_name="photo", name="attempts",
            field=models.PositiveSmallIntegerField(default=0, help_text="Times analysis claimed the photo."),
        ),
        migrations.AlterField(
            model_name="photo", name="status",
            field=models.CharField(
                choices=[("queued", "Queued"), ("processing", "Processing"), ("analyzed", "Analyzed"),
                         ("scoring", "Scoring"), ("done", "Done"), ("retake", "Retake needed"),
                         ("failed", "Failed")],
                db_index=True, default="queued", max_length=12),
        ),
        migrations.AddIndex(
            model_name="photo", index=models.Index(fields=["status", "sent_at"], name="photo_waiting_sent")),
        migrations.RunPython(sent_when_entered, migrations.RunPython.noop),
    ]
