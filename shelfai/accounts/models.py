from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REP = "rep", _("Field rep")
    MARKETING = "marketing", _("Marketing")
    FINANCE = "finance", _("Finance")
    PLANNING = "planning", _("Planning")
    ADMIN = "admin", _("Admin")


def validate_time_zone(value: str) -> None:
    """An IANA zone name the server's tz database knows ("Asia/Shanghai"); blank means the site's zone."""
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a time zone name such as Asia/Shanghai."),
                              code="invalid", params={"value": value})


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.REP)
    # Blank: follow the browser (Accept-Language), else English. See shelfai.accounts.middleware.
    language = models.CharField(_("language"), max_length=16, blank=True, choices=settings.LANGUAGES,
                                help_text=_("Blank: the browser's language."))
    # Blank: the site's TIME_ZONE. Timestamps are shown in this zone, with the zone named.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, validators=[validate_time_zone],
                                 help_text=_("An IANA name such as Asia/Shanghai. Blank: the site's zone."))

    @property
    def is_rep(self) -> bool:
        return self.role == Role.REP

    @property
    def sees_all_stores(self) -> bool:
        """Marketing, finance, planning and admins read across stores; reps only their assignments."""
        return self.role != Role.REP or self.is_superuser

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or self.role == Role.ADMIN or self.role in roles
