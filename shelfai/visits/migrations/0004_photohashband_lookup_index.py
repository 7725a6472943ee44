"""The near-duplicate lookup reads photo ids from the index alone (index-only scans), never the table.

(band, value) alone made every matching row cost a table page: ~300 ms per lookup at a million
photos. ``window`` is a key column because reverse keys only match whole-frame rows (window 0).
See bench/duplicate_search.py. On PostgreSQL the build takes minutes at a million photos and blocks
writes to this table meanwhile; SQLite ignores INCLUDE.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('visits', '0003_visit_visits_visi_started_821fa1_idx'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='photohashband',
            index=models.Index(fields=['band', 'value', 'window'], include=['photo'], name='photohashband_lookup'),
        ),
        migrations.RemoveIndex(
            model_name='photohashband',
            name='visits_phot_band_0bf027_idx',
        ),
    ]
