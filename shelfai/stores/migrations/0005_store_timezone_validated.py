"""A store's time zone is a validated IANA name (new stores default to the server's TIME_ZONE); an
assignment's weekdays are seven 1/0 digits."""

import django.core.validators
from django.db import migrations, models

import shelfai.stores.zones


class Migration(migrations.Migration):

    dependencies = [
        ("stores", "0004_admin_labels"),
    ]

    operations = [
        migrations.AlterField(
            model_name="repassignment",
            name="weekdays",
            field=models.CharField(
                default="1111111", help_text="Visit days Monday..Sunday as 1/0, e.g. 1010100.", max_length=7,
                validators=[django.core.validators.RegexValidator(
                    "^[01]{7}$", "Seven digits 1/0, Monday..Sunday, e.g. 1111100.")],
            ),
        ),
        migrations.AlterField(
            model_name="store",
            name="timezone",
            field=models.CharField(
                default=shelfai.stores.zones.default_time_zone,
                help_text="IANA zone, e.g. Asia/Shanghai or Europe/Berlin.", max_length=64,
                validators=[shelfai.stores.zones.validate_time_zone],
            ),
        ),
    ]
