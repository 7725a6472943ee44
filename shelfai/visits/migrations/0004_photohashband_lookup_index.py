"""Covering indexes for the near-duplicate lookup: it reads index pages only, never table rows.

- ``photohashband_lookup`` replaces the (band, value) index. That one made every matching row cost a
  table page (~300 ms per lookup at a million photos); ``window`` is a key column because reverse
  keys match whole-frame rows (window 0) only.
- ``photohashband_windows`` serves the Hamming prefilter's read of the candidates' window hashes
  from a 0.5 GB index instead of random pages of the 3.6 GB table (at a million photos).

Figures: bench/duplicate_search.py. On PostgreSQL at a million photos the first takes ~4 minutes to
build on a busy 2-core machine and blocks writes to the table meanwhile; SQLite ignores INCLUDE.
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
        migrations.AddIndex(
            model_name='photohashband',
            index=models.Index(condition=models.Q(('band', 0)), fields=['photo'], include=['window', 'hash'],
                               name='photohashband_windows'),
        ),
        migrations.RemoveIndex(
            model_name='photohashband',
            name='visits_phot_band_0bf027_idx',
        ),
    ]
